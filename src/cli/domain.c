/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot domain check [--model MODEL] FILE|-   judge a libvirt domain as an
 *                                               SEV guest of this host
 * sevslot domain apply --model MODEL [FILE|-]   print it made one
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

/* Read and parse the domain (its bytes in *xml, *len); -1, or the exit code after saying why. */
static int load(const struct cli_command *cmd, struct cli *cli, const char *file,
		struct sevslot_domain **out, char **xml, size_t *len)
{
	int code, err;

	*out = NULL;
	if ((code = cli_read_input(cmd, file, SEVSLOT_DOMAIN_MAX, xml, len)) >= 0)
		return code;
	err = sevslot_domain_parse(cli->ctx, *xml, *len, out);
	if (err == -EFBIG || err == -EBADMSG)
		return cli_error(EX_DATAERR, "%s: %s: %s", cmd->name,
				 strcmp(file, "-") == 0 ? "standard input" : file,
				 sevslot_errmsg(cli->ctx));
	if (err < 0)
		return cli_fail(cmd, cli, err);
	return -1;
}

static int parse_model(const struct cli_command *cmd, const char *name, enum sevslot_model *out)
{
	if (sevslot_model_from_name(name, out) == 0)
		return -1;
	return cli_error(EX_USAGE, "%s: unknown model '%s' (amd-sev, amd-sev-es, amd-sev-snp)",
			 cmd->name, name);
}

static const char *check_model;

static const struct cli_opt check_opts[] = {
	{ .name = "model", .arg = "MODEL", .value = &check_model,
	  .help = "judge it as amd-sev, amd-sev-es or amd-sev-snp\n"
		  "(default: the model its <launchSecurity> names)" },
	{ .name = NULL },
};

static int run_check(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_domain_report *report = NULL;
	struct sevslot_domain *domain = NULL;
	struct sevslot_host *host = NULL;
	enum sevslot_model model = SEVSLOT_MODEL_SEV;
	char *text = NULL, *xml = NULL;
	size_t len;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 1)) >= 0)
		return code;
	if (check_model != NULL && (code = parse_model(cmd, check_model, &model)) >= 0)
		return code;
	if ((code = load(cmd, cli, argv[0], &domain, &xml, &len)) >= 0)
		goto out;
	if ((err = cli_probe(cli, 0, &host)) < 0 ||
	    (err = sevslot_domain_check(cli->ctx, domain, host, check_model != NULL ? (int)model : -1,
					&report)) < 0) {
		code = cli_fail(cmd, cli, err);
		goto out;
	}
	err = sv_format_domain_check(report, sevslot_domain_name(domain), cli->json, &text);
	if ((code = cli_print(cmd, err, text)) >= 0)
		goto out;
	if (report->model >= 0 && !report->model_usable)
		code = cli_error(EX_UNAVAILABLE, "%s: this host cannot run %s guests (see 'sevslot probe')",
				 cmd->name, sevslot_model_name((enum sevslot_model)report->model));
	else if (!report->ok)
		code = cli_error(EX_DATAERR, "%s: %s cannot run as an SEV guest here: fix the errors above",
				 cmd->name, argv[0]);
	else
		code = EX_OK;
out:
	free(xml);
	sevslot_domain_report_free(report);
	sevslot_host_free(host);
	sevslot_domain_free(domain);
	return code;
}

const struct cli_command cli_domain_check_cmd = {
	.name = "domain check",
	.args = "FILE|-",
	.opts = check_opts,
	.summary = "judge a libvirt domain (its XML) as an SEV guest of this host",
	.json = "print {\"name\", \"model\", \"ok\", \"model_usable\", \"findings\": [{rule, severity,\n"
		"element, target, message, fix}]}",
	.details =
		"Rules: q35, UEFI, <launchSecurity> for this host (C-bit, reducedPhysBits 1, a policy\n"
		"that fits the model), iommu='on' on every virtio device, locked memory for SEV and\n"
		"SEV-ES, no <hostdev>, no IDE; a virtio-blk boot disk is a warning. One line per finding.\n"
		"Exit 0 it can run here (warnings may be printed); 65 it breaks a rule, or is not\n"
		"well-formed XML; 66 FILE cannot be opened; 69 this host cannot run its model.\n",
	.run = run_check,
};

static const char *apply_model;

static const struct cli_opt apply_opts[] = {
	{ .name = "model", .arg = "MODEL", .value = &apply_model, .required = true,
	  .help = "amd-sev, amd-sev-es or amd-sev-snp" },
	{ .name = NULL },
};

static int run_apply(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_domain *domain = NULL;
	struct sevslot_host *host = NULL;
	enum sevslot_model model;
	char *xml = NULL, *text = NULL, *orig = NULL;
	const char *file = "-";
	size_t len, orig_len;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0)
		return code;
	if (argc > 1)
		return cli_operands(cmd, argc, argv, 0);
	if (argc == 1)
		file = argv[0];
	if ((code = parse_model(cmd, apply_model, &model)) >= 0)
		return code;
	if ((code = load(cmd, cli, file, &domain, &orig, &orig_len)) >= 0)
		goto out;
	if ((err = cli_probe(cli, 0, &host)) < 0 ||
	    (err = sevslot_domain_apply(cli->ctx, domain, host, model, &xml, &len)) < 0) {
		/* A document apply cannot edit is bad input, not a missing service. */
		code = err == -ENOTSUP ? cli_error(EX_DATAERR, "%s: %s", cmd->name, sevslot_errmsg(cli->ctx)) :
					 cli_fail(cmd, cli, err);
		goto out;
	}
	if (cli->json) {
		bool changed = len != orig_len || memcmp(xml, orig, len) != 0;

		err = sv_format_domain_apply(model, xml, changed, true, &text);
		code = cli_print(cmd, err, text);
	} else {
		/* The document as it is: no newline added, every byte kept. */
		code = cli_print_exact(cmd, 0, xml, len);
		xml = NULL;
	}
	if (code < 0)
		code = EX_OK;
out:
	free(xml);
	free(orig);
	sevslot_host_free(host);
	sevslot_domain_free(domain);
	return code;
}

const struct cli_command cli_domain_apply_cmd = {
	.name = "domain apply",
	.args = "[FILE|-]",
	.opts = apply_opts,
	.summary = "print a libvirt domain made an SEV guest of this host (default input: stdin)",
	.json = "print {\"model\", \"changed\", \"xml\"}",
	.details =
		"Writes this host's <launchSecurity> (an existing policy that fits the model is kept),\n"
		"iommu='on' on every virtio device and <locked/> memory for SEV and SEV-ES; keeps every\n"
		"other byte. Applying twice gives the same bytes. Pipe it to libvirt:\n"
		"  virsh dumpxml vm | sevslot domain apply --model amd-sev | virsh define /dev/stdin\n"
		"Exit 0; 65 what it must not change by itself (machine type, BIOS, IDE, host devices,\n"
		"another <launchSecurity>) or XML that is not well-formed, nothing on stdout;\n"
		"66 FILE cannot be opened; 69 this host cannot run the model.\n",
	.run = run_apply,
};
