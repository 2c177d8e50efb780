/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ASID pools by the kernel's arithmetic (arch/x86/kvm/svm/sev.c): SEV gets
 * EDX..ECX, SEV-ES and SEV-SNP share 1..EDX-1, ciphertext_hiding_asids=N
 * gives SNP 1..N; with SNP on, SEV-ES guests cannot launch (CVE-2025-48514).
 */
#include "harness.h"

#include "output.h"
#include "probe.h"

/* A host whose CPU offers everything and whose kvm_amd enables `es`/`snp`. */
static struct sevslot_host host(uint32_t ecx, uint32_t edx, bool es, bool snp, int64_t cth)
{
	struct sevslot_host h;

	memset(&h, 0, sizeof(h));
	h.cpu.sev = h.cpu.sev_es = h.cpu.sev_snp = true;
	h.cpu.max_asid = ecx;
	h.cpu.min_sev_asid = edx;
	h.kernel.sev = SEVSLOT_PARAM_Y;
	h.kernel.sev_es = es ? SEVSLOT_PARAM_Y : SEVSLOT_PARAM_N;
	h.kernel.sev_snp = snp ? SEVSLOT_PARAM_Y : SEVSLOT_PARAM_N;
	h.kernel.ciphertext_hiding_asids = cth;
	return h;
}

static void expect_pool(const struct sevslot_host *h, enum sevslot_pool_id id, uint32_t cap,
			uint32_t lo, uint32_t hi, bool usable)
{
	const struct sevslot_pool *p = &h->pools[id];

	if (!p->present || p->capacity != cap || p->asid_min != lo || p->asid_max != hi ||
	    p->usable != usable)
		fail_msg("pool %s: present %d capacity %u ASIDs %u-%u usable %d; want capacity %u "
			 "ASIDs %u-%u usable %d",
			 sevslot_pool_name(id), p->present, p->capacity, p->asid_min, p->asid_max,
			 p->usable, cap, lo, hi, usable);
}

static void expect_model(const struct sevslot_host *h, enum sevslot_model m,
			 enum sevslot_pool_id pool, bool usable)
{
	if (h->models[m].pool != pool || h->models[m].usable != usable)
		fail_msg("model %s: pool %s usable %d; want pool %s usable %d",
			 sevslot_model_name(m), sevslot_pool_name(h->models[m].pool),
			 h->models[m].usable, sevslot_pool_name(pool), usable);
}

static void test_pools_milan_splits_at_edx(void **state)
{
	struct sevslot_host h = host(509, 8, true, false, -1);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 502, 8, 509, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 7, 1, 7, true);
	assert_false(h.pools[SEVSLOT_POOL_SEV_SNP].present);
	expect_model(&h, SEVSLOT_MODEL_SEV, SEVSLOT_POOL_SEV, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, false);
	assert_true(h.usable);
}

static void test_pools_ecx_zero_means_no_sev(void **state)
{
	struct sevslot_host h = host(0, 8, true, true, -1);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 0, 0, 0, false);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 0, 0, 0, false);
	assert_false(h.pools[SEVSLOT_POOL_SEV_SNP].present);
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		assert_false(h.models[m].usable);
	assert_false(h.usable);
}

static void test_pools_edx_above_ecx_empties_the_sev_pool(void **state)
{
	struct sevslot_host h = host(99, 100, true, false, -1);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 0, 0, 0, false);
	expect_model(&h, SEVSLOT_MODEL_SEV, SEVSLOT_POOL_SEV, false);
	/* The kernel still hands SEV-ES ASIDs 1..EDX-1. */
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 99, 1, 99, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, true);
	assert_true(h.usable);
}

static void test_pools_edx_equal_ecx_is_one_sev_slot(void **state)
{
	struct sevslot_host h = host(16, 16, true, false, -1);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 1, 16, 16, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 15, 1, 15, true);
}

static void test_pools_edx_one_means_no_sev_es(void **state)
{
	/* Rome 7742 and Genoa 9124 as published: EDX 1. */
	struct sevslot_host h = host(509, 1, true, false, -1);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 509, 1, 509, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 0, 0, 0, false);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, false);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, false);
	/* ... and with SNP enabled there is still no ASID for it. */
	h = host(1006, 1, false, true, -1);
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 1006, 1, 1006, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, false);
}

static void test_pools_ciphertext_hiding_splits_es_range(void **state)
{
	/* Dell R7515 numbers: EDX 100. SNP 1..40, SEV-ES 41..99. */
	struct sevslot_host h = host(509, 100, false, true, 40);

	(void)state;
	sv_pools_derive(&h);
	expect_pool(&h, SEVSLOT_POOL_SEV, 410, 100, 509, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_SNP, 40, 1, 40, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 59, 41, 99, false);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_SNP, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, false);
}

static void test_pools_ciphertext_hiding_is_capped_at_edx_minus_1(void **state)
{
	static const int64_t too_many[] = { 99, 100, 4294967295, INT64_MAX /* "max" */ };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(too_many); i++) {
		struct sevslot_host h = host(509, 100, false, true, too_many[i]);

		sv_pools_derive(&h);
		expect_pool(&h, SEVSLOT_POOL_SEV_SNP, 99, 1, 99, true);
		expect_pool(&h, SEVSLOT_POOL_SEV_ES, 0, 0, 0, false);
		expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_SNP, true);
	}
}

static void test_pools_ciphertext_hiding_zero_or_absent_does_not_split(void **state)
{
	static const int64_t off[] = { 0, -1 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(off); i++) {
		struct sevslot_host h = host(509, 100, false, true, off[i]);

		sv_pools_derive(&h);
		assert_false(h.pools[SEVSLOT_POOL_SEV_SNP].present);
		expect_pool(&h, SEVSLOT_POOL_SEV_ES, 99, 1, 99, true);
		expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, true);
	}
}

static void test_pools_ciphertext_hiding_needs_an_es_range(void **state)
{
	struct sevslot_host h = host(509, 1, false, true, 40);

	(void)state;
	sv_pools_derive(&h);
	assert_false(h.pools[SEVSLOT_POOL_SEV_SNP].present);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, false);
}

static void test_pools_snp_enabled_excludes_sev_es(void **state)
{
	struct sevslot_host h = host(509, 100, true, true, -1);

	(void)state;
	sv_pools_derive(&h);
	/* Same shared pool: SNP may use it, SEV-ES may not (fixed CVE-2025-48514 firmware). */
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, false);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, true);
	expect_model(&h, SEVSLOT_MODEL_SEV, SEVSLOT_POOL_SEV, true);
	expect_pool(&h, SEVSLOT_POOL_SEV_ES, 99, 1, 99, true);
	/* SNP off: SEV-ES comes back. */
	h = host(509, 100, true, false, -1);
	sv_pools_derive(&h);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, true);
	expect_model(&h, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_POOL_SEV_ES, false);
}

static void test_pools_models_need_cpu_and_kvm(void **state)
{
	struct sevslot_host h = host(509, 8, true, false, -1);

	(void)state;
	h.kernel.sev = SEVSLOT_PARAM_N;
	sv_pools_derive(&h);
	expect_model(&h, SEVSLOT_MODEL_SEV, SEVSLOT_POOL_SEV, false);
	expect_pool(&h, SEVSLOT_POOL_SEV, 502, 8, 509, false);
	expect_model(&h, SEVSLOT_MODEL_SEV_ES, SEVSLOT_POOL_SEV_ES, true);

	h = host(509, 8, true, false, -1);
	h.kernel.sev = h.kernel.sev_es = SEVSLOT_PARAM_ABSENT;
	sv_pools_derive(&h);
	assert_false(h.usable);

	h = host(509, 8, true, true, -1);
	h.cpu.sev = h.cpu.sev_es = h.cpu.sev_snp = false;
	sv_pools_derive(&h);
	assert_false(h.usable);
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		assert_false(h.models[m].usable);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pools_milan_splits_at_edx),
		cmocka_unit_test(test_pools_ecx_zero_means_no_sev),
		cmocka_unit_test(test_pools_edx_above_ecx_empties_the_sev_pool),
		cmocka_unit_test(test_pools_edx_equal_ecx_is_one_sev_slot),
		cmocka_unit_test(test_pools_edx_one_means_no_sev_es),
		cmocka_unit_test(test_pools_ciphertext_hiding_splits_es_range),
		cmocka_unit_test(test_pools_ciphertext_hiding_is_capped_at_edx_minus_1),
		cmocka_unit_test(test_pools_ciphertext_hiding_zero_or_absent_does_not_split),
		cmocka_unit_test(test_pools_ciphertext_hiding_needs_an_es_range),
		cmocka_unit_test(test_pools_snp_enabled_excludes_sev_es),
		cmocka_unit_test(test_pools_models_need_cpu_and_kvm),
	};

	return cmocka_run_group_tests_name("pools", tests, NULL, NULL);
}
