/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's limit, as the specification asks (DESIGN.md "Config"), on
 * real hosts' recordings: a limit above what the host reports is capped with
 * a warning naming both numbers, one equal to it gets an info line, one
 * where the kernel reports no count (no misc cgroup) is taken as given with
 * a warning, and a non-zero limit for a pool no usable model draws on, or
 * `reserved` above the total, is a configuration error. Through the C API
 * (a log callback that records, sevslot_config_check, the inventory and the
 * ledger) and through the CLI (stderr, exit 78).
 */
#include "harness.h"

#include "run.h"
#include "sevslot.h"

#define GENOA_SNP "tests/fixtures/hosts/epyc-9124-genoa-snp" /* sev 907, sev_es 99 (SNP) */
#define NAPLES "tests/fixtures/hosts/epyc-7551p-naples"      /* sev 15, no misc cgroup */
#define INTEL "tests/fixtures/hosts/intel-host"

static char *dir;
static char conf[600];

/* What the library logged, one "PRIORITY message" line each. */
static char logged[8192];

static void record(void *data, int priority, const char *msg)
{
	size_t n = strlen(logged);

	(void)data;
	snprintf(logged + n, sizeof(logged) - n, "%d %s\n", priority, msg);
}

static int setup(void **state)
{
	(void)state;
	dir = h_tmpdir();
	snprintf(conf, sizeof(conf), "%s/sevslot.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_rmtree(dir);
	return 0;
}

struct world {
	struct sevslot_ctx *ctx;
	struct sevslot_config *config;
	struct sevslot_host *host;
};

/* A context on `root` that records its log, `text` as the config, a full probe. */
static void world(struct world *w, const char *root, const char *text)
{
	logged[0] = '\0';
	h_puts(dir, "sevslot.conf", text);
	assert_int_equal(sevslot_new(&w->ctx, root), 0);
	sevslot_set_log_fn(w->ctx, record, NULL);
	sevslot_set_log_priority(w->ctx, SEVSLOT_LOG_DEBUG);
	assert_int_equal(sevslot_config_load(w->ctx, conf, &w->config), 0);
	assert_int_equal(sevslot_probe(w->ctx, 0, &w->host), 0);
}

static void world_free(struct world *w)
{
	sevslot_host_free(w->host);
	sevslot_config_free(w->config);
	sevslot_free(w->ctx);
}

/* The inventory's JSON, which must render. */
static char *inventory(struct world *w)
{
	char *json = NULL;

	assert_int_equal(sevslot_inventory_render(w->host, w->config, NULL, "h",
						  SEVSLOT_INVENTORY_JSON, &json), 0);
	return json;
}

static void test_limit_above_the_host_is_capped_with_a_warning(void **state)
{
	struct world w;
	char *json, line[1024];

	(void)state;
	world(&w, GENOA_SNP, "[pool.sev_es]\nlimit = 5000\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	snprintf(line, sizeof(line), "%d %s: [pool.sev_es] limit = 5000 is above the 99 slots this "
		 "host reports for the pool; using 99\n", SEVSLOT_LOG_WARNING, conf);
	assert_string_equal(logged, line);
	json = inventory(&w);
	assert_contains(json, "\"sev_es\": {\n      \"capacity\": 99,\n      \"total\": 99,");
	free(json);
	world_free(&w);
}

static void test_limit_equal_to_the_host_is_an_info_line(void **state)
{
	struct world w;
	char line[1024];

	(void)state;
	world(&w, GENOA_SNP, "[pool.sev]\nlimit = 907\n[pool.sev_es]\nlimit = 50\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	/* 907 is what the host reports; 50 is below it and says nothing. */
	snprintf(line, sizeof(line), "%d %s: [pool.sev] limit = 907 is what this host reports; "
		 "limit = auto says the same\n", SEVSLOT_LOG_INFO, conf);
	assert_string_equal(logged, line);
	world_free(&w);
}

/*
 * Naples on Linux 4.x: no misc cgroup, so the kernel reports no count. A
 * limit is taken as given, with a warning; CPUID still bounds it, because
 * the kernel splits exactly CPUID's range and cannot give more.
 */
static void test_no_count_reported_takes_the_limit_as_given(void **state)
{
	struct world w;
	char *json;

	(void)state;
	world(&w, NAPLES, "[pool.sev]\nlimit = 10\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	assert_contains(logged, "4 ");
	assert_contains(logged, "[pool.sev] limit = 10 taken as given: the kernel reports no slot "
				"count here (no misc.capacity");
	assert_contains(logged, "CPUID gives the pool 15\n");
	json = inventory(&w);
	assert_contains(json, "\"total\": 10,");
	free(json);
	world_free(&w);

	world(&w, NAPLES, "[pool.sev]\nlimit = 20\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	assert_contains(logged, "[pool.sev] limit = 20 is above the 15 slots this host reports for "
				"the pool (CPUID's count; the kernel reports none without the misc "
				"cgroup); using 15");
	json = inventory(&w);
	assert_contains(json, "\"total\": 15,");
	free(json);
	world_free(&w);
}

static void test_limit_for_a_model_the_host_cannot_run_is_a_config_error(void **state)
{
	struct world w;
	char *text = NULL;

	(void)state;
	world(&w, INTEL, "[pool.sev]\nlimit = 4\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), -ERANGE);
	assert_contains(sevslot_errmsg(w.ctx), conf);
	assert_contains(sevslot_errmsg(w.ctx), "[pool.sev] limit = 4, but this host cannot run "
					       "amd-sev guests from that pool");
	/* The inventory refuses it too rather than publish a clamp. */
	assert_int_equal(sevslot_inventory_render(w.host, w.config, NULL, "h",
						  SEVSLOT_INVENTORY_PLACEMENT, &text), -ERANGE);
	assert_null(text);
	world_free(&w);

	/* Zero (or auto) for a pool the host cannot use is fine, and quiet. */
	world(&w, INTEL, "[pool.sev]\nlimit = 0\n[pool.sev_es]\nlimit = auto\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	assert_string_equal(logged, "");
	world_free(&w);

	/* SEV-ES cannot run on this SNP host (SEV-ES and SNP exclude each other), SNP can. */
	world(&w, GENOA_SNP, "[pool.sev_es]\nlimit = 4\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	world_free(&w);

	/*
	 * [pool.sev_snp] where ciphertext hiding does not split sev_es: an error
	 * where SNP cannot run at all (Naples), a warning where it runs on sev_es.
	 */
	world(&w, NAPLES, "[pool.sev_snp]\nlimit = 4\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), -ERANGE);
	assert_contains(sevslot_errmsg(w.ctx), "[pool.sev_snp] limit = 4, but this host cannot run "
					       "amd-sev-snp guests");
	world_free(&w);
	world(&w, GENOA_SNP, "[pool.sev_snp]\nlimit = 4\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	assert_contains(logged, "[pool.sev_snp] does not apply on this host: it has no separate "
				"sev_snp pool");
	world_free(&w);
}

static void test_reserved_above_the_total_is_a_config_error(void **state)
{
	struct world w;

	(void)state;
	world(&w, GENOA_SNP, "[pool.sev]\nlimit = 100\nreserved = 101\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), -ERANGE);
	assert_contains(sevslot_errmsg(w.ctx), "[pool.sev] reserved = 101 is above the pool's "
					       "total of 100 slots (this host reports 907, capped "
					       "by limit); lower reserved");
	world_free(&w);
	world(&w, GENOA_SNP, "[pool.sev]\nlimit = 100\nreserved = 100\n");
	assert_int_equal(sevslot_config_check(w.ctx, w.config, w.host), 0);
	world_free(&w);
}

/* The ledger applies the same judgement when it refreshes capacity. */
static void test_ledger_open_judges_the_limit_too(void **state)
{
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	struct sevslot_ledger *l;
	struct world w;
	char path[700];

	(void)state;
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	world(&w, GENOA_SNP, "[pool.sev_es]\nlimit = 5000\n");
	logged[0] = '\0';
	assert_int_equal(sevslot_ledger_open(w.ctx, path, w.config, 0, &l), 0);
	assert_contains(logged, "4 ");
	assert_contains(logged, "[pool.sev_es] limit = 5000 is above the 99 slots");
	assert_int_equal(sevslot_ledger_usage(l, usage), 0);
	assert_int_equal(usage[SEVSLOT_POOL_SEV_ES].capacity, 99);
	sevslot_ledger_close(l);
	world_free(&w);

	world(&w, GENOA_SNP, "[pool.sev_es]\nreserved = 100\n");
	assert_int_equal(sevslot_ledger_open(w.ctx, path, w.config, 0, &l), -ERANGE);
	assert_contains(sevslot_ledger_errmsg(l), "[pool.sev_es] reserved = 100 is above the pool's "
						  "total of 99 slots");
	sevslot_ledger_close(l);
	world_free(&w);
}

/* sevslot --sysroot ROOT --config CONF --ledger DIR/cli.db ARGS... */
static struct r_result cli(const char *root, const char *text, const char *const args[])
{
	const char *argv[16];
	char bin[600], ledger[700];
	size_t n = 0;

	h_puts(dir, "sevslot.conf", text);
	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(ledger, sizeof(ledger), "%s/cli.db", dir);
	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = root;
	argv[n++] = "--config";
	argv[n++] = conf;
	argv[n++] = "--ledger";
	argv[n++] = ledger;
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return r_run(argv);
}

static void test_cli_prints_the_warnings_and_exits_78(void **state)
{
	const char *inv[] = { "inventory", NULL };
	const char *alloc[] = { "allocate", "vm-0", "--model", "amd-sev-snp", NULL };
	char line[1024];
	struct r_result r;

	(void)state;
	r = cli(GENOA_SNP, "[pool.sev_es]\nlimit = 5000\n", inv);
	assert_exit(r, 0);
	snprintf(line, sizeof(line), "sevslot: warning: %s: [pool.sev_es] limit = 5000 is above the "
		 "99 slots this host reports for the pool; using 99\n", conf);
	assert_string_equal(r.err, line);
	assert_contains(r.out, "amd-sev-snp  sev_es   yes            99         0\n");
	r_free(&r);

	r = cli(GENOA_SNP, "[pool.sev_es]\nlimit = 99\n", inv);
	assert_exit(r, 0);
	snprintf(line, sizeof(line), "sevslot: info: %s: [pool.sev_es] limit = 99 is what this host "
		 "reports; limit = auto says the same\n", conf);
	assert_string_equal(r.err, line);
	r_free(&r);

	/* The ledger commands say the same, once. */
	r = cli(GENOA_SNP, "[pool.sev_es]\nlimit = 5000\n", alloc);
	assert_exit(r, 0);
	assert_string_equal(r.out, "0\n");
	snprintf(line, sizeof(line), "sevslot: warning: %s: [pool.sev_es] limit = 5000 is above the "
		 "99 slots this host reports for the pool; using 99\n", conf);
	assert_string_equal(r.err, line);
	r_free(&r);

	/* A limit on an Intel host: one line, exit 78, for inventory and allocate alike. */
	r = cli(INTEL, "[pool.sev]\nlimit = 4\n", inv);
	assert_exit(r, 78);
	assert_string_equal(r.out, "");
	snprintf(line, sizeof(line), "sevslot: config %s: [pool.sev] limit = 4, but this host cannot "
		 "run amd-sev guests from that pool ('sevslot probe' says why); set limit = 0 or auto "
		 "there; fix it, or name another file with --config\n", conf);
	assert_string_equal(r.err, line);
	r_free(&r);
	r = cli(GENOA_SNP, "[pool.sev]\nlimit = 10\nreserved = 11\n", alloc);
	assert_exit(r, 78);
	assert_contains(r.err, "[pool.sev] reserved = 11 is above the pool's total of 10 slots");
	assert_not_contains(strchr(r.err, '\n') + 1, "sevslot");
	r_free(&r);
	r = cli(GENOA_SNP, "[pool.sev]\nlimit = 10\nreserved = 11\n", inv);
	assert_exit(r, 78);
	r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_above_the_host_is_capped_with_a_warning),
		cmocka_unit_test(test_limit_equal_to_the_host_is_an_info_line),
		cmocka_unit_test(test_no_count_reported_takes_the_limit_as_given),
		cmocka_unit_test(test_limit_for_a_model_the_host_cannot_run_is_a_config_error),
		cmocka_unit_test(test_reserved_above_the_total_is_a_config_error),
		cmocka_unit_test(test_ledger_open_judges_the_limit_too),
		cmocka_unit_test(test_cli_prints_the_warnings_and_exits_78),
	};

	return cmocka_run_group_tests_name("limits", tests, setup, teardown);
}
