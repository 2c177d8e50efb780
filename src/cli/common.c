/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every command shares: parsing its options (and generating its help
 * from the same table), checking operands, printing what the output layer
 * rendered, and probing the host.
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define CLI_MAX_OPTS 16 /* a command's own options; more is a bug, never a silent drop */

static void help_line(const char *name, const char *arg, const char *help)
{
	char left[40];

	snprintf(left, sizeof(left), "--%s%s%s", name, arg != NULL ? " " : "", arg != NULL ? arg : "");
	printf("  %-18s ", left);
	for (const char *p = help; *p != '\0'; p++) {
		putchar(*p);
		if (*p == '\n')
			printf("  %-18s ", "");
	}
	putchar('\n');
}

void cli_synopsis(const struct cli_command *cmd, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);

	for (const struct cli_opt *o = cmd->opts; o != NULL && o->name != NULL && n < len; o++)
		n += (size_t)snprintf(buf + n, len - n, " %s--%s%s%s%s%s", o->required ? "" : "[",
				      o->name, o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "",
				      o->required ? "" : "]", o->many != NULL ? "..." : "");
}

static void help(const struct cli_command *cmd)
{
	char synopsis[256];

	cli_synopsis(cmd, synopsis, sizeof(synopsis));
	printf("Usage: sevslot [GLOBAL OPTIONS] %s\n%s.\n", synopsis, cmd->summary);
	for (const struct cli_opt *o = cmd->opts; o != NULL && o->name != NULL; o++)
		help_line(o->name, o->arg, o->help);
	help_line("json", NULL, cmd->json);
	help_line("help", NULL, "show this help");
	if (cmd->details != NULL)
		fputs(cmd->details, stdout);
}

int cli_getopt(const struct cli_command *cmd, struct cli *cli, int *argc, char ***argv)
{
	enum { OPT_JSON = 1, OPT_HELP, OPT_OWN = 256 };
	const struct cli_opt *opts = cmd->opts;
	struct option lopts[CLI_MAX_OPTS + 3];
	bool given[CLI_MAX_OPTS] = { false };
	size_t n = 0;
	int c;

	for (const struct cli_opt *o = opts; o != NULL && o->name != NULL; o++, n++) {
		if (n == CLI_MAX_OPTS)
			return cli_error(EX_SOFTWARE, "%s: more than %d options in its table", cmd->name,
					 CLI_MAX_OPTS);
		lopts[n] = (struct option){ o->name, o->arg != NULL ? required_argument : no_argument,
					    NULL, OPT_OWN + (int)n };
	}
	lopts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	lopts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lopts[n] = (struct option){ NULL, 0, NULL, 0 };
	/*
	 * Options may follow the operand (GNU order); "--" ends them. optind 0
	 * makes glibc start afresh instead of keeping main's "+" ordering.
	 */
	/* Arguments another program passes (libvirt's hook) are taken as they are. */
	if (cmd->literal) {
		if (*argc == 2 && (strcmp((*argv)[1], "--help") == 0 || strcmp((*argv)[1], "-h") == 0)) {
			help(cmd);
			return EX_OK;
		}
		*argc -= 1;
		*argv += 1;
		return -1;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, ":h", lopts, NULL)) != -1) {
		const struct cli_opt *o;

		switch (c) {
		case OPT_JSON:
			cli->json = true;
			continue;
		case 'h':
		case OPT_HELP:
			help(cmd);
			return EX_OK;
		case ':':
			return cli_error(EX_USAGE, "%s: option '%s' needs a value; see 'sevslot %s --help'",
					 cmd->name, (*argv)[optind - 1], cmd->name);
		case '?':
			return cli_error(EX_USAGE, "%s: unknown option '%s'; see 'sevslot %s --help'",
					 cmd->name, (*argv)[optind - 1], cmd->name);
		}
		o = &opts[c - OPT_OWN];
		given[c - OPT_OWN] = true;
		if (o->flag != NULL)
			*o->flag = true;
		if (o->value != NULL)
			*o->value = optarg;
		if (o->many != NULL) {
			if (*o->count == o->max)
				return cli_error(EX_USAGE, "%s: more than %zu --%s options", cmd->name,
						 o->max, o->name);
			o->many[(*o->count)++] = optarg;
			o->many[*o->count] = NULL;
		}
	}
	for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++)
		if (opts[i].required && !given[i])
			return cli_error(EX_USAGE, "%s: --%s %s is required; see 'sevslot %s --help'",
					 cmd->name, opts[i].name, opts[i].arg, cmd->name);
	*argc -= optind;
	*argv += optind;
	return -1;
}

int cli_operands(const struct cli_command *cmd, int argc, char **argv, int want)
{
	if (argc == want)
		return -1;
	if (want == 0)
		return cli_error(EX_USAGE, "%s: unexpected argument '%s'; see 'sevslot %s --help'",
				 cmd->name, argv[0], cmd->name);
	return cli_error(EX_USAGE, "%s: expected %s, got %d argument%s; see 'sevslot %s --help'",
			 cmd->name, cmd->args, argc, argc == 1 ? "" : "s", cmd->name);
}

int cli_print(const struct cli_command *cmd, int err, char *text)
{
	size_t n;

	if (err < 0) {
		free(text);
		return cli_error(EX_SOFTWARE, "%s: out of memory", cmd->name);
	}
	n = strlen(text);
	fputs(text, stdout);
	if (n == 0 || text[n - 1] != '\n')
		putchar('\n');
	free(text);
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create a dot file beside `base` in `dirfd`, O_EXCL: its name in tmp. */
static int create_temp(int dirfd, const char *base, mode_t mode, char *tmp, size_t len)
{
	for (unsigned i = 0; i < 100; i++) {
		int fd;

		if ((size_t)snprintf(tmp, len, ".%s.%ld.%u", base, (long)getpid(), i) >= len)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int cli_write_atomically(const struct cli_command *cmd, const char *path, const char *text)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	size_t len = strlen(text);
	char dir[4096], tmp[300];
	bool exists = false;
	struct stat st;
	int dirfd, fd, err = 0;

	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return cli_error(EX_USAGE, "%s: --output %s names a directory; name a file", cmd->name,
				 path);
	if (slash == NULL || slash == path)
		snprintf(dir, sizeof(dir), "%s", slash == NULL ? "." : "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return cli_error(cli_exit_code(-ENAMETOOLONG), "%s: --output %s: %s", cmd->name, path,
				 strerror(ENAMETOOLONG));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_error(cli_exit_code(-errno), "%s: --output %s: cannot open its directory: %s",
				 cmd->name, path, strerror(errno));
	/* Replace a regular file only: never a device, a symlink or a directory. */
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			close(dirfd);
			return cli_error(EX_USAGE, "%s: --output %s exists and is not a regular file; "
					 "refusing to replace it", cmd->name, path);
		}
		exists = true;
	}
	fd = create_temp(dirfd, base, 0644, tmp, sizeof(tmp));
	if (fd < 0) {
		close(dirfd);
		return cli_error(cli_exit_code(fd), "%s: --output %s: cannot create a file beside it: "
				 "%s; %s is unchanged", cmd->name, path, strerror(-fd), path);
	}
	if (exists && fchmod(fd, st.st_mode & 07777) < 0)
		err = -errno;
	if (err == 0)
		err = write_all(fd, text, len);
	if (err == 0 && (len == 0 || text[len - 1] != '\n'))
		err = write_all(fd, "\n", 1);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && renameat(dirfd, tmp, dirfd, base) < 0)
		err = -errno;
	if (err < 0) {
		unlinkat(dirfd, tmp, 0);
		close(dirfd);
		return cli_error(cli_exit_code(err), "%s: --output %s: %s; %s is unchanged", cmd->name,
				 path, strerror(-err), path);
	}
	/* The rename lasts once the directory is synced (EINVAL: it cannot be). */
	if (fsync(dirfd) < 0 && errno != EINVAL)
		err = -errno;
	close(dirfd);
	if (err < 0)
		return cli_error(cli_exit_code(err), "%s: --output %s: written, but syncing its "
				 "directory failed: %s", cmd->name, path, strerror(-err));
	return -1;
}

int cli_print_exact(const struct cli_command *cmd, int err, char *text, size_t len)
{
	if (err < 0) {
		free(text);
		return cli_error(EX_SOFTWARE, "%s: out of memory", cmd->name);
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return -1;
}

int cli_read_input(const struct cli_command *cmd, const char *file, size_t max, char **out,
		   size_t *len)
{
	bool is_stdin = strcmp(file, "-") == 0;
	const char *shown = is_stdin ? "standard input" : file;
	int fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t cap = 64 * 1024, n = 0;
	struct stat st;
	char *buf;
	int code = -1;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return cli_error(EX_NOINPUT, "%s: cannot open %s: %s", cmd->name, file, strerror(errno));
	if (!is_stdin && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return cli_error(EX_NOINPUT, "%s: %s is a directory; name a file, or - for standard input",
				 cmd->name, file);
	}
	if ((buf = malloc(cap + 1)) == NULL)
		code = cli_error(EX_SOFTWARE, "%s: out of memory", cmd->name);
	while (code < 0) {
		ssize_t r;

		if (n == cap) {
			char *p = cap > max ? NULL : realloc(buf, cap * 2 + 1);

			if (cap > max) {
				code = cli_error(EX_DATAERR, "%s: %s is larger than %zu bytes", cmd->name,
						 shown, max);
				break;
			}
			if (p == NULL) {
				code = cli_error(EX_SOFTWARE, "%s: out of memory", cmd->name);
				break;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			code = cli_error(EX_IOERR, "%s: cannot read %s: %s", cmd->name, shown,
					 strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (code < 0 && n > max)
		code = cli_error(EX_DATAERR, "%s: %s is larger than %zu bytes", cmd->name, shown, max);
	if (!is_stdin)
		close(fd);
	if (code >= 0) {
		free(buf);
		return code;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return -1;
}

int cli_check_consumer(const struct cli_command *cmd, const char *consumer)
{
	if (sevslot_consumer_is_valid(consumer))
		return -1;
	return cli_error(EX_DATAERR, "%s: consumer id must be 1 to 255 bytes of printable ASCII "
			 "without spaces", cmd->name);
}

int cli_probe(struct cli *cli, unsigned flags, struct sevslot_host **out)
{
	/*
	 * Open the devices first, then give up every capability before parsing:
	 * live, and under a sysroot too, whose files are untrusted input.
	 */
	return sevslot_probe(cli->ctx, flags | SEVSLOT_PROBE_DROP_CAPS, out);
}

int cli_limit_caps(void)
{
	/*
	 * What a command may still need before cli_probe drops the rest: the MSR
	 * (CAP_SYS_RAWIO), a ledger a group member created (CAP_DAC_OVERRIDE,
	 * CAP_DAC_READ_SEARCH), giving a new ledger to group sevslot and giving
	 * back its access (CAP_CHOWN, CAP_FOWNER). Only those the process has:
	 * under a unit's CapabilityBoundingSet it may have fewer.
	 */
	static const unsigned keep[] = { CAP_SYS_RAWIO, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
					 CAP_CHOWN, CAP_FOWNER };
	bool have[sizeof(keep) / sizeof(keep[0])], bounding;

	if (capng_get_caps_process() < 0)
		return cli_error(EX_OSERR, "cannot read this process's capabilities");
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return -1;      /* an unprivileged caller: nothing to give up */
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, keep[i]);
	/* Nothing for a program run later: the bounding set too, when the process may. */
	bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(bounding ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (have[i])
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep[i]);
	if (capng_apply(bounding ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0)
		return cli_error(EX_OSERR, "cannot drop capabilities");
	return -1;
}
