/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `domain check` and `domain apply` print: one line per finding (its
 * severity, where the element is, the rule, what to do) and a verdict, or
 * sevslot's JSON: the model, ok, and the findings with their rule ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static size_t count(const struct sevslot_domain_report *r, enum sevslot_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_findings; i++)
		n += r->findings[i].severity == sev;
	return n;
}

static void text(FILE *f, const struct sevslot_domain_report *r, const char *name)
{
	size_t errors = count(r, SEVSLOT_SEVERITY_ERROR), warnings = count(r, SEVSLOT_SEVERITY_WARNING);
	const char *model = r->model >= 0 ? sevslot_model_name((enum sevslot_model)r->model) : NULL;

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct sevslot_domain_finding *x = &r->findings[i];

		fprintf(f, "%-7s <%s>%s%s: %s: %s; %s\n", sevslot_severity_name(x->severity),
			x->element, x->target[0] != '\0' ? " " : "", x->target, x->rule, x->message,
			x->fix);
	}
	if (r->ok)
		fprintf(f, "ok: %s can run as an %s guest on this host (%zu warning%s)\n",
			name != NULL ? name : "the domain", model, warnings, warnings == 1 ? "" : "s");
	else
		fprintf(f, "not ok: %s breaks %zu rule%s for an %s guest on this host (%zu warning%s)\n",
			name != NULL ? name : "the domain", errors, errors == 1 ? "" : "s",
			model != NULL ? model : "SEV", warnings, warnings == 1 ? "" : "s");
}

int sv_format_domain_check(const struct sevslot_domain_report *r, const char *name, bool json,
			   char **out)
{
	struct sv_json w = { .depth = 0 };
	size_t len;
	FILE *f;

	if (!json) {
		*out = NULL;
		if ((f = open_memstream(out, &len)) == NULL)
			return -ENOMEM;
		text(f, r, name);
		return sv_memstream_close(f, out);
	}
	sv_json_object(&w, NULL);
	sv_json_string(&w, "name", name);
	sv_json_string(&w, "model", r->model >= 0 ? sevslot_model_name((enum sevslot_model)r->model) :
						      NULL);
	sv_json_bool(&w, "ok", r->ok);
	sv_json_bool(&w, "model_usable", r->model_usable);
	sv_json_array(&w, "findings");
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct sevslot_domain_finding *x = &r->findings[i];

		sv_json_object(&w, NULL);
		sv_json_string(&w, "rule", x->rule);
		sv_json_string(&w, "severity", sevslot_severity_name(x->severity));
		sv_json_string(&w, "element", x->element);
		sv_json_string(&w, "target", x->target[0] != '\0' ? x->target : NULL);
		sv_json_string(&w, "message", x->message);
		sv_json_string(&w, "fix", x->fix);
		sv_json_end_object(&w);
	}
	sv_json_end_array(&w);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

int sv_format_domain_apply(enum sevslot_model model, const char *xml, bool changed, bool json,
			   char **out)
{
	struct sv_json w = { .depth = 0 };

	if (!json)
		return sv_asprintf(out, "%s", xml);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "model", sevslot_model_name(model));
	sv_json_bool(&w, "changed", changed);
	sv_json_string(&w, "xml", xml);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}
