/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot launch-security [--model MODEL] [--policy POLICY] [--json]: the
 * libvirt <launchSecurity> element for a guest of MODEL on this host.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
	"  --model MODEL    amd-sev (default), amd-sev-es or amd-sev-snp\n"
	"  --policy POLICY  the guest policy (default 0x0033, 0x0037 for SEV-ES, 0x30000 for SNP)\n"
	"  --json           print {\"model\", \"policy\", \"cbitpos\", \"reduced_phys_bits\", \"xml\"}\n"
	"The guest also needs q35, UEFI, iommu='on' on every virtio device and, for SEV and\n"
	"SEV-ES, <memoryBacking><locked/></memoryBacking>.\n"
	"Exit 0; 65 a policy that does not fit the model; 69 this host cannot run the model.\n";

int cmd_launch_security(struct cli *cli, int argc, char **argv)
{
	const char *model_name = "amd-sev", *policy_arg = NULL;
	const struct cli_opt opts[] = {
		{ .name = "model", .key = 'm', .value = &model_name },
		{ .name = "policy", .key = 'p', .value = &policy_arg },
		{ .name = NULL },
	};
	enum sevslot_model model;
	struct sevslot_host *host;
	unsigned long long policy;
	char *xml, *end;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "launch-security", opts, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "launch-security: unexpected argument '%s'", argv[0]);
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
	err = sevslot_probe(cli->ctx, 0, &host);
	if (err < 0)
		return cli_fail(cli, err, "launch-security");
	err = sevslot_launch_security_xml(cli->ctx, host, model, policy, &xml);
	if (err < 0) {
		sevslot_host_free(host);
		return cli_fail(cli, err, "launch-security");
	}
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "model", json_object_new_string(model_name));
		json_object_object_add(o, "policy", json_object_new_int64((int64_t)policy));
		json_object_object_add(o, "cbitpos", json_object_new_int64(host->cpu.cbitpos));
		json_object_object_add(o, "reduced_phys_bits", json_object_new_int(1));
		json_object_object_add(o, "xml", json_object_new_string(xml));
		cli_json_print(o, false);
	} else {
		fputs(xml, stdout);
	}
	free(xml);
	sevslot_host_free(host);
	return EX_OK;
}
