/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sevslot snapshot DIR`: write the live host's sources into DIR in the
 * sysroot layout, devices as recordings, so that any EPYC host becomes a
 * fixture and `sevslot --sysroot DIR probe` repeats the live report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct writer {
	struct sevslot_ctx *ctx;
	const char *dir;           /* as the caller named it, for messages */
	int dirfd;
	int err;
};

/* mkdir -p of the directories above `path`, relative to w->dirfd. */
static int make_parents(struct writer *w, const char *path)
{
	char buf[256];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = strchr(buf, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(w->dirfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static void put(struct writer *w, const char *path, const void *data, size_t len)
{
	const char *p = data;
	int fd = -1, err;

	if (w->err < 0)
		return;
	err = make_parents(w, path);
	if (err == 0) {
		fd = openat(w->dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		err = fd < 0 ? -errno : 0;
	}
	if (err < 0) {
		w->err = sv_fail(w->ctx, err, "cannot create %s/%s: %s", w->dir, path, strerror(-err));
		return;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = sv_fail(w->ctx, -EIO, "cannot write %s/%s: %s", w->dir, path,
					 strerror(n < 0 ? errno : EIO));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && w->err == 0)
		w->err = sv_fail(w->ctx, -EIO, "cannot write %s/%s: %s", w->dir, path,
				 strerror(errno));
}

static void put_buf(struct writer *w, const char *path, const struct sv_buf *b)
{
	if (b->err == 0)
		put(w, path, b->data, b->len);
}

static void put_cpuid(struct writer *w, const struct sv_cpuid_table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		w->err = -ENOMEM;
		return;
	}
	fputs("CPU:\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct sv_cpuid_leaf *l = &t->leaves[i];

		fprintf(f, "   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", l->leaf,
			l->subleaf, l->r[0], l->r[1], l->r[2], l->r[3]);
	}
	if (fclose(f) != 0)
		w->err = -ENOMEM;
	else
		put(w, "dev/cpu/0/cpuid", text, len);
	free(text);
}

static void put_reply(FILE *f, const char *name, const struct sv_psp_reply *r)
{
	fprintf(f, "%s %d %u ", name, r->ret, r->fwerr);
	for (size_t i = 0; i < r->len; i++)
		fprintf(f, "%02x", r->data[i]);
	fputc('\n', f);
}

static void put_sev(struct writer *w, const struct sv_raw *raw)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (raw->sev_open_err == -ENOENT)
		return; /* no device: no recording */
	f = open_memstream(&text, &len);
	if (f == NULL) {
		w->err = -ENOMEM;
		return;
	}
	fputs("# sevslot snapshot of /dev/sev: NAME RET FWERR HEX\n", f);
	if (raw->sev_open_err != 0) {
		fprintf(f, "OPEN %d\n", raw->sev_open_err);
	} else {
		put_reply(f, "PLATFORM_STATUS", &raw->status);
		put_reply(f, "SNP_PLATFORM_STATUS", &raw->snp_status);
	}
	if (fclose(f) != 0)
		w->err = -ENOMEM;
	else
		put(w, "dev/sev", text, len);
	free(text);
}

static int open_empty_dir(struct sevslot_ctx *ctx, const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd, err;

	/* Messages carry no "snapshot:" prefix: the caller adds its own. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sv_fail(ctx, -errno, "cannot create %s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sv_fail(ctx, -errno, "cannot open %s: %s", dir, strerror(errno));
	d = fdopendir(dup(fd));
	if (d == NULL) {
		err = -errno;
		close(fd);
		return sv_fail(ctx, err, "cannot read %s: %s", dir, strerror(-err));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			close(fd);
			return sv_fail(ctx, -EEXIST,
				       "%s is not empty: a snapshot goes into a new or empty directory",
				       dir);
		}
	}
	closedir(d);
	return fd;
}

SEVSLOT_EXPORT int sevslot_snapshot(struct sevslot_ctx *ctx, const char *dir)
{
	static const char params[] = "sys/module/kvm_amd/parameters/";
	struct writer w = { .ctx = ctx, .dir = dir };
	struct sv_raw *raw;
	char path[128];
	int err;

	ctx->errmsg[0] = '\0';
	if (!ctx->live)
		return sv_fail(ctx, -EINVAL, "snapshot records the live host: drop --sysroot");
	raw = malloc(sizeof(*raw));
	if (raw == NULL)
		return -ENOMEM;
	err = sv_raw_read(ctx, 0, raw);
	if (err < 0)
		goto out;
	w.dirfd = open_empty_dir(ctx, dir);
	if (w.dirfd < 0) {
		err = w.dirfd;
		goto out;
	}

	put_cpuid(&w, &raw->cpuid);
	if (raw->kvm_amd_dir) {
		put(&w, "sys/module/kvm_amd/.keep", "", 0);
		snprintf(path, sizeof(path), "%ssev", params);
		put_buf(&w, path, &raw->kvm_sev);
		snprintf(path, sizeof(path), "%ssev_es", params);
		put_buf(&w, path, &raw->kvm_sev_es);
		snprintf(path, sizeof(path), "%ssev_snp", params);
		put_buf(&w, path, &raw->kvm_sev_snp);
		snprintf(path, sizeof(path), "%sciphertext_hiding_asids", params);
		put_buf(&w, path, &raw->kvm_cth);
	}
	put_buf(&w, raw->misc_version == 1 ? "sys/fs/cgroup/misc/misc.capacity" :
					     "sys/fs/cgroup/misc.capacity", &raw->misc_capacity);
	put_buf(&w, raw->misc_version == 1 ? "sys/fs/cgroup/misc/misc.current" :
					     "sys/fs/cgroup/misc.current", &raw->misc_current);
	put_buf(&w, "proc/cpuinfo", &raw->cpuinfo);
	put_buf(&w, "proc/sys/kernel/random/boot_id", &raw->boot_id);
	put_buf(&w, "proc/sys/kernel/osrelease", &raw->osrelease);
	put_buf(&w, "proc/self/limits", &raw->limits);
	if (raw->dev_kvm)
		put(&w, "dev/kvm", "", 0);
	put_sev(&w, raw);
	/* An unreadable MSR is recorded as its errno, so the replay says the same. */
	if (raw->msr_err == 0)
		snprintf(path, sizeof(path), "0x%x 0x%llx\n", SV_MSR_SYSCFG,
			 (unsigned long long)raw->syscfg);
	else
		snprintf(path, sizeof(path), "0x%x %d\n", SV_MSR_SYSCFG, raw->msr_err);
	put(&w, "dev/cpu/0/msr", path, strlen(path));
	err = w.err;
	close(w.dirfd);
out:
	sv_raw_release(raw);
	free(raw);
	return err;
}
