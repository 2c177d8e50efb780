/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot launch-security [--model MODEL] [--policy POLICY] [--json]: the
 * libvirt <launchSecurity> element for a guest of MODEL on this host.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "output.h"

static const char *model_name = "amd-sev", *policy_arg;

static const struct cli_opt opts[] = {
	{ .name = "model", .arg = "MODEL", .value = &model_name,
	  .help = "amd-sev (default), amd-sev-es or amd-sev-snp" },
	{ .name = "policy", .arg = "POLICY", .value = &policy_arg,
	  .help = "the guest policy (default 0x0033, 0x0037 for SEV-ES, 0x30000 for SNP)" },
	{ .name = NULL },
};

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	enum sevslot_model model;
	struct sevslot_host *host = NULL;
	unsigned long long policy;
	char *xml = NULL, *text = NULL, *end;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0)
		return code;
	if (sevslot_model_from_name(model_name, &model) < 0)
		return cli_error(EX_USAGE, "launch-security: unknown model '%s' (amd-sev, amd-sev-es, amd-sev-snp)",
				 model_name);
	policy = sevslot_default_policy(model);
	if (policy_arg != NULL) {
		errno = 0;
		policy = strtoull(policy_arg, &end, 0);
		if (errno != 0 || end == policy_arg || *end != '\0' || policy_arg[0] == '-')
			return cli_error(EX_DATAERR, "launch-security: policy '%s' is not a number", policy_arg);
	}
	if ((err = cli_probe(cli, 0, &host)) < 0 ||
	    (err = sevslot_launch_security_xml(cli->ctx, host, model, policy, &xml)) < 0) {
		code = cli_fail(cmd, cli, err);
		goto out;
	}
	err = sv_format_launch_security(host, model, policy, xml, cli->json, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = EX_OK;
out:
	free(xml);
	sevslot_host_free(host);
	return code;
}

const struct cli_command cli_launch_security_cmd = {
	.name = "launch-security",
	.args = "",
	.opts = opts,
	.summary = "print libvirt's <launchSecurity> element for this host",
	.json = "print {\"model\", \"policy\", \"cbitpos\", \"reduced_phys_bits\", \"xml\"}",
	.details =
		"The guest also needs q35, UEFI, iommu='on' on every virtio device and, for SEV and\n"
		"SEV-ES, <memoryBacking><locked/></memoryBacking>.\n"
		"Exit 0; 65 a policy that does not fit the model; 69 this host cannot run the model.\n",
	.run = run,
};
