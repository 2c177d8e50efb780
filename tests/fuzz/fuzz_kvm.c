/* SPDX-License-Identifier: Apache-2.0 */
/* kvm_amd's parameters: sev, sev_es, sev_snp (Y/N/1/0) and ciphertext_hiding_asids. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sevslot_param p;
	char *s = fz_text(data, size);
	int64_t n;

	(void)sv_kvm_parse_bool(s, size, &p);
	(void)sv_kvm_parse_uint(s, size, &n);
	free(s);
	return 0;
}
