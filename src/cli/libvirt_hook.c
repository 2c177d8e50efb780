/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot libvirt-hook NAME OPERATION SUBOPERATION [EXTRA], the domain XML on
 * stdin: what libvirt's qemu hook runs (/etc/libvirt/hooks/qemu.d/), as root,
 * for every domain it starts, stops, migrates or restores (libvirt's
 * docs/hooks.rst). For a domain with <launchSecurity> it holds the guest's
 * slot: allocated at `prepare begin` and `reconnect begin`, released at
 * `release end`; `migrate begin` and `restore begin` are refused. Anything
 * else, and every domain that is not an SEV guest, exits 0 without opening
 * the ledger.
 *
 * It is on every domain's start path, so the common case is cheap and
 * decided before anything else is set up (early(), ahead of the library's
 * context and main's capability limits): an operation it does not act on, from
 * the arguments (stdin is not read; libvirt ignores EPIPE from a hook that did
 * not read it), and a domain whose bytes never mention launchSecurity, from
 * those bytes, which are not parsed at all.
 *
 * It never writes to stdout: libvirt takes a hook's output at migrate and
 * restore as a new domain XML, and passes it to the next hook in qemu.d.
 */
#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

enum action { ACT_NONE, ACT_ALLOCATE, ACT_RELEASE, ACT_REFUSE };

/* What the hook does, by operation (libvirt's docs/hooks.rst); everything else: nothing. */
static const struct {
	const char *op, *sub;
	enum action action;
	const char *refusal;
} actions[] = {
	{ "prepare", "begin", ACT_ALLOCATE, NULL },
	{ "reconnect", "begin", ACT_ALLOCATE, NULL },
	{ "release", "end", ACT_RELEASE, NULL },
	{ "migrate", "begin", ACT_REFUSE, "live migration of an SEV guest is not supported" },
	{ "restore", "begin", ACT_REFUSE,
	  "an SEV guest cannot be restored from a saved image (save/restore is not supported)" },
};

/* What the hook does at OPERATION SUBOPERATION; *refusal says why, for ACT_REFUSE. */
static enum action action_of(const char *op, const char *sub, const char **refusal)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(op, actions[i].op) == 0 && strcmp(sub, actions[i].sub) == 0) {
			*refusal = actions[i].refusal;
			return actions[i].action;
		}
	return ACT_NONE;
}

/*
 * Whether the bytes may hold an SEV guest: only a document that names
 * launchSecurity can (libvirt writes UTF-8; a NUL byte means another
 * encoding, which the parser then judges).
 */
static bool may_be_sev(const char *xml, size_t len)
{
	return memmem(xml, len, "launchSecurity", 14) != NULL || memchr(xml, '\0', len) != NULL;
}

/*
 * Before parsing what libvirt sent, give up every capability but the three
 * that writing a ledger another member of group sevslot created may need
 * (main.c already emptied the bounding set and kept five; none of these
 * three runs code or touches a device).
 */
static int drop_caps(void)
{
	static const unsigned keep[] = { CAP_DAC_OVERRIDE, CAP_CHOWN, CAP_FOWNER };
	bool have[sizeof(keep) / sizeof(keep[0])];

	if (capng_get_caps_process() < 0)
		return -1;
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, keep[i]);
	capng_clear(CAPNG_SELECT_CAPS);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (have[i])
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep[i]);
	return capng_apply(CAPNG_SELECT_CAPS) < 0 ? -1 : 0;
}

/* The length of the UTF-8 character at `p`, 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p < 0xe0 ? 2 : *p >= 0xe0 && *p < 0xf0 ? 3 :
		   *p >= 0xf0 && *p < 0xf5 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* `name` with control characters and bytes that are not UTF-8 shown as '?', cut at `len`. */
static void printable(char *safe, size_t len, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;

	while (*p != '\0') {
		size_t clen = utf8_len(p);

		if (clen == 0 || *p < 0x20 || *p == 0x7f) {
			clen = 1;
			if (n + 1 >= len)
				break;
			safe[n++] = '?';
		} else {
			if (n + clen >= len)
				break;
			memcpy(safe + n, p, clen);
			n += clen;
		}
		p += clen;
	}
	safe[n] = '\0';
}

/* "libvirt domain 'vm1' prepare begin": the journal's note. */
static void make_note(char *buf, size_t len, const char *name, const char *op, const char *sub)
{
	char safe[160], o[24], s[24];

	printable(safe, sizeof(safe), name);
	printable(o, sizeof(o), op);
	printable(s, sizeof(s), sub);
	snprintf(buf, len, "libvirt domain '%s' %s %s", safe, o, s);
}

/* The domain XML early() read, for run(): it is read once. */
static struct {
	char *xml;
	size_t len;
} input;

/*
 * The common case, before the library is set up: an operation the hook does
 * not act on, or a domain that cannot be an SEV guest, ends here with 0.
 * Anything else (an SEV guest, the wrong number of arguments, --help) goes on
 * to run(), with the bytes read kept in `input`.
 */
static int early(const struct cli_command *cmd, int argc, char **argv)
{
	const char *refusal;
	int code;

	if (argc < 4 || argc > 5)
		return -1;
	if (action_of(argv[2], argv[3], &refusal) == ACT_NONE)
		return EX_OK;
	if ((code = cli_read_input(cmd, "-", SEVSLOT_DOMAIN_MAX, &input.xml, &input.len)) >= 0)
		return code;
	if (!may_be_sev(input.xml, input.len)) {
		free(input.xml);
		input.xml = NULL;
		return EX_OK;
	}
	return -1;
}

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	struct sevslot_domain *domain = NULL;
	struct sevslot_allocation a;
	enum sevslot_model model;
	enum action act;
	const char *refusal = NULL, *name, *uuid;
	char *xml = NULL, note[256], shown[160] = "";
	size_t len;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0)
		return code;
	/* The name as messages show it: libvirt's argument, printable. */
	if (argc > 0)
		printable(shown, sizeof(shown), argv[0]);
	if (argc < 3 || argc > 4)
		return cli_error(EX_USAGE, "%s: expected NAME OPERATION SUBOPERATION [EXTRA] as libvirt "
				 "passes them, got %d argument%s; see 'sevslot %s --help'", cmd->name,
				 argc, argc == 1 ? "" : "s", cmd->name);
	if ((act = action_of(argv[1], argv[2], &refusal)) == ACT_NONE)
		return EX_OK;
	if (input.xml != NULL) {
		xml = input.xml;
		len = input.len;
		input.xml = NULL;
	} else if ((code = cli_read_input(cmd, "-", SEVSLOT_DOMAIN_MAX, &xml, &len)) >= 0) {
		return code;
	}
	if (!may_be_sev(xml, len)) {
		code = EX_OK;
		goto out;
	}
	if (drop_caps() < 0) {
		code = cli_error(EX_OSERR, "%s: cannot drop capabilities before parsing the domain",
				 cmd->name);
		goto out;
	}
	if ((err = sevslot_domain_parse(cli->ctx, xml, len, &domain)) < 0) {
		code = cli_error(EX_DATAERR, "%s: domain '%s': %s", cmd->name, shown,
				 sevslot_errmsg(cli->ctx));
		goto out;
	}
	if ((err = sevslot_domain_model(cli->ctx, domain, &model)) == -ENOENT) {
		code = EX_OK;          /* not an SEV guest: another technology's, or none */
		goto out;
	}
	if (err < 0) {
		code = cli_error(EX_DATAERR, "%s: domain '%s': %s", cmd->name, shown,
				 sevslot_errmsg(cli->ctx));
		goto out;
	}
	name = sevslot_domain_name(domain) != NULL ? sevslot_domain_name(domain) : argv[0];
	uuid = sevslot_domain_uuid(domain);
	if (uuid == NULL || !sevslot_consumer_is_valid(uuid)) {
		code = cli_error(EX_DATAERR, "%s: SEV guest '%s' has %s: its uuid is its slot's "
				 "consumer id", cmd->name, shown,
				 uuid == NULL ? "no <uuid>" : "a <uuid> that is not a consumer id");
		goto out;
	}
	if (act == ACT_REFUSE) {
		code = cli_error(EX_UNAVAILABLE, "%s: SEV guest '%s': %s; sevslot refuses it",
				 cmd->name, shown, refusal);
		goto out;
	}
	if ((code = cli_open_ledger(cli, false, &config, &ledger)) >= 0)
		goto out;
	make_note(note, sizeof(note), name, argv[1], argv[2]);
	if (act == ACT_ALLOCATE)
		err = sevslot_ledger_allocate_noted(ledger, uuid, model, note, &a, NULL);
	else
		err = sevslot_ledger_release_noted(ledger, uuid, note, NULL);
	if (err < 0)
		code = cli_error(cli_exit_code(err), "%s: %s SEV guest '%s' (%s): %s (ledger %s)",
				 cmd->name, act == ACT_ALLOCATE ? "cannot start" : "cannot release",
				 shown, uuid, sevslot_ledger_errmsg(ledger), sevslot_ledger_path(ledger));
	else
		code = EX_OK;
out:
	cli_close_ledger(config, ledger);
	sevslot_domain_free(domain);
	free(xml);
	return code;
}

const struct cli_command cli_libvirt_hook_cmd = {
	.name = "libvirt-hook",
	.args = "NAME OPERATION SUBOPERATION [EXTRA]",
	.opts = NULL,
	.summary = "libvirt's qemu hook: hold an SEV guest's slot from prepare to release",
	.json = "ignored: the hook never writes to standard output",
	.details =
		"The domain XML on stdin; the arguments as libvirt passes them, taken literally.\n"
		"For a domain with <launchSecurity>: 'prepare begin' and 'reconnect begin' allocate\n"
		"the slot of its model for consumer <uuid> (again: the same slot), 'release end'\n"
		"releases it, 'migrate begin' and 'restore begin' are refused; the journal names the\n"
		"domain. Every other domain and operation: exit 0 without opening the ledger.\n"
		"A refused 'reconnect begin' makes libvirt kill the running guest (docs/hooks.rst).\n"
		"Install: an executable /etc/libvirt/hooks/qemu.d/sevslot running\n"
		"  exec /usr/bin/sevslot libvirt-hook \"$@\"\n"
		"Exit 0; 64 fewer than three arguments; 65 malformed XML, an unknown <launchSecurity>\n"
		"type or no <uuid>; 69 refused (migrate, restore) or the host cannot run the model;\n"
		"74 ledger I/O error; 75 pool full or ledger locked. Nothing is written to stdout.\n",
	.run = run,
	.early = early,
	.literal = true,
};
