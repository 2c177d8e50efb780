/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libvirt domain's XML (what the hook reads from libvirt and `domain check`
 * and `domain apply` from a user): libxml2's parse with the byte spans, the
 * rules for each model, and apply's edit, which must be idempotent: applying
 * to what apply made changes no byte.
 */
#include "domain.h"
#include "fuzz.h"

/* A host that runs every model, C-bit 51, its QEMU known (7.2) or not. */
static void host(struct sevslot_host *h, bool qemu_known)
{
	memset(h, 0, sizeof(*h));
	h->cpu.cbitpos = 51;
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		h->models[m].usable = true;
	h->stack.probed = true;
	h->stack.qemu_path = "/usr/bin/qemu-system-x86_64";
	h->stack.qemu_version = qemu_known ? "7.2" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sevslot_domain *d, *again;
	struct sevslot_domain_report *r;
	struct sevslot_host h;
	char why[512], *once, *twice;
	size_t once_len, twice_len;
	enum sevslot_model m;
	struct sv_launch l;

	if (sv_domain_parse((const char *)data, size, &d, why, sizeof(why)) < 0)
		return 0;
	host(&h, size & 1);
	sv_domain_launch(d, &l);
	(void)sv_launch_model(&l, &m, why, sizeof(why));
	for (int model = -1; model < (int)SEVSLOT_MODEL_COUNT; model++)
		if (sv_domain_judge(d, &h, model, &r, why, sizeof(why)) == 0)
			sevslot_domain_report_free(r);
	m = (enum sevslot_model)(size % SEVSLOT_MODEL_COUNT);
	if (sv_domain_edit(d, &h, m, &once, &once_len, why, sizeof(why)) == 0) {
		if (sv_domain_parse(once, once_len, &again, why, sizeof(why)) < 0)
			abort();        /* apply verified its own output */
		if (sv_domain_edit(again, &h, m, &twice, &twice_len, why, sizeof(why)) != 0 ||
		    twice_len != once_len || memcmp(once, twice, once_len) != 0)
			abort();        /* not idempotent */
		free(twice);
		sevslot_domain_free(again);
		free(once);
	}
	sevslot_domain_free(d);
	return 0;
}
