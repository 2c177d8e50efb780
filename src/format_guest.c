/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a guest asks for (a request translated from flavor and image
 * properties) and what libvirt is given for it (<launchSecurity>), as text
 * and as sevslot's JSON.
 */
#include <stdio.h>

#include "output.h"

int sv_format_request(const struct sevslot_request *req, bool json, char **out)
{
	struct sv_json w = { .flat = true };

	if (!json)
		return req->requested ?
			       sv_asprintf(out, "model=%s\nresources:MEM_ENCRYPTION_CONTEXT=1\n"
					   "trait:%s=required\n", sevslot_model_name(req->model),
					   sevslot_model_trait(req->model)) :
			       sv_asprintf(out, "no memory encryption requested\n");
	sv_json_object(&w, NULL);
	sv_json_bool(&w, "requested", req->requested);
	if (req->requested) {
		sv_json_string(&w, "model", sevslot_model_name(req->model));
		sv_json_object(&w, "resources");
		sv_json_int(&w, "MEM_ENCRYPTION_CONTEXT", 1);
		sv_json_end_object(&w);
		sv_json_array(&w, "required_traits");
		sv_json_string(&w, NULL, sevslot_model_trait(req->model));
		sv_json_end_array(&w);
	}
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

int sv_format_launch_security(const struct sevslot_host *host, enum sevslot_model model,
			      uint64_t policy, const char *xml, bool json, char **out)
{
	struct sv_json w = { .flat = true };

	if (!json)
		return sv_asprintf(out, "%s", xml);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "model", sevslot_model_name(model));
	sv_json_int(&w, "policy", (int64_t)policy);
	sv_json_int(&w, "cbitpos", host->cpu.cbitpos);
	sv_json_int(&w, "reduced_phys_bits", 1);
	sv_json_string(&w, "xml", xml);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}
