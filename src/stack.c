/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userspace stack in the probe: which emulator is installed, its version
 * when the package database says, and the firmware descriptors in effect by
 * QEMU's precedence (docs/interop/firmware.json; libvirt's
 * qemuInteropFetchConfigs in src/qemu/qemu_interop_config.c): the files of
 * /usr/share/qemu/firmware and /etc/qemu/firmware taken together and sorted
 * by name, a file in /etc replacing its namesake in /usr/share, an empty one
 * hiding it. From those, per model: can this host's userspace boot it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* QEMU releases that brought each guest: SevGuestProperties and SevSnpGuestProperties
 * are "Since: 2.12" and "Since: 9.1" in QEMU's qapi/qom.json. */
static const struct {
	unsigned major, minor;
} qemu_floor[SEVSLOT_MODEL_COUNT] = {
	[SEVSLOT_MODEL_SEV] = { 2, 12 },
	[SEVSLOT_MODEL_SEV_ES] = { 2, 12 },
	[SEVSLOT_MODEL_SEV_SNP] = { 9, 1 },
};

int sv_stack_qemu_floor(enum sevslot_model m, unsigned *major, unsigned *minor)
{
	if ((unsigned)m >= SEVSLOT_MODEL_COUNT)
		return -EINVAL;
	*major = qemu_floor[m].major;
	*minor = qemu_floor[m].minor;
	return 0;
}

static void note_bad(struct sv_stack_notes *notes, const char *dir, const char *name,
		     const char *why)
{
	if (notes->n_bad == ARRAY_SIZE(notes->bad)) {
		notes->n_more++;
		return;
	}
	snprintf(notes->bad[notes->n_bad].path, sizeof(notes->bad[0].path), "/%s/%s", dir, name);
	snprintf(notes->bad[notes->n_bad].why, sizeof(notes->bad[0].why), "%s", why);
	notes->n_bad++;
}

static char *str(const char *s, int *err)
{
	char *d = strdup(s);

	if (d == NULL)
		*err = -ENOMEM;
	return d;
}

/* One descriptor in effect: parse it and keep it, or note why it cannot be used. */
static int take(struct sevslot_stack *st, struct sv_stack_notes *notes, const char *dir,
		const struct sv_file *f)
{
	struct sevslot_fw_descriptor *out = &st->firmware[st->n_firmware];
	struct sv_fw_desc desc;
	char why[192], path[512];
	const char **features;
	size_t n = 0;
	int err = 0;

	if (f->buf.err == SV_ERR_NOT_REGULAR)
		return 0;              /* libvirt leaves those out too */
	if (f->buf.err == -EFBIG) {
		note_bad(notes, dir, f->name, "larger than 1 MiB, which libvirt refuses to read");
		return 0;
	}
	if (f->buf.err != 0) {
		snprintf(why, sizeof(why), "cannot be read: %s", strerror(-f->buf.err));
		note_bad(notes, dir, f->name, why);
		return 0;
	}
	if (f->buf.len == 0)
		return 0;              /* an empty file hides its namesake */
	err = sv_fw_desc_parse(f->buf.data, f->buf.len, &desc, why, sizeof(why));
	if (err == -ENOMEM)
		return err;
	if (err < 0) {
		note_bad(notes, dir, f->name, why);
		return 0;
	}
	while (desc.features[n] != NULL)
		n++;
	features = calloc(n + 1, sizeof(*features));
	snprintf(path, sizeof(path), "/%s/%s", dir, f->name);
	out->path = str(path, &err);
	out->device = str(desc.device, &err);
	if (features == NULL)
		err = -ENOMEM;
	for (size_t i = 0; features != NULL && i < n; i++) {
		features[i] = desc.features[i];
		desc.features[i] = NULL;  /* now the stack's */
	}
	out->features = features;
	memcpy(out->boots, desc.boots, sizeof(out->boots));
	st->n_firmware++;
	sv_fw_desc_release(&desc);
	return err;
}

static void qemu_version(struct sevslot_stack *st, const struct sv_buf *b, int *err)
{
	char version[96], upstream[32], pkg[160];

	if (b->err != 0 || b->data == NULL ||
	    !sv_dpkg_field(b->data, b->len, "Version", version, sizeof(version)))
		return;
	snprintf(pkg, sizeof(pkg), "%s %s", SV_DPKG_QEMU, version);
	st->qemu_package = str(pkg, err);
	if (sv_upstream_version(version, upstream, sizeof(upstream)) == 0)
		st->qemu_version = str(upstream, err);
}

int sv_stack_derive(struct sevslot_host *host, const struct sv_raw *raw,
		    struct sv_stack_notes *notes)
{
	struct sevslot_stack *st = &host->stack;
	const struct sv_dir *share = &raw->dirs[SV_IN_FW_SHARE], *etc = &raw->dirs[SV_IN_FW_ETC];
	size_t i = 0, j = 0;
	int err = 0;

	memset(notes, 0, sizeof(*notes));
	st->probed = true;
	notes->truncated = share->truncated || etc->truncated;
	if (raw->in[SV_IN_QEMU].err == 0)
		st->qemu_path = "/usr/bin/qemu-system-x86_64";
	else if (raw->in[SV_IN_QEMU_KVM].err == 0)
		st->qemu_path = "/usr/libexec/qemu-kvm";
	if (st->qemu_path != NULL)
		qemu_version(st, &raw->in[SV_IN_DPKG], &err);
	for (unsigned d = SV_IN_FW_SHARE; d <= SV_IN_FW_ETC; d++)
		if (raw->dirs[d].err != 0 && raw->dirs[d].err != -ENOENT &&
		    raw->dirs[d].err != -ENOTDIR) {
			char why[128];

			snprintf(why, sizeof(why), "the directory cannot be read: %s",
				 strerror(-raw->dirs[d].err));
			note_bad(notes, sv_inputs[d].path, "", why);
		}
	st->firmware = calloc(share->n + etc->n + 1, sizeof(*st->firmware));
	if (st->firmware == NULL)
		return -ENOMEM;
	/* Both lists are sorted: merge them, /etc winning a tie. */
	while (err == 0 && (i < share->n || j < etc->n)) {
		int c = i == share->n ? 1 : j == etc->n ? -1 :
			strcmp(share->files[i].name, etc->files[j].name);

		if (c < 0)
			err = take(st, notes, sv_inputs[SV_IN_FW_SHARE].path, &share->files[i++]);
		else
			err = take(st, notes, sv_inputs[SV_IN_FW_ETC].path, &etc->files[j++]);
		if (c == 0)
			i++;
	}
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		bool offered = false;

		for (size_t k = 0; k < st->n_firmware; k++)
			offered |= st->firmware[k].boots[m];
		st->ready[m] = host->models[m].usable && st->qemu_path != NULL && offered &&
			       sv_qemu_version_at_least(st->qemu_version, qemu_floor[m].major,
							qemu_floor[m].minor) != 0;
	}
	return err;
}

void sv_stack_free(struct sevslot_stack *st)
{
	for (size_t i = 0; i < st->n_firmware; i++) {
		const struct sevslot_fw_descriptor *f = &st->firmware[i];

		for (size_t k = 0; f->features != NULL && f->features[k] != NULL; k++)
			free((char *)(uintptr_t)f->features[k]);
		free((void *)(uintptr_t)f->features);
		free((char *)(uintptr_t)f->path);
		free((char *)(uintptr_t)f->device);
	}
	free(st->firmware);
	free((char *)(uintptr_t)st->qemu_version);
	free((char *)(uintptr_t)st->qemu_package);
	memset(st, 0, sizeof(*st));
}
