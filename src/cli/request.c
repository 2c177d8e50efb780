/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot request [--flavor KEY=VALUE]... [--image KEY=VALUE]... [--json]
 *
 * Translate nova-style flavor extra specs and image properties into a slot
 * request: the model to allocate, and the Placement resources and trait.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

#define MAX_PROPS 64

static const char help[] =
	"  --flavor KEY=VALUE  a flavor extra spec (hw:mem_encryption, hw:mem_encryption_model)\n"
	"  --image KEY=VALUE   an image property (hw_mem_encryption, hw_mem_encryption_model,\n"
	"                      hw_machine_type, hw_firmware_type, hw_disk_bus, hw_cdrom_bus)\n"
	"  --json              print {\"requested\", \"model\", \"resources\", \"required_traits\"}\n"
	"Exit 0 with the request (or 'no memory encryption requested'); 65 when the\n"
	"properties conflict or ask for what SEV cannot run (not q35, not UEFI, IDE).\n";

static void print_json(const struct sevslot_request *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "requested", json_object_new_boolean(req->requested));
	if (req->requested) {
		json_object *res = json_object_new_object(), *traits = json_object_new_array();

		json_object_object_add(o, "model", json_object_new_string(sevslot_model_name(req->model)));
		json_object_object_add(res, "MEM_ENCRYPTION_CONTEXT", json_object_new_int(1));
		json_object_object_add(o, "resources", res);
		json_object_array_add(traits, json_object_new_string(sevslot_model_trait(req->model)));
		json_object_object_add(o, "required_traits", traits);
	}
	cli_json_print(o, false);
}

int cmd_request(struct cli *cli, int argc, char **argv)
{
	const char *flavor[MAX_PROPS + 1] = { NULL }, *image[MAX_PROPS + 1] = { NULL };
	size_t nf = 0, ni = 0;
	const struct cli_opt opts[] = {
		{ .name = "flavor", .key = 'f', .many = flavor, .count = &nf, .max = MAX_PROPS },
		{ .name = "image", .key = 'i', .many = image, .count = &ni, .max = MAX_PROPS },
		{ .name = NULL },
	};
	struct sevslot_request req;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "request", opts, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "request: unexpected argument '%s'", argv[0]);
	err = sevslot_request_translate(cli->ctx, flavor, image, &req);
	if (err < 0)
		return cli_fail(cli, err, "request");
	if (cli->json)
		print_json(&req);
	else if (!req.requested)
		printf("no memory encryption requested\n");
	else
		printf("model=%s\nresources:MEM_ENCRYPTION_CONTEXT=1\ntrait:%s=required\n",
		       sevslot_model_name(req.model), sevslot_model_trait(req.model));
	return EX_OK;
}
