/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot request [--flavor KEY=VALUE]... [--image KEY=VALUE]... [--json]
 *
 * Translate nova-style flavor extra specs and image properties into a slot
 * request: the model to allocate, and the Placement resources and trait.
 */
#include "cli.h"
#include "output.h"

#define MAX_PROPS 64

static const char *flavor[MAX_PROPS + 1], *image[MAX_PROPS + 1];
static size_t nf, ni;

static const struct cli_opt opts[] = {
	{ .name = "flavor", .arg = "KEY=VALUE", .many = flavor, .count = &nf, .max = MAX_PROPS,
	  .help = "a flavor extra spec (hw:mem_encryption, hw:mem_encryption_model)" },
	{ .name = "image", .arg = "KEY=VALUE", .many = image, .count = &ni, .max = MAX_PROPS,
	  .help = "an image property (hw_mem_encryption, hw_mem_encryption_model,\n"
		  "hw_machine_type, hw_firmware_type, hw_firmware_stateless,\n"
		  "hw_disk_bus, hw_cdrom_bus)" },
	{ .name = NULL },
};

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_request req;
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0)
		return code;
	if ((err = sevslot_request_translate(cli->ctx, flavor, image, &req)) < 0)
		return cli_fail(cmd, cli, err);
	err = sv_format_request(&req, cli->json, &text);
	return (code = cli_print(cmd, err, text)) >= 0 ? code : EX_OK;
}

const struct cli_command cli_request_cmd = {
	.name = "request",
	.args = "",
	.opts = opts,
	.summary = "turn hw:mem_encryption properties into a slot request",
	.json = "print {\"requested\", \"model\", \"resources\", \"required_traits\"}",
	.details =
		"Exit 0 with the request (or 'no memory encryption requested'); 65 when the\n"
		"properties conflict or ask for what SEV cannot run (not q35, not UEFI, IDE;\n"
		"amd-sev-snp without hw_firmware_stateless=true, as nova requires).\n",
	.run = run,
};
