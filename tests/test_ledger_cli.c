/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger commands through the real binary: every operation and every
 * exit code the contract gives them, output in text and JSON, and (outside
 * sanitizer builds) valgrind finding no leak or error in the CLI.
 */
#include "ledger_harness.h"

#include <grp.h>
#include <json-c/json.h>
#include <stdarg.h>

struct run {
	int code;
	char out[16384];
	char err[4096];
};

static struct lh w;
static char conf[600];
static bool under_valgrind;
static char outsider_bin[600];   /* a copy of the binary that any user may run */

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/*
 * Run sevslot --sysroot ROOT --ledger PATH ARGS... with `in` on stdin.
 * `uid` other than 0 runs it as that user (and group).
 */
static void run_as(struct run *r, uid_t uid, const char *in, const char *const *args)
{
	char bin[700], outp[600], errp[600], inp[600];
	const char *argv[40];
	size_t n = 0;
	pid_t pid;
	int status;

	if (uid != 0)
		snprintf(bin, sizeof(bin), "%s", outsider_bin);
	else
		snprintf(bin, sizeof(bin), "%s/sevslot", lh_build());
	snprintf(outp, sizeof(outp), "%s/out", w.root);
	snprintf(errp, sizeof(errp), "%s/err", w.root);
	snprintf(inp, sizeof(inp), "%s/in", w.root);
	h_puts(w.root, "in", in != NULL ? in : "");
	if (under_valgrind) {
		argv[n++] = "valgrind";
		argv[n++] = "-q";
		argv[n++] = "--leak-check=full";
		argv[n++] = "--show-leak-kinds=definite,indirect,possible";
		argv[n++] = "--errors-for-leak-kinds=definite,indirect,possible";
		argv[n++] = "--error-exitcode=99";
	}
	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = w.root;
	argv[n++] = "--ledger";
	argv[n++] = w.path;
	for (size_t i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if ((fd = open(inp, O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
		    (fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 || dup2(fd, 1) < 0 ||
		    (fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 || dup2(fd, 2) < 0)
			_exit(121);
		/* Drop every group too: root's supplementary groups would let it in. */
		if (uid != 0 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
			_exit(120);
		unsetenv("SEVSLOT_LEDGER");
		char *mut[40];
		for (size_t i = 0; i <= n; i++)
			mut[i] = argv[i] != NULL ? strdup(argv[i]) : NULL;
		execvp(mut[0], mut);
		_exit(122);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	r->code = WEXITSTATUS(status);
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
}

#define RUN(r, in, ...) run_as(r, 0, in, (const char *const[]){ __VA_ARGS__, NULL })

/* Exit code `code`; on failure, show what the command said. */
static void expect(const struct run *r, int code)
{
	if (r->code != code)
		fail_msg("exit %d, expected %d\nstdout: %s\nstderr: %s", r->code, code, r->out, r->err);
	/* Every failure prints exactly one line on stderr. */
	if (code != 0) {
		const char *nl = strchr(r->err, '\n');

		if (nl == NULL || nl[1] != '\0' || strncmp(r->err, "sevslot: ", 9) != 0)
			fail_msg("stderr is not one 'sevslot: ' line: '%s'", r->err);
	}
}

static json_object *json_of(const struct run *r)
{
	json_object *o = json_tokener_parse(r->out);

	if (o == NULL)
		fail_msg("not JSON: %s", r->out);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static int setup(void **state)
{
	(void)state;
	lh_setup(&w, 4, 2); /* sev 3 slots (2..4), sev_es 1 slot */
	snprintf(conf, sizeof(conf), "%s/sevslot.conf", w.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lh_teardown(&w);
	return 0;
}

/* A fresh ledger for each test. */
static int fresh(void **state)
{
	char p[600];

	(void)state;
	unlink(w.path);
	snprintf(p, sizeof(p), "%s-wal", w.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", w.path);
	unlink(p);
	unlink(conf);
	return 0;
}

static void test_cli_allocate_prints_lowest_slot_and_is_idempotent(void **state)
{
	struct run r;
	json_object *o;

	(void)state;
	RUN(&r, NULL, "allocate", "vm-a");
	expect(&r, 0);
	assert_string_equal(r.out, "0\n");
	RUN(&r, NULL, "allocate", "vm-b", "--json");
	expect(&r, 0);
	o = json_of(&r);
	assert_string_equal(json_object_get_string(get(o, "consumer")), "vm-b");
	assert_string_equal(json_object_get_string(get(o, "model")), "amd-sev");
	assert_string_equal(json_object_get_string(get(o, "pool")), "sev");
	assert_int_equal(json_object_get_int(get(o, "slot")), 1);
	assert_true(json_object_get_boolean(get(o, "created")));
	json_object_put(o);
	/* Again: same slot, created false; --json before or after the consumer. */
	RUN(&r, NULL, "--json", "allocate", "vm-b");
	expect(&r, 0);
	o = json_of(&r);
	assert_int_equal(json_object_get_int(get(o, "slot")), 1);
	assert_false(json_object_get_boolean(get(o, "created")));
	json_object_put(o);
	RUN(&r, NULL, "allocate", "--model", "amd-sev-es", "es-1", "--json");
	expect(&r, 0);
	o = json_of(&r);
	assert_string_equal(json_object_get_string(get(o, "pool")), "sev_es");
	assert_int_equal(json_object_get_int(get(o, "slot")), 0);
	json_object_put(o);
}

static void test_cli_allocate_refusals_and_their_codes(void **state)
{
	struct run r;
	char long_id[300];

	(void)state;
	RUN(&r, NULL, "allocate", "a b");
	expect(&r, 65);
	RUN(&r, NULL, "allocate", "");
	expect(&r, 65);
	memset(long_id, 'x', 256);
	long_id[256] = '\0';
	RUN(&r, NULL, "allocate", long_id);
	expect(&r, 65);
	RUN(&r, NULL, "allocate");
	expect(&r, 64);
	RUN(&r, NULL, "allocate", "a", "b");
	expect(&r, 64);
	RUN(&r, NULL, "allocate", "a", "--model", "amd-tdx");
	expect(&r, 64);
	RUN(&r, NULL, "allocate", "a", "--colour");
	expect(&r, 64);
	RUN(&r, NULL, "allocate", "a", "--model");
	expect(&r, 64);
	/* The host has no SNP: 69, naming the model. */
	RUN(&r, NULL, "allocate", "snp-1", "--model", "amd-sev-snp");
	expect(&r, 69);
	assert_non_null(strstr(r.err, "amd-sev-snp"));
	/* Another model held: 65, naming what is held. */
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 0);
	RUN(&r, NULL, "allocate", "vm", "--model", "amd-sev-es");
	expect(&r, 65);
	assert_non_null(strstr(r.err, "holds slot 0 of pool sev"));
	/* Pool full: 75. */
	RUN(&r, NULL, "allocate", "vm2");
	expect(&r, 0);
	RUN(&r, NULL, "allocate", "vm3");
	expect(&r, 0);
	RUN(&r, NULL, "allocate", "vm4");
	expect(&r, 75);
	assert_non_null(strstr(r.err, "full"));
	/* Nothing was written by the refusals except the journal. */
	RUN(&r, NULL, "list", "--json");
	expect(&r, 0);
	{
		json_object *o = json_of(&r);

		assert_int_equal(json_object_array_length(get(o, "allocations")), 3);
		json_object_put(o);
	}
}

static void test_cli_release_is_idempotent(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 0);
	RUN(&r, NULL, "release", "vm", "--json");
	expect(&r, 0);
	assert_string_equal(r.out, "{ \"released\": true }\n");
	RUN(&r, NULL, "release", "vm", "--json");
	expect(&r, 0);
	assert_string_equal(r.out, "{ \"released\": false }\n");
	RUN(&r, NULL, "release", "vm");
	expect(&r, 0);
	RUN(&r, NULL, "release", "not valid");
	expect(&r, 65);
	RUN(&r, NULL, "release");
	expect(&r, 64);
}

static void test_cli_list_text_and_json(void **state)
{
	struct run r;
	json_object *o, *a;

	(void)state;
	RUN(&r, NULL, "allocate", "vm-x");
	RUN(&r, NULL, "allocate", "vm-y", "--model", "amd-sev-es");
	RUN(&r, NULL, "list");
	expect(&r, 0);
	assert_non_null(strstr(r.out, "sev             3         1      2\n"));
	assert_non_null(strstr(r.out, "vm-x"));
	RUN(&r, NULL, "list", "--json");
	expect(&r, 0);
	o = json_of(&r);
	assert_string_equal(json_object_get_string(get(o, "ledger")), w.path);
	assert_int_equal(json_object_get_int(get(get(get(o, "pools"), "sev"), "capacity")), 3);
	assert_int_equal(json_object_get_int(get(get(get(o, "pools"), "sev"), "free")), 2);
	assert_int_equal(json_object_get_int(get(get(get(o, "pools"), "sev_es"), "allocated")), 1);
	a = json_object_array_get_idx(get(o, "allocations"), 1);
	assert_string_equal(json_object_get_string(get(a, "consumer")), "vm-y");
	assert_string_equal(json_object_get_string(get(a, "model")), "amd-sev-es");
	assert_string_equal(json_object_get_string(get(a, "boot_id")),
			    "11111111-2222-3333-4444-555555555555");
	json_object_put(o);
	RUN(&r, NULL, "list", "extra");
	expect(&r, 64);
}

static void test_cli_audit_exit_0_consistent_65_drift(void **state)
{
	struct run r;
	json_object *o;
	char p[600];

	(void)state;
	RUN(&r, NULL, "allocate", "vm");
	RUN(&r, NULL, "audit");
	expect(&r, 0);
	assert_non_null(strstr(r.out, "consistent"));
	lh_misc_current(w.root, 1, 0);
	lh_firmware(w.root, 1);
	RUN(&r, NULL, "audit", "--json");
	expect(&r, 0);
	o = json_of(&r);
	assert_true(json_object_get_boolean(get(o, "consistent")));
	json_object_put(o);
	/* A guest the ledger does not know. */
	lh_misc_current(w.root, 2, 0);
	RUN(&r, NULL, "audit");
	assert_int_equal(r.code, 65);
	assert_non_null(strstr(r.out, "host_ahead"));
	RUN(&r, NULL, "audit", "--json");
	assert_int_equal(r.code, 65);
	o = json_of(&r);
	assert_false(json_object_get_boolean(get(o, "consistent")));
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(get(o, "findings"), 0),
						       "kind")), "host_ahead");
	json_object_put(o);
	snprintf(p, sizeof(p), "%s/sys/fs/cgroup/misc.current", w.root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dev/sev", w.root);
	unlink(p);
}

/* A capacity written by hand is its own finding, and the next call restores it. */
static void test_cli_audit_capacity_edited(void **state)
{
	struct run r;
	json_object *o, *f;
	sqlite3 *db;

	(void)state;
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 0);
	db = lh_db(w.path, true);
	assert_int_equal(lh_exec(db, "UPDATE pools SET capacity = 9 WHERE pool = 'sev'"),
			 SQLITE_CONSTRAINT);
	assert_int_equal(lh_exec(db, "UPDATE pools SET capacity = 9, probed = 9 WHERE pool = 'sev'"),
			 SQLITE_OK);
	sqlite3_close(db);
	RUN(&r, NULL, "audit", "--json");
	assert_int_equal(r.code, 65);
	o = json_of(&r);
	assert_int_equal(json_object_array_length(get(o, "findings")), 1);
	f = json_object_array_get_idx(get(o, "findings"), 0);
	assert_string_equal(json_object_get_string(get(f, "kind")), "capacity_edited");
	assert_string_equal(json_object_get_string(get(f, "pool")), "sev");
	assert_int_equal(json_object_get_int(get(f, "ledger")), 9);
	assert_int_equal(json_object_get_int(get(f, "host")), 3);
	json_object_put(o);
	/* Restored by that audit's own open: the next one is consistent. */
	RUN(&r, NULL, "audit");
	expect(&r, 0);
}

static void test_cli_reconcile(void **state)
{
	struct run r;
	json_object *o;
	char live[600];

	(void)state;
	RUN(&r, NULL, "allocate", "keep");
	RUN(&r, NULL, "allocate", "gone-1");
	RUN(&r, NULL, "allocate", "gone-2");
	RUN(&r, "keep\n\nother\n", "reconcile", "--live", "-", "--dry-run");
	expect(&r, 0);
	assert_string_equal(r.out, "would release gone-1 (amd-sev, pool sev, slot 1)\n"
				   "would release gone-2 (amd-sev, pool sev, slot 2)\n");
	RUN(&r, NULL, "list", "--json");
	o = json_of(&r);
	assert_int_equal(json_object_array_length(get(o, "allocations")), 3);
	json_object_put(o);

	snprintf(live, sizeof(live), "%s/live", w.dir);
	h_puts(w.dir, "live", "keep\r\ngone-2\r\n");
	RUN(&r, NULL, "reconcile", "--live", live, "--json");
	expect(&r, 0);
	o = json_of(&r);
	assert_false(json_object_get_boolean(get(o, "dry_run")));
	assert_int_equal(json_object_array_length(get(o, "released")), 1);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(get(o, "released"), 0),
						       "consumer")), "gone-1");
	json_object_put(o);

	RUN(&r, NULL, "reconcile");
	expect(&r, 64);
	RUN(&r, "keep\nnot valid\n", "reconcile", "--live", "-");
	expect(&r, 65);
	assert_non_null(strstr(r.err, ":2:"));
	/* DESIGN.md: an input file the user named that cannot be opened is 66. */
	RUN(&r, NULL, "reconcile", "--live", "/nonexistent/live");
	expect(&r, 66);
	assert_non_null(strstr(r.err, "/nonexistent/live"));
	/* Nothing released by the refused runs. */
	RUN(&r, NULL, "list", "--json");
	o = json_of(&r);
	assert_int_equal(json_object_array_length(get(o, "allocations")), 2);
	json_object_put(o);
}

static void test_cli_bad_config_is_78_naming_file_and_line(void **state)
{
	struct run r;
	char p[600];

	(void)state;
	h_puts(w.dir, "sevslot.conf", "[ledger]\nbusy_timeout_ms = soon\n");
	RUN(&r, NULL, "--config", conf, "allocate", "vm");
	expect(&r, 78);
	assert_non_null(strstr(r.err, "sevslot.conf:2:"));
	RUN(&r, NULL, "--config", "/nonexistent/sevslot.conf", "list");
	expect(&r, 78);
	assert_non_null(strstr(r.err, "/nonexistent/sevslot.conf"));
	/*
	 * A good one applies its limit; on a host whose kernel reports the
	 * pool's count (misc.capacity), a limit below it is said nothing of.
	 */
	h_puts(w.dir, "sevslot.conf", "[pool.sev]\nlimit = 1\n");
	h_puts(w.root, "sys/fs/cgroup/misc.capacity", "sev 3\nsev_es 1\n");
	RUN(&r, NULL, "--config", conf, "allocate", "a");
	expect(&r, 0);
	assert_string_equal(r.err, "");
	RUN(&r, NULL, "--config", conf, "allocate", "b");
	expect(&r, 75);
	/* Without misc.capacity the kernel reports no count: taken as given, with a warning. */
	snprintf(p, sizeof(p), "%s/sys/fs/cgroup/misc.capacity", w.root);
	unlink(p);
	RUN(&r, NULL, "--config", conf, "allocate", "a");
	expect(&r, 0);
	assert_non_null(strstr(r.err, "sevslot: warning: "));
	assert_non_null(strstr(r.err, "[pool.sev] limit = 1 taken as given"));
}

static void test_cli_locked_ledger_is_75_naming_it(void **state)
{
	struct run r;
	sqlite3 *db;

	(void)state;
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 0);
	h_puts(w.dir, "sevslot.conf", "[ledger]\nbusy_timeout_ms = 100\n");
	db = lh_db(w.path, true);
	assert_int_equal(lh_exec(db, "BEGIN IMMEDIATE"), SQLITE_OK);
	RUN(&r, NULL, "--config", conf, "allocate", "vm2");
	expect(&r, 75);
	assert_non_null(strstr(r.err, w.path));
	RUN(&r, NULL, "--config", conf, "release", "vm");
	expect(&r, 75);
	/* Readers are not blocked. */
	RUN(&r, NULL, "--config", conf, "list");
	expect(&r, 0);
	assert_int_equal(lh_exec(db, "ROLLBACK"), SQLITE_OK);
	sqlite3_close(db);
	RUN(&r, NULL, "--config", conf, "release", "vm");
	expect(&r, 0);
}

static void test_cli_foreign_ledger_is_65_and_io_error_74(void **state)
{
	struct run r;
	char saved[512];

	(void)state;
	h_puts(w.dir, "ledger.db", "not a database\n");
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 65);
	assert_non_null(strstr(r.err, "not an SQLite database"));
	unlink(w.path);
	snprintf(saved, sizeof(saved), "%s", w.path);
	snprintf(w.path, sizeof(w.path), "/nonexistent/deeper/ledger.db");
	RUN(&r, NULL, "allocate", "vm");
	snprintf(w.path, sizeof(w.path), "%s", saved);
	expect(&r, 74);
	assert_non_null(strstr(r.err, "/nonexistent/deeper"));
}

static void test_cli_outsider_is_77(void **state)
{
	struct run r;
	char dir[400], saved[512];

	(void)state;
	if (geteuid() != 0 || under_valgrind)
		skip();
	/* The ledger's own directory (02770) keeps out users not in its group. */
	snprintf(dir, sizeof(dir), "%s/lib", w.dir);
	snprintf(saved, sizeof(saved), "%s", w.path);
	snprintf(w.path, sizeof(w.path), "%s/ledger.db", dir);
	chmod(w.dir, 0755);
	chmod(w.root, 0755);
	/* The build tree may sit under a directory only root may enter: run a copy. */
	{
		char cmd[1400];

		snprintf(outsider_bin, sizeof(outsider_bin), "%s/sevslot-copy", w.root);
		snprintf(cmd, sizeof(cmd), "cp '%s/sevslot' '%s' && chmod 0755 '%s'", lh_build(),
			 outsider_bin, outsider_bin);
		assert_int_equal(system(cmd), 0);
	}
	RUN(&r, NULL, "allocate", "vm");
	expect(&r, 0);
	run_as(&r, 65534, NULL, (const char *const[]){ "allocate", "vm2", NULL });
	expect(&r, 77);
	assert_non_null(strstr(r.err, "Permission denied; run as root or as a member of group sevslot"));
	run_as(&r, 65534, NULL, (const char *const[]){ "list", NULL });
	expect(&r, 77);
	assert_non_null(strstr(r.err, "Permission denied"));
	snprintf(w.path, sizeof(w.path), "%s", saved);
	chmod(w.dir, 0700);
}

static void test_cli_help_lists_ledger_commands(void **state)
{
	static const char *const cmds[] = { "allocate", "release", "list", "audit", "reconcile" };
	struct run r;

	(void)state;
	RUN(&r, NULL, "--help");
	expect(&r, 0);
	for (size_t i = 0; i < 5; i++) {
		char line[64];

		const char *at;

		snprintf(line, sizeof(line), "\n  %s", cmds[i]);
		at = strstr(r.out, line);
		assert_non_null(at);
		assert_true(at[strlen(line)] == ' ' || at[strlen(line)] == '\n');
		RUN(&r, NULL, cmds[i], "--help");
		expect(&r, 0);
		assert_non_null(strstr(r.out, cmds[i]));
		RUN(&r, NULL, "--help");
	}
}

/* The same commands, each under valgrind: no leak, no invalid access. */
static void test_cli_valgrind_finds_nothing(void **state)
{
	static const struct {
		const char *in;
		const char *args[6];
		int code;
	} runs[] = {
		{ NULL, { "allocate", "vm-1", NULL }, 0 },
		{ NULL, { "allocate", "vm-2", "--json", NULL }, 0 },
		{ NULL, { "allocate", "vm-1", "--model", "amd-sev-es", NULL }, 65 },
		{ NULL, { "allocate", "vm-3", "--model", "amd-sev-snp", NULL }, 69 },
		{ NULL, { "list", "--json", NULL }, 0 },
		{ NULL, { "list", NULL }, 0 },
		{ NULL, { "audit", "--json", NULL }, 0 },
		{ NULL, { "release", "vm-2", "--json", NULL }, 0 },
		{ "vm-9\n", { "reconcile", "--live", "-", "--json", NULL }, 0 },
		{ "bad id\n", { "reconcile", "--live", "-", NULL }, 65 },
		{ NULL, { "--config", "/nonexistent.conf", "list", NULL }, 78 },
		/* This recorded host has no /dev/sev: the full probe finds SEV unusable. */
		{ NULL, { "probe", NULL }, 69 },
		{ NULL, { "probe", "--json", NULL }, 69 },
		{ NULL, { "inventory", "--format", "placement", "--host", "h", NULL }, 0 },
		{ NULL, { "inventory", "--format", "prometheus", NULL }, 0 },
		{ NULL, { "request", "--flavor", "hw:mem_encryption=1", "--image", "hw_disk_bus=ide", NULL }, 65 },
		{ NULL, { "request", "--image", "hw_mem_encryption=on", "--image", "hw_firmware_type=uefi", NULL }, 0 },
		{ NULL, { "launch-security", NULL }, 69 },
	};
	struct run r;
	char out[600];

	(void)state;
#if defined(__SANITIZE_ADDRESS__) /* gcc */
	skip(); /* valgrind cannot run an AddressSanitizer build */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang 14 defines no __SANITIZE_ADDRESS__ */
	skip();
#endif
#endif
	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		print_message("valgrind not installed: skipping the leak check\n");
		skip();
	}
	under_valgrind = true;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		run_as(&r, 0, runs[i].in, runs[i].args);
		if (r.code != runs[i].code) {
			under_valgrind = false;
			fail_msg("valgrind sevslot %s: exit %d, expected %d\n%s", runs[i].args[0],
				 r.code, runs[i].code, r.err);
		}
	}
	/* A file written atomically, and a limit judged against the host, warned about. */
	snprintf(out, sizeof(out), "%s/sevslot.prom", w.dir);
	RUN(&r, NULL, "inventory", "--format", "prometheus", "--output", out);
	expect(&r, 0);
	assert_int_equal(access(out, R_OK), 0);
	unlink(out);
	h_puts(w.dir, "sevslot.conf", "[pool.sev]\nlimit = 5000\n");
	RUN(&r, NULL, "--config", conf, "list");
	under_valgrind = false;
	expect(&r, 0);
	assert_non_null(strstr(r.err, "limit = 5000 is above the 3 slots"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cli_allocate_prints_lowest_slot_and_is_idempotent, fresh),
		cmocka_unit_test_setup(test_cli_allocate_refusals_and_their_codes, fresh),
		cmocka_unit_test_setup(test_cli_release_is_idempotent, fresh),
		cmocka_unit_test_setup(test_cli_list_text_and_json, fresh),
		cmocka_unit_test_setup(test_cli_audit_exit_0_consistent_65_drift, fresh),
		cmocka_unit_test_setup(test_cli_audit_capacity_edited, fresh),
		cmocka_unit_test_setup(test_cli_reconcile, fresh),
		cmocka_unit_test_setup(test_cli_bad_config_is_78_naming_file_and_line, fresh),
		cmocka_unit_test_setup(test_cli_locked_ledger_is_75_naming_it, fresh),
		cmocka_unit_test_setup(test_cli_foreign_ledger_is_65_and_io_error_74, fresh),
		cmocka_unit_test_setup(test_cli_outsider_is_77, fresh),
		cmocka_unit_test_setup(test_cli_help_lists_ledger_commands, fresh),
		cmocka_unit_test_setup(test_cli_valgrind_finds_nothing, fresh),
	};

	return cmocka_run_group_tests_name("ledger_cli", tests, setup, teardown);
}
