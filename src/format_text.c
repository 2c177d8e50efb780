/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe report for people: the checks as a tree, the pools and models,
 * and a last line that says "usable" or "not usable" and why; and the line
 * that tells where a snapshot of this host went.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static const char *section(const char *id)
{
	static const struct {
		const char *prefix, *title;
	} titles[] = {
		{ "cpu.", "Processor" },	{ "enabled.", "Enabled by firmware (BIOS)" },
		{ "kvm.", "Kernel (KVM)" }, { "asids.", "ASID pools" },
		{ "firmware.", "PSP firmware (/dev/sev)" }, { "host.", "Host" },
		{ "stack.", "Userspace (QEMU and its firmware)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(titles); i++)
		if (strncmp(id, titles[i].prefix, strlen(titles[i].prefix)) == 0)
			return titles[i].title;
	return "Other";
}

/*
 * Whether a check speaks about SEV as a whole rather than about one of the
 * later models (SEV-ES, SEV-SNP) or a cross-check: the verdict of an unusable
 * host names the first failure about SEV itself, where the trouble starts.
 */
static bool about_sev(const struct sevslot_check *c)
{
	static const char *const specific[] = { "sev_es", "sev_snp", "es_with_snp", "snp_status",
						"ciphertext_hiding", "misc_cgroup", "in_use" };
	const char *leaf = strrchr(c->id, '.');

	leaf = leaf != NULL ? leaf + 1 : c->id;
	for (size_t i = 0; i < ARRAY_SIZE(specific); i++)
		if (strcmp(leaf, specific[i]) == 0)
			return false;
	return true;
}

/* The stack says whether a model can boot, never whether the host can run it. */
static bool about_stack(const struct sevslot_check *c)
{
	return strncmp(c->id, "stack.", 6) == 0;
}

static const struct sevslot_check *first_with(const struct sevslot_host *h,
					       enum sevslot_status status, bool sev_only)
{
	for (size_t i = 0; i < h->n_checks; i++)
		if (h->checks[i].status == status && !about_stack(&h->checks[i]) &&
		    (!sev_only || about_sev(&h->checks[i])))
			return &h->checks[i];
	return NULL;
}

static void verdict(FILE *f, const struct sevslot_host *h)
{
	const struct sevslot_check *first;
	const char *sep = "";

	if (h->usable) {
		fputs("Verdict: usable:", f);
		for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
			if (!h->models[m].usable)
				continue;
			fprintf(f, "%s %s (%u slots)", sep, sevslot_model_name(m),
				h->pools[h->models[m].pool].capacity);
			sep = ",";
		}
		fputc('\n', f);
		return;
	}
	first = first_with(h, SEVSLOT_FAIL, true);
	if (first == NULL)
		first = first_with(h, SEVSLOT_FAIL, false);
	if (first == NULL)
		first = first_with(h, SEVSLOT_UNKNOWN, false);
	if (first != NULL)
		fprintf(f, "Verdict: not usable: %s\n", first->message);
	else
		fputs("Verdict: not usable: no SEV model has a CPU bit, a kernel parameter and ASIDs together\n", f);
	if (first != NULL && first->hint != NULL)
		fprintf(f, "  what to do: %s\n", first->hint);
}

SEVSLOT_EXPORT int sevslot_host_to_text(const struct sevslot_host *h, char **out)
{
	const char *last = NULL;
	size_t len;
	FILE *f;

	*out = NULL;
	f = open_memstream(out, &len);
	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_checks; i++) {
		const struct sevslot_check *c = &h->checks[i];
		const char *title = section(c->id);

		if (last == NULL || strcmp(last, title) != 0)
			fprintf(f, "%s%s\n", last == NULL ? "" : "\n", title);
		last = title;
		fprintf(f, "%*s[%-7s] %s\n", 2 + 2 * (int)c->level, "", sevslot_status_name(c->status),
			c->message);
		if (c->hint != NULL)
			fprintf(f, "%*s  hint: %s\n", 12 + 2 * (int)c->level, "", c->hint);
	}
	fputs("\nPools\n", f);
	for (unsigned i = 0; i < SEVSLOT_POOL_COUNT; i++) {
		const struct sevslot_pool *p = &h->pools[i];

		if (!p->present)
			continue;
		if (p->capacity > 0)
			fprintf(f, "  %-8s %5u slots  ASIDs %u-%u%s\n", sevslot_pool_name(i),
				p->capacity, p->asid_min, p->asid_max, p->usable ? "" : "  (not usable)");
		else
			fprintf(f, "  %-8s %5u slots\n", sevslot_pool_name(i), 0u);
	}
	fputs("\nModels\n", f);
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		fprintf(f, "  %-12s pool %-8s %s%s\n", sevslot_model_name(m),
			sevslot_pool_name(h->models[m].pool),
			h->models[m].usable ? "usable" : "not usable",
			!h->models[m].usable || !h->stack.probed ? "" :
			h->stack.ready[m] ? ", ready to boot" : ", not ready to boot (see Userspace)");
	fputc('\n', f);
	verdict(f, h);
	return sv_memstream_close(f, out);
}

/* After `sevslot snapshot DIR`: where it went and how to replay it. */
int sv_format_snapshot(const char *dir, bool json, char **out)
{
	struct sv_json w = { .flat = true };

	if (!json)
		return sv_asprintf(out, "recorded this host into %s; replay it with: "
				   "sevslot --sysroot %s probe\n", dir, dir);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "snapshot", dir);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}
