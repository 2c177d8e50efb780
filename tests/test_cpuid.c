/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPUID: the `cpuid -1 -r` recording parser and the decoder of the leaves
 * SEV needs. Register values are the published ones listed in FACTS.md.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"
#include "run.h"

#define VENDOR_AMD "ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65"

/* EPYC 7313 (Milan), as in tests/fixtures/hosts/epyc-7313-milan. */
static const char milan[] =
	"CPU:\n"
	"   0x00000000 0x00: eax=0x00000010 " VENDOR_AMD "\n"
	"   0x00000001 0x00: eax=0x00a00f11 ebx=0x00200800 ecx=0x7ef8320b edx=0x178bfbff\n"
	"   0x80000000 0x00: eax=0x80000023 " VENDOR_AMD "\n"
	"   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n";

static void parse_ok(const char *text, struct sv_cpuid_table *t)
{
	char why[192] = "";
	int err = sv_cpuid_parse_recording(text, strlen(text), t, why, sizeof(why));

	if (err != 0)
		fail_msg("parse failed (%d): %s", err, why);
}

/* Parse text that must be rejected; return the reason in why. */
static void parse_bad(const char *text, char *why, size_t whylen)
{
	struct sv_cpuid_table *t = malloc(sizeof(*t));

	assert_non_null(t);
	why[0] = '\0';
	assert_int_equal(sv_cpuid_parse_recording(text, strlen(text), t, why, whylen), -EBADMSG);
	free(t);
}

static struct sv_cpuid_table *table(void)
{
	struct sv_cpuid_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

static void put(struct sv_cpuid_table *t, uint32_t leaf, uint32_t a, uint32_t b, uint32_t c,
		uint32_t d)
{
	struct sv_cpuid_leaf *l = &t->leaves[t->n++];

	l->leaf = leaf;
	l->subleaf = 0;
	l->r[0] = a;
	l->r[1] = b;
	l->r[2] = c;
	l->r[3] = d;
}

/* A table for vendor AuthenticAMD, signature `sig`, leaf 0x8000001F a..d. */
static struct sv_cpuid_table *amd(uint32_t sig, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct sv_cpuid_table *t = table();

	put(t, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	put(t, 1, sig, 0, 0, 0);
	put(t, 0x80000000u, 0x80000023u, 0, 0, 0);
	put(t, 0x8000001Fu, a, b, c, d);
	return t;
}

/* ------------------------------------------------------- recording parser */

static void test_cpuid_recording_reads_every_register_of_a_leaf(void **state)
{
	struct sv_cpuid_table *t = table();
	const struct sv_cpuid_leaf *l;

	(void)state;
	parse_ok(milan, t);
	assert_int_equal(t->n, 4);
	l = sv_cpuid_find(t, 0x8000001Fu, 0);
	assert_non_null(l);
	assert_int_equal(l->r[0], 0x0001007f);
	assert_int_equal(l->r[1], 0x00004173);
	assert_int_equal(l->r[2], 0x000001fd);
	assert_int_equal(l->r[3], 0x00000008);
	l = sv_cpuid_find(t, 1, 0);
	assert_non_null(l);
	assert_int_equal(l->r[0], 0x00a00f11);
	free(t);
}

static void test_cpuid_recording_ignores_cpu_header_lines(void **state)
{
	struct sv_cpuid_table *t = table();

	(void)state;
	parse_ok("CPU:\nCPU 0:\n   (some text cpuid may print)\n"
		 "   0x00000001 0x00: eax=0x00000001 ebx=0x00000002 ecx=0x00000003 edx=0x00000004\n"
		 "CPU 1:\n",
		 t);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->leaves[0].leaf, 1);
	assert_int_equal(t->leaves[0].r[3], 4);
	free(t);
}

static void test_cpuid_recording_first_occurrence_of_a_leaf_wins(void **state)
{
	struct sv_cpuid_table *t = table();
	const struct sv_cpuid_leaf *l;

	(void)state;
	/* `cpuid -r` without -1 prints every CPU: CPU 0 is the one that counts. */
	parse_ok("CPU 0:\n"
		 "   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n"
		 "CPU 1:\n"
		 "   0x8000001f 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n",
		 t);
	assert_int_equal(t->n, 1);
	l = sv_cpuid_find(t, 0x8000001Fu, 0);
	assert_non_null(l);
	assert_int_equal(l->r[2], 0x1fd);
	free(t);
}

static void test_cpuid_recording_keeps_subleaves_apart(void **state)
{
	struct sv_cpuid_table *t = table();

	(void)state;
	parse_ok("   0x00000007 0x00: eax=0x00000001 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n"
		 "   0x00000007 0x01: eax=0x00000002 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n",
		 t);
	assert_int_equal(t->n, 2);
	assert_int_equal(sv_cpuid_find(t, 7, 0)->r[0], 1);
	assert_int_equal(sv_cpuid_find(t, 7, 1)->r[0], 2);
	assert_null(sv_cpuid_find(t, 7, 2));
	free(t);
}

static void test_cpuid_recording_accepts_crlf_and_no_final_newline(void **state)
{
	struct sv_cpuid_table *t = table();

	(void)state;
	parse_ok("CPU:\r\n"
		 "   0x00000000 0x00: eax=0x00000010 " VENDOR_AMD "\r\n"
		 "   0x00000001 0x00: eax=0x00a00f11 ebx=0x00000000 ecx=0x00000000 edx=0x00000000",
		 t);
	assert_int_equal(t->n, 2);
	assert_int_equal(sv_cpuid_find(t, 1, 0)->r[0], 0x00a00f11);
	free(t);
}

static void test_cpuid_recording_empty_text_is_an_empty_table(void **state)
{
	struct sv_cpuid_table *t = table();

	(void)state;
	t->n = 99;
	parse_ok("", t);
	assert_int_equal(t->n, 0);
	assert_null(sv_cpuid_find(t, 0, 0));
	free(t);
}

static void test_cpuid_recording_rejects_garbage_leaf_line_naming_it(void **state)
{
	char why[192];

	(void)state;
	parse_bad("CPU:\n"
		  "   0x00000000 0x00: eax=0x00000010 " VENDOR_AMD "\n"
		  "   0x8000001f 0x00: eax=0x0001007f ebx=zzz ecx=0x000001fd edx=0x00000008\n",
		  why, sizeof(why));
	assert_contains(why, "line 3:");
}

static void test_cpuid_recording_rejects_truncated_line(void **state)
{
	char why[192];

	(void)state;
	parse_bad("CPU:\n   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173\n", why, sizeof(why));
	assert_contains(why, "line 2:");
	parse_bad("   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x", why,
		  sizeof(why));
	assert_contains(why, "line 1:");
	parse_bad("   0x8000001f 0x00", why, sizeof(why));
	assert_contains(why, "line 1:");
	parse_bad("   0x8000001f", why, sizeof(why));
	assert_contains(why, "line 1:");
}

static void test_cpuid_recording_rejects_more_than_8_hex_digits(void **state)
{
	char why[192];

	(void)state;
	/* 0x000000001 is 1 in value but 9 digits long: not what cpuid prints. */
	parse_bad("   0x8000001f 0x00: eax=0x000000001 ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n",
		  why, sizeof(why));
	assert_contains(why, "line 1:");
	parse_bad("   0x8000001f 0x00: eax=0x123456789 ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n",
		  why, sizeof(why));
	parse_bad("   0x08000001f 0x00: eax=0x00000001 ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n",
		  why, sizeof(why));
	parse_bad("   0x8000001f 0x00: eax=0x00000001 ebx=0x00004173 ecx=0x000001fd edx=0x000000000000000000008\n",
		  why, sizeof(why));
}

static void test_cpuid_recording_rejects_trailing_text_and_wrong_register_order(void **state)
{
	char why[192];

	(void)state;
	parse_bad("   0x8000001f 0x00: eax=0x00000001 ebx=0x00000002 ecx=0x00000003 edx=0x00000004 x\n",
		  why, sizeof(why));
	parse_bad("   0x8000001f 0x00: ebx=0x00000001 eax=0x00000002 ecx=0x00000003 edx=0x00000004\n",
		  why, sizeof(why));
	parse_bad("   0x8000001f 0x00 eax=0x00000001 ebx=0x00000002 ecx=0x00000003 edx=0x00000004\n",
		  why, sizeof(why));
	assert_contains(why, "line 1:");
}

/* ---------------------------------------------------------------- decoder */

static void test_cpuid_decode_milan_from_recording(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	parse_ok(milan, t);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.read);
	assert_string_equal(cpu.vendor, "AuthenticAMD");
	assert_int_equal(cpu.family, 0x19);
	assert_int_equal(cpu.model, 0x01);
	assert_int_equal(cpu.stepping, 1);
	assert_int_equal(cpu.max_ext_leaf, 0x80000023u);
	assert_int_equal(cpu.eax, 0x0001007f);
	assert_true(cpu.sme);
	assert_true(cpu.sev);
	assert_true(cpu.sev_es);
	assert_true(cpu.sev_snp);
	assert_true(cpu.vmpl);
	assert_int_equal(cpu.cbitpos, 51);
	assert_int_equal(cpu.reduced_phys_bits, 5);
	assert_int_equal(cpu.vmpls, 4);
	assert_int_equal(cpu.max_asid, 509);
	assert_int_equal(cpu.min_sev_asid, 8);
	free(t);
}

static void test_cpuid_decode_vendor_hygon(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	/* "Hygo" "nGen" "uine" in EBX, EDX, ECX. */
	put(t, 0, 0xd, 0x6f677948, 0x656e6975, 0x6e65476e);
	sv_cpuid_decode(t, &cpu);
	assert_string_equal(cpu.vendor, "HygonGenuine");
	free(t);
}

static void test_cpuid_decode_vendor_is_kept_printable(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	put(t, 0, 0, 0x01414141 /* ebx */, 0x43434343 /* ecx */, 0x42424242 /* edx */);
	sv_cpuid_decode(t, &cpu);
	assert_string_equal(cpu.vendor, "AAA?BBBBCCCC");
	free(t);
}

static void test_cpuid_decode_family_adds_extended_family(void **state)
{
	static const struct {
		uint32_t sig, family, model, stepping;
	} cases[] = {
		{ 0x00800F12, 0x17, 0x01, 2 }, /* EPYC 7551P, Naples */
		{ 0x00830F10, 0x17, 0x31, 0 }, /* EPYC 7742, Rome */
		{ 0x00A00F11, 0x19, 0x01, 1 }, /* EPYC 7313, Milan */
		{ 0x00A10F11, 0x19, 0x11, 1 }, /* EPYC 9124, Genoa */
		{ 0x00B00F21, 0x1A, 0x02, 1 }, /* EPYC 9655, Turin */
		/* Family 6 (as on Intel) also takes the extended model, as Linux does. */
		{ 0x000C06F2, 0x6, 0xCF, 2 },
		/* Other base families: extended family and model are reserved. */
		{ 0x00F1058A, 0x5, 0x08, 0xA },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sv_cpuid_table *t = amd(cases[i].sig, 0, 0, 0, 0);
		struct sevslot_cpu cpu;

		sv_cpuid_decode(t, &cpu);
		if (cpu.family != cases[i].family || cpu.model != cases[i].model ||
		    cpu.stepping != cases[i].stepping)
			fail_msg("signature 0x%08x: family %#x model %#x stepping %u, want %#x %#x %u",
				 cases[i].sig, cpu.family, cpu.model, cpu.stepping, cases[i].family,
				 cases[i].model, cases[i].stepping);
		free(t);
	}
}

static void test_cpuid_decode_ebx_fields(void **state)
{
	struct sv_cpuid_table *t;
	struct sevslot_cpu cpu;

	(void)state;
	/* Genoa: EBX 0x41B3 is C-bit 51, reduction 6, 4 VMPLs. */
	t = amd(0x00A10F11, 0x030FFFFB, 0x000041B3, 0x3EE, 1);
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.cbitpos, 51);
	assert_int_equal(cpu.reduced_phys_bits, 6);
	assert_int_equal(cpu.vmpls, 4);
	free(t);
	/* Every field at its maximum, with bits above 15 set: they must not leak in. */
	t = amd(0x00A10F11, 0x2, 0xFFFFFFFF, 1, 1);
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.cbitpos, 63);
	assert_int_equal(cpu.reduced_phys_bits, 63);
	assert_int_equal(cpu.vmpls, 15);
	free(t);
	/* Naples: EBX 0x16F is C-bit 47, reduction 5, no VMPLs. */
	t = amd(0x00800F12, 0xF, 0x16F, 0xF, 1);
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.cbitpos, 47);
	assert_int_equal(cpu.reduced_phys_bits, 5);
	assert_int_equal(cpu.vmpls, 0);
	free(t);
}

static void test_cpuid_decode_eax_bits_ecx_edx(void **state)
{
	struct sv_cpuid_table *t;
	struct sevslot_cpu cpu;

	(void)state;
	/* Rome: SME, SEV, page flush, SEV-ES; no SNP; 509 guests, EDX 1. */
	t = amd(0x00830F10, 0x0001000F, 0x16F, 0x1FD, 1);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.sme && cpu.sev && cpu.sev_es);
	assert_false(cpu.sev_snp);
	assert_false(cpu.vmpl);
	assert_int_equal(cpu.max_asid, 509);
	assert_int_equal(cpu.min_sev_asid, 1);
	assert_int_equal(cpu.ecx, 0x1FD);
	assert_int_equal(cpu.edx, 1);
	free(t);
	/* Each bit on its own. */
	t = amd(0x00A00F11, 1u << 1, 0, 0, 0);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.sev);
	assert_false(cpu.sme || cpu.sev_es || cpu.sev_snp || cpu.vmpl);
	free(t);
	t = amd(0x00A00F11, 1u << 4, 0, 0, 0);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.sev_snp);
	assert_false(cpu.sme || cpu.sev || cpu.sev_es || cpu.vmpl);
	free(t);
	t = amd(0x00A00F11, 1u << 5, 0, 0, 0);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.vmpl);
	assert_false(cpu.sme || cpu.sev || cpu.sev_es || cpu.sev_snp);
	free(t);
}

static void test_cpuid_decode_max_ext_leaf_below_8000001f_reads_zeros(void **state)
{
	struct sv_cpuid_table *t = amd(0x00A00F11, 0x0001007f, 0x4173, 0x1fd, 8);
	struct sevslot_cpu cpu;

	(void)state;
	/* The CPU stops at 0x80000008: what sits at 0x8000001F is another leaf. */
	t->leaves[2].r[0] = 0x80000008u;
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.max_ext_leaf, 0x80000008u);
	assert_int_equal(cpu.eax | cpu.ebx | cpu.ecx | cpu.edx, 0);
	assert_false(cpu.sev || cpu.sme);
	assert_int_equal(cpu.max_asid, 0);
	/* Exactly 0x8000001F is enough. */
	t->leaves[2].r[0] = 0x8000001Fu;
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.max_asid, 0x1fd);
	assert_true(cpu.sev);
	free(t);
}

static void test_cpuid_decode_without_ext_max_trusts_the_recording(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	put(t, 0x8000001Fu, 0x3, 0x16F, 0xF, 1);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.read);
	assert_true(cpu.sev);
	assert_int_equal(cpu.max_asid, 15);
	free(t);
}

static void test_cpuid_decode_unlisted_leaves_read_zeros(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	sv_cpuid_decode(t, &cpu);
	assert_false(cpu.read);
	assert_string_equal(cpu.vendor, "");
	assert_int_equal(cpu.family, 0);
	assert_false(cpu.sev);
	put(t, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.read);
	assert_string_equal(cpu.vendor, "AuthenticAMD");
	assert_int_equal(cpu.max_asid, 0);
	free(t);
}

static void test_cpuid_decode_es_and_snp_generation(void **state)
{
	static const struct {
		const char *what;
		uint32_t sig, eax;
		bool es, snp;
	} cases[] = {
		{ "Zen 1 without the SEV-ES bit", 0x00800F12, 0x7, false, false },
		/* The published Naples leaf (EAX 0xF) does carry the SEV-ES bit. */
		{ "Naples", 0x00800F12, 0xF, true, false },
		{ "Rome", 0x00830F10, 0x1000F, true, false },
		{ "Rome with SEV-ES off", 0x00830F10, 0x3, true, false },
		{ "Milan with SNP off", 0x00A00F11, 0x3, true, true },
		{ "Turin", 0x00B00F21, 0x3, true, true },
		{ "Zen 1 claiming SNP", 0x00800F12, 0x1B, true, true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sv_cpuid_table *t = amd(cases[i].sig, cases[i].eax, 0x16F, 0xF, 1);
		struct sevslot_cpu cpu;

		sv_cpuid_decode(t, &cpu);
		if (cpu.es_generation != cases[i].es || cpu.snp_generation != cases[i].snp)
			fail_msg("%s: es_generation %d snp_generation %d, want %d %d", cases[i].what,
				 cpu.es_generation, cpu.snp_generation, cases[i].es, cases[i].snp);
		free(t);
	}
}

static void test_cpuid_decode_hygon_generation_follows_the_bits(void **state)
{
	struct sv_cpuid_table *t = table();
	struct sevslot_cpu cpu;

	(void)state;
	/* Hygon Dhyana: family 18h. Its generation is not inferred from AMD's. */
	put(t, 0, 0xd, 0x6f677948, 0x656e6975, 0x6e65476e);
	put(t, 1, 0x00900F01, 0, 0, 0);
	put(t, 0x8000001Fu, 0x3, 0x16F, 0xF, 1);
	sv_cpuid_decode(t, &cpu);
	assert_int_equal(cpu.family, 0x18);
	assert_false(cpu.es_generation);
	assert_false(cpu.snp_generation);
	t->leaves[2].r[0] = 0xB;
	sv_cpuid_decode(t, &cpu);
	assert_true(cpu.es_generation);
	assert_false(cpu.snp_generation);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_recording_reads_every_register_of_a_leaf),
		cmocka_unit_test(test_cpuid_recording_ignores_cpu_header_lines),
		cmocka_unit_test(test_cpuid_recording_first_occurrence_of_a_leaf_wins),
		cmocka_unit_test(test_cpuid_recording_keeps_subleaves_apart),
		cmocka_unit_test(test_cpuid_recording_accepts_crlf_and_no_final_newline),
		cmocka_unit_test(test_cpuid_recording_empty_text_is_an_empty_table),
		cmocka_unit_test(test_cpuid_recording_rejects_garbage_leaf_line_naming_it),
		cmocka_unit_test(test_cpuid_recording_rejects_truncated_line),
		cmocka_unit_test(test_cpuid_recording_rejects_more_than_8_hex_digits),
		cmocka_unit_test(test_cpuid_recording_rejects_trailing_text_and_wrong_register_order),
		cmocka_unit_test(test_cpuid_decode_milan_from_recording),
		cmocka_unit_test(test_cpuid_decode_vendor_hygon),
		cmocka_unit_test(test_cpuid_decode_vendor_is_kept_printable),
		cmocka_unit_test(test_cpuid_decode_family_adds_extended_family),
		cmocka_unit_test(test_cpuid_decode_ebx_fields),
		cmocka_unit_test(test_cpuid_decode_eax_bits_ecx_edx),
		cmocka_unit_test(test_cpuid_decode_max_ext_leaf_below_8000001f_reads_zeros),
		cmocka_unit_test(test_cpuid_decode_without_ext_max_trusts_the_recording),
		cmocka_unit_test(test_cpuid_decode_unlisted_leaves_read_zeros),
		cmocka_unit_test(test_cpuid_decode_es_and_snp_generation),
		cmocka_unit_test(test_cpuid_decode_hygon_generation_follows_the_bits),
	};

	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
