/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inventory in the formats schedulers read, from a real host's recording
 * (the Milan 7313 fixture: 502 SEV slots, 7 SEV-ES) and a ledger, through the
 * real binary; and the request and launch-security commands' exit codes.
 */
#include "harness.h"

#include "run.h"
#include "sevslot.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"
#define INTEL "tests/fixtures/hosts/intel-host"

struct env {
	char *dir;
	char ledger[512];
	char config[512];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->dir = h_tmpdir();
	snprintf(e->ledger, sizeof(e->ledger), "%s/ledger.db", e->dir);
	snprintf(e->config, sizeof(e->config), "%s/sevslot.conf", e->dir);
	h_puts(e->dir, "sevslot.conf", "[pool.sev]\nlimit = 100\nreserved = 2\n");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	h_rmtree(e->dir);
	free(e);
	return 0;
}

/* sevslot --sysroot ROOT --ledger L --config C ARGS... */
static struct r_result run(const struct env *e, const char *root, const char *const args[])
{
	const char *argv[32];
	char bin[512];
	size_t n = 0;

	r_build_path(bin, sizeof(bin), "sevslot");
	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = root;
	argv[n++] = "--ledger";
	argv[n++] = e->ledger;
	argv[n++] = "--config";
	argv[n++] = e->config;
	for (size_t i = 0; args[i] != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return r_run(argv);
}

static void allocate(const struct env *e, const char *consumer, const char *model)
{
	const char *args[] = { "allocate", consumer, "--model", model, NULL };
	struct r_result r = run(e, MILAN, args);

	assert_exit(r, 0);
	r_free(&r);
}

static void test_inventory_without_a_ledger_shows_no_allocations(void **state)
{
	const char *args[] = { "inventory", NULL };
	struct r_result r = run(*state, MILAN, args);

	assert_exit(r, 0);
	/* limit 100 caps the 502 SEV slots, 2 of them reserved; no ledger yet. */
	assert_contains(r.out, "amd-sev      sev      yes           100         2\n");
	assert_contains(r.out, "amd-sev-es   sev_es   yes             7         0\n");
	assert_not_contains(r.out, "allocated");
	r_free(&r);
}

static void test_inventory_counts_the_ledger(void **state)
{
	const char *args[] = { "inventory", "--json", NULL };
	struct r_result r;

	allocate(*state, "vm-a", "amd-sev");
	allocate(*state, "vm-b", "amd-sev");
	allocate(*state, "vm-c", "amd-sev-es");
	r = run(*state, MILAN, args);
	assert_exit(r, 0);
	assert_contains(r.out, "\"amd-sev\": {\n      \"capacity\": 502,\n      \"total\": 100,\n"
			       "      \"reserved\": 2,\n      \"allocated\": 2,\n      \"free\": 96,");
	assert_contains(r.out, "\"sev_es\": {\n      \"capacity\": 7,\n      \"total\": 7,\n"
			       "      \"reserved\": 0,\n      \"allocated\": 1,\n      \"free\": 6,");
	r_free(&r);
}

static void test_inventory_placement_names_providers_as_nova_does(void **state)
{
	const char *args[] = { "inventory", "--format", "placement", "--host", "cmp-7", NULL };
	struct r_result r = run(*state, MILAN, args);

	assert_exit(r, 0);
	assert_contains(r.out, "\"name\": \"cmp-7_amd_sev\"");
	assert_contains(r.out, "\"name\": \"cmp-7_amd_sev_es\"");
	/* SNP is not usable on this 6.2 kernel: no provider for it. */
	assert_not_contains(r.out, "amd_sev_snp");
	assert_contains(r.out, "\"HW_CPU_X86_AMD_SEV_ES\"");
	assert_contains(r.out, "\"MEM_ENCRYPTION_CONTEXT\": {\n          \"total\": 100,\n"
			       "          \"reserved\": 2,\n          \"min_unit\": 1,\n"
			       "          \"max_unit\": 1,\n          \"step_size\": 1,\n"
			       "          \"allocation_ratio\": 1.0");
	r_free(&r);
}

/* A usable model limited to 0: no provider, since Placement refuses a total of 0. */
static void test_inventory_placement_leaves_out_a_pool_limited_to_0(void **state)
{
	const char *args[] = { "inventory", "--format", "placement", "--host", "cmp-7", NULL };
	const struct env *e = *state;
	struct r_result r;

	h_puts(e->dir, "sevslot.conf", "[pool.sev_es]\nlimit = 0\n");
	r = run(e, MILAN, args);
	h_puts(e->dir, "sevslot.conf", "[pool.sev]\nlimit = 100\nreserved = 2\n");
	assert_exit(r, 0);
	assert_contains(r.out, "\"name\": \"cmp-7_amd_sev\"");
	assert_not_contains(r.out, "cmp-7_amd_sev_es");
	assert_not_contains(r.out, "\"total\": 0");
	r_free(&r);
}

static void test_inventory_nfd_and_prometheus(void **state)
{
	const char *nfd[] = { "inventory", "--format", "nfd", NULL };
	const char *prom[] = { "inventory", "--format", "prometheus", NULL };
	struct r_result r = run(*state, MILAN, nfd);

	assert_exit(r, 0);
	assert_contains(r.out, "\nfeature.node.kubernetes.io/cpu-security.sev.enabled=true\n");
	assert_contains(r.out, "\nfeature.node.kubernetes.io/cpu-security.sev.es.enabled=true\n");
	assert_contains(r.out, "\nfeature.node.kubernetes.io/cpu-security.sev.snp.enabled=false\n");
	/* Counts are features only: the pool capped by limit 100, less 2 reserved. */
	assert_contains(r.out, "\n# +no-label\nsev.asids=98\n");
	assert_contains(r.out, "\n# +no-label\nsev.encrypted_state_ids=7\n");
	assert_not_contains(r.out, "sev.snp.encrypted_state_ids");
	r_free(&r);
	r = run(*state, MILAN, prom);
	assert_exit(r, 0);
	assert_contains(r.out, "# TYPE sevslot_host_usable gauge\nsevslot_host_usable 1\n");
	assert_contains(r.out, "sevslot_model_usable{model=\"amd-sev-snp\",pool=\"sev_es\"} 0\n");
	assert_contains(r.out, "sevslot_pool_total_slots{pool=\"sev\"} 100\n");
	assert_contains(r.out, "sevslot_pool_capacity_slots{pool=\"sev\"} 502\n");
	r_free(&r);
}

/*
 * Ciphertext hiding (Linux 6.18, ciphertext_hiding_asids=64) splits the
 * SEV-ES range: SNP guests get 64 of its 255 ASIDs. NFD must hear 64 for
 * SNP, under a name of its own, not the 255 misc.capacity gives sev_es.
 */
static void test_inventory_nfd_publishes_the_split_snp_pool(void **state)
{
	const char *args[] = { "inventory", "--format", "nfd", NULL };
	struct r_result r = run(*state, "tests/fixtures/hosts/epyc-9655-turin-cth", args);

	assert_exit(r, 0);
	assert_contains(r.out, "\n# +no-label\nsev.snp.encrypted_state_ids=64\n");
	assert_not_contains(r.out, "255");
	assert_not_contains(r.out, "sev.encrypted_state_ids=");
	r_free(&r);
}

/*
 * --ready-only: a model the host runs but cannot boot (Debian 12's ovmf has no
 * SEV-ES firmware) is not published; the same host without it is.
 */
static void test_inventory_ready_only_withholds_what_cannot_boot(void **state)
{
	static const char *const deb[] = { "inventory", "--format", "placement", "--host", "cmp-7",
					   "--ready-only", NULL };
	static const char *const all[] = { "inventory", "--format", "placement", "--host", "cmp-7",
					   NULL };
	static const char *const text[] = { "inventory", "--ready-only", NULL };
	struct r_result r;

	r = run(*state, "tests/fixtures/hosts/epyc-7313-milan-debian12", deb);
	assert_exit(r, 0);
	assert_contains(r.out, "\"cmp-7_amd_sev\"");
	assert_not_contains(r.out, "cmp-7_amd_sev_es");
	r_free(&r);
	r = run(*state, "tests/fixtures/hosts/epyc-7313-milan-debian12", all);
	assert_exit(r, 0);
	assert_contains(r.out, "\"cmp-7_amd_sev_es\"");
	r_free(&r);
	r = run(*state, "tests/fixtures/hosts/epyc-7313-milan-debian12", text);
	assert_exit(r, 0);
	assert_contains(r.out, "amd-sev-es   sev_es   not ready");
	assert_contains(r.out, "amd-sev-es is usable but not ready to boot here");
	r_free(&r);
	/* No userspace recorded at all: nothing is ready, nothing published. */
	r = run(*state, MILAN, deb);
	assert_exit(r, 0);
	assert_not_contains(r.out, "cmp-7_amd_sev");
	r_free(&r);
}

static void test_inventory_of_a_host_without_sev(void **state)
{
	const char *args[] = { "inventory", "--format", "placement", "--host", "x", NULL };
	const struct env *e = *state;
	struct r_result r = run(e, INTEL, args);

	/* The configuration limits pool sev, which this host cannot use: exit 78. */
	assert_exit(r, 78);
	assert_contains(r.err, "[pool.sev] limit = 100, but this host cannot run amd-sev guests");
	r_free(&r);
	/* Without it: no provider, exit 0. */
	h_puts(e->dir, "sevslot.conf", "");
	r = run(e, INTEL, args);
	h_puts(e->dir, "sevslot.conf", "[pool.sev]\nlimit = 100\nreserved = 2\n");
	assert_exit(r, 0);
	assert_contains(r.out, "\"providers\": [\n  ]");
	r_free(&r);
}

static void test_inventory_unknown_format_is_usage(void **state)
{
	const char *args[] = { "inventory", "--format", "yaml", NULL };
	struct r_result r = run(*state, MILAN, args);

	assert_exit(r, 64);
	assert_contains(r.err, "unknown format 'yaml'");
	r_free(&r);
}

static void test_request_cli_prints_the_placement_request(void **state)
{
	const char *ok[] = { "request", "--flavor", "hw:mem_encryption=true", "--image",
			     "hw_firmware_type=uefi", "--image", "hw_mem_encryption_model=amd-sev-es",
			     NULL };
	const char *ide[] = { "request", "--flavor", "hw:mem_encryption=true", "--image",
			      "hw_firmware_type=uefi", "--image", "hw_disk_bus=ide", NULL };
	struct r_result r = run(*state, MILAN, ok);

	assert_exit(r, 0);
	assert_string_equal(r.out, "model=amd-sev-es\nresources:MEM_ENCRYPTION_CONTEXT=1\n"
				   "trait:HW_CPU_X86_AMD_SEV_ES=required\n");
	r_free(&r);
	r = run(*state, MILAN, ide);
	assert_exit(r, 65);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "q35 has no IDE bus");
	r_free(&r);
}

/* SEV-SNP needs stateless firmware, as nova requires: 65 without it. */
static void test_request_cli_snp_needs_stateless_firmware(void **state)
{
	const char *stateful[] = { "request", "--flavor", "hw:mem_encryption=true", "--flavor",
				   "hw:mem_encryption_model=amd-sev-snp", "--image",
				   "hw_firmware_type=uefi", "--image", "hw_firmware_stateless=false",
				   NULL };
	const char *stateless[] = { "request", "--flavor", "hw:mem_encryption=true", "--flavor",
				    "hw:mem_encryption_model=amd-sev-snp", "--image",
				    "hw_firmware_type=uefi", "--image", "hw_firmware_stateless=true",
				    NULL };
	struct r_result r = run(*state, MILAN, stateful);

	assert_exit(r, 65);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "sevslot: request: image hw_firmware_stateless=false: amd-sev-snp "
				   "needs stateless firmware (set hw_firmware_stateless=true), as nova "
				   "requires\n");
	r_free(&r);
	r = run(*state, MILAN, stateless);
	assert_exit(r, 0);
	assert_string_equal(r.out, "model=amd-sev-snp\nresources:MEM_ENCRYPTION_CONTEXT=1\n"
				   "trait:HW_CPU_X86_AMD_SEV_SNP=required\n");
	r_free(&r);
}

static void test_launch_security_cli(void **state)
{
	const char *sev[] = { "launch-security", NULL };
	const char *snp[] = { "launch-security", "--model", "amd-sev-snp", NULL };
	const char *bad[] = { "launch-security", "--policy", "banana", NULL };
	struct r_result r = run(*state, MILAN, sev);

	assert_exit(r, 0);
	assert_contains(r.out, "<cbitpos>51</cbitpos>");
	assert_contains(r.out, "<reducedPhysBits>1</reducedPhysBits>");
	r_free(&r);
	r = run(*state, MILAN, snp);
	assert_exit(r, 69);
	assert_contains(r.err, "cannot run amd-sev-snp");
	r_free(&r);
	r = run(*state, MILAN, bad);
	assert_exit(r, 65);
	r_free(&r);
	r = run(*state, INTEL, sev);
	assert_exit(r, 69);
	r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_without_a_ledger_shows_no_allocations),
		cmocka_unit_test(test_inventory_counts_the_ledger),
		cmocka_unit_test(test_inventory_placement_names_providers_as_nova_does),
		cmocka_unit_test(test_inventory_placement_leaves_out_a_pool_limited_to_0),
		cmocka_unit_test(test_inventory_nfd_and_prometheus),
		cmocka_unit_test(test_inventory_nfd_publishes_the_split_snp_pool),
		cmocka_unit_test(test_inventory_ready_only_withholds_what_cannot_boot),
		cmocka_unit_test(test_inventory_of_a_host_without_sev),
		cmocka_unit_test(test_inventory_unknown_format_is_usage),
		cmocka_unit_test(test_request_cli_prints_the_placement_request),
		cmocka_unit_test(test_request_cli_snp_needs_stateless_firmware),
		cmocka_unit_test(test_launch_security_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
