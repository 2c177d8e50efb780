/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sevslot libvirt-hook NAME OPERATION SUBOPERATION EXTRA`, called the way
 * libvirt's qemu hook calls it (docs/hooks.rst), on a recorded host with a
 * 15-slot SEV pool: a plain domain never opens the ledger, an SEV guest holds
 * its slot from prepare to release, migrate and restore are refused, a full
 * pool refuses the start naming the ledger, and nothing is ever written to
 * stdout. tests/libvirt-hook.sh runs it under a real libvirtd.
 */
#include "ledger_harness.h"

#include <poll.h>
#include <signal.h>

#include "run.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DOMAINS "tests/fixtures/domains/"
#define UUID "8823c789-55d0-4f79-8745-029bcf26681e" /* web-2's, in the fixtures */

/*
 * Run the hook with `xml` on stdin (NULL: a pipe nobody writes to or closes,
 * so that reading it would hang: the run fails after 10 s).
 */
static struct r_result hook(struct lh *w, const char *xml, const char *name, const char *op,
			    const char *sub, const char *extra)
{
	char bin[512], out[] = "/tmp/sevslot-out-XXXXXX", err[] = "/tmp/sevslot-err-XXXXXX";
	const char *argv[] = { bin, "--sysroot", w->root, "--ledger", w->path, "libvirt-hook", name,
			       op, sub, extra, NULL };
	int outfd = mkstemp(out), errfd = mkstemp(err), in[2], status = 0;
	struct r_result r;
	pid_t pid;

	r_build_path(bin, sizeof(bin), "sevslot");
	assert_true(outfd >= 0 && errfd >= 0);
	assert_int_equal(pipe(in), 0);
	unlink(out);
	unlink(err);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *const *args = argv;
		char *const *av;

		dup2(in[0], 0);
		dup2(outfd, 1);
		dup2(errfd, 2);
		close(in[1]);
		/* execv's prototype predates const; it does not write argv. */
		memcpy(&av, &args, sizeof(av));
		execv(bin, av);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	if (xml != NULL) {
		/* libvirt writes the whole document, or stops at EPIPE when the hook did not read. */
		(void)!write(in[1], xml, strlen(xml));
		close(in[1]);
	}
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (i == 999) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("the hook still runs after 10 s: did it read a stdin nobody writes to?");
		}
		poll(NULL, 0, 10);
	}
	if (xml == NULL)
		close(in[1]);
	r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	lseek(outfd, 0, SEEK_SET);
	lseek(errfd, 0, SEEK_SET);
	r.out = r_slurp(outfd);
	r.err = r_slurp(errfd);
	close(outfd);
	close(errfd);
	return r;
}

/*
 * Exit `code`, nothing on stdout; for a failure one line on stderr saying
 * `what`. A success may print the ledger's own notes (libvirt logs a
 * successful hook's stderr at debug level), and nothing else.
 */
static void expect(struct r_result r, int code, const char *what)
{
	assert_exit(r, code);
	assert_string_equal(r.out, "");
	if (what == NULL) {
		for (const char *line = r.err; *line != '\0'; line = strchr(line, '\n') + 1) {
			assert_true(strncmp(line, "sevslot: info: ledger ", 22) == 0);
			assert_non_null(strchr(line, '\n'));
		}
	} else {
		assert_contains(r.err, what);
		assert_string_equal(strchr(r.err, '\n'), "\n");
	}
	r_free(&r);
}

static bool ledger_exists(const struct lh *w)
{
	return access(w->path, F_OK) == 0;
}

static char *sev_domain(void)
{
	size_t len;

	return h_read_file(DOMAINS "expected/virt-install-dumpxml.amd-sev.xml", &len);
}

static void test_plain_domain_never_opens_the_ledger(void **state)
{
	static const char *const ops[][2] = { { "prepare", "begin" }, { "reconnect", "begin" },
					      { "release", "end" }, { "migrate", "begin" },
					      { "restore", "begin" } };
	char *plain;
	size_t len;
	struct lh w;

	(void)state;
	lh_setup(&w, 15, 1);
	plain = h_read_file(DOMAINS "virt-install-dumpxml.xml", &len);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		expect(hook(&w, plain, "web-2", ops[i][0], ops[i][1], "-"), 0, NULL);
	/* libvirt 10.5 passes the shutoff reason as EXTRA; older ones '-'; three arguments do too. */
	expect(hook(&w, plain, "web-2", "release", "end", "destroyed"), 0, NULL);
	expect(hook(&w, plain, "web-2", "prepare", "begin", NULL), 0, NULL);
	/* launchSecurity only in a comment or in another technology's element: not SEV. */
	expect(hook(&w, "<domain><!-- launchSecurity --><uuid>" UUID "</uuid></domain>", "x",
		    "prepare", "begin", "-"), 0, NULL);
	expect(hook(&w, "<domain><uuid>" UUID "</uuid><launchSecurity type='tdx'/></domain>", "x",
		    "prepare", "begin", "-"), 0, NULL);
	assert_false(ledger_exists(&w));
	free(plain);
	lh_teardown(&w);
}

/* Operations it does not act on are decided from the arguments: stdin is never read. */
static void test_other_operations_do_not_read_stdin(void **state)
{
	static const char *const ops[][2] = { { "start", "begin" }, { "started", "begin" },
					      { "stopped", "end" }, { "attach", "begin" },
					      { "prepare", "end" }, { "release", "begin" } };
	struct lh w;

	(void)state;
	lh_setup(&w, 15, 1);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		expect(hook(&w, NULL, "web-2", ops[i][0], ops[i][1], "-"), 0, NULL);
	assert_false(ledger_exists(&w));
	lh_teardown(&w);
}

/*
 * The common case is decided before the library is set up: with a --sysroot
 * that does not exist, a plain domain and an ignored operation still exit 0;
 * an SEV guest gets as far as the sysroot and is refused there.
 */
static void test_common_case_is_decided_before_anything_is_set_up(void **state)
{
	char *plain, *sev, *root, missing[] = "/nonexistent/sysroot";
	size_t len;
	struct lh w;

	(void)state;
	lh_setup(&w, 15, 1);
	plain = h_read_file(DOMAINS "virt-install-dumpxml.xml", &len);
	sev = sev_domain();
	root = w.root;
	w.root = missing;
	expect(hook(&w, plain, "web-2", "prepare", "begin", "-"), 0, NULL);
	expect(hook(&w, NULL, "web-2", "started", "begin", "-"), 0, NULL);
	expect(hook(&w, sev, "web-2", "prepare", "begin", "-"), 64, "--sysroot /nonexistent/sysroot");
	w.root = root;
	assert_false(ledger_exists(&w));
	/* The bytes early() read are the ones run() judges: the same guest, set up, starts. */
	expect(hook(&w, sev, "web-2", "prepare", "begin", "-"), 0, NULL);
	assert_true(ledger_exists(&w));
	free(plain);
	free(sev);
	lh_teardown(&w);
}

static void test_sev_guest_holds_its_slot_from_prepare_to_release(void **state)
{
	char *xml = sev_domain();
	struct lh w;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	expect(hook(&w, xml, "web-2", "prepare", "begin", "-"), 0, NULL);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT slot FROM slots WHERE consumer = '" UUID "' AND pool = 'sev'"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE consumer = '" UUID "' AND "
				"result = 'created' AND detail = 'libvirt domain ''web-2'' prepare begin'"), 1);
	sqlite3_close(db);
	/* The daemon restarted and found it running: the same slot. */
	expect(hook(&w, xml, "web-2", "reconnect", "begin", "-"), 0, NULL);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots"), 1);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE result = 'existing' AND "
				"detail = 'libvirt domain ''web-2'' reconnect begin'"), 1);
	sqlite3_close(db);
	expect(hook(&w, xml, "web-2", "release", "end", "shutdown"), 0, NULL);
	expect(hook(&w, xml, "web-2", "release", "end", "-"), 0, NULL);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE result = 'released' AND "
				"detail = 'libvirt domain ''web-2'' release end'"), 1);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE result = 'absent'"), 1);
	sqlite3_close(db);
	lh_check_invariants(w.path, false);
	free(xml);
	lh_teardown(&w);
}

static void test_migrate_and_restore_are_refused(void **state)
{
	char *xml = sev_domain();
	struct lh w;

	(void)state;
	lh_setup(&w, 15, 1);
	expect(hook(&w, xml, "web-2", "migrate", "begin", "-"), 69, "live migration of an SEV guest");
	expect(hook(&w, xml, "web-2", "restore", "begin", "-"), 69, "save/restore is not supported");
	assert_false(ledger_exists(&w));
	free(xml);
	lh_teardown(&w);
}

static void test_full_pool_refuses_the_start_naming_the_ledger(void **state)
{
	char *xml = sev_domain(), want[600];
	struct sevslot_ledger *l;
	struct lh w;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 15; i++) {
		char c[16];

		snprintf(c, sizeof(c), "other-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, c, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	sevslot_ledger_close(l);
	snprintf(want, sizeof(want), "pool sev is full: 15 of 15 slots allocated (ledger %s)", w.path);
	expect(hook(&w, xml, "web-2", "prepare", "begin", "-"), 75, want);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots WHERE consumer = '" UUID "'"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE consumer = '" UUID "' AND "
				"result = 'full' AND detail LIKE 'libvirt domain ''web-2'' prepare begin; pool sev is full%'"), 1);
	sqlite3_close(db);
	free(xml);
	lh_teardown(&w);
}

static void test_bad_input_is_one_line_and_leaves_the_ledger(void **state)
{
	char *xml = sev_domain(), *no_uuid, *es, *bad_type;
	char bin[512];
	struct lh w;
	struct r_result r;

	(void)state;
	lh_setup(&w, 15, 1); /* no SEV-ES pool */
	r_build_path(bin, sizeof(bin), "sevslot");
	{
		const char *argv[] = { bin, "--sysroot", w.root, "--ledger", w.path, "libvirt-hook",
				       "web-2", "prepare", NULL };

		r = r_run(argv);
		expect(r, 64, "expected NAME OPERATION SUBOPERATION [EXTRA]");
	}
	expect(hook(&w, "<domain><launchSecurity type='sev'>", "web-2", "prepare", "begin", "-"), 65,
	       "domain 'web-2': domain XML: line 1");
	/* A name with a terminal escape in it is shown without it. */
	expect(hook(&w, "<domain><launchSecurity type='sev'>", "vm\x1b]0;x\x07", "prepare", "begin",
		    "-"), 65, "domain 'vm?]0;x?': domain XML");
	no_uuid = strdup(xml);
	memcpy(strstr(no_uuid, "<uuid>"), "<uuix>", 6);
	memcpy(strstr(no_uuid, "</uuid>"), "</uuix>", 7);
	expect(hook(&w, no_uuid, "web-2", "prepare", "begin", "-"), 65, "has no <uuid>");
	bad_type = strdup(xml);
	memcpy(strstr(bad_type, "type='sev'>"), "type='xev'>", 11);
	expect(hook(&w, bad_type, "web-2", "prepare", "begin", "-"), 65,
	       "<launchSecurity type='xev'>: unknown type");
	es = strdup(xml);
	memcpy(strstr(es, "0x0033"), "0x0037", 6);
	expect(hook(&w, es, "web-2", "prepare", "begin", "-"), 69, "cannot run amd-sev-es guests");
	/* Only the refusal above (a journaled allocate) touched the ledger. */
	{
		sqlite3 *db = lh_db(w.path, false);

		assert_int_equal(lh_int(db, "SELECT count(*) FROM slots"), 0);
		assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'allocate'"), 1);
		sqlite3_close(db);
	}
	free(es);
	free(bad_type);
	free(no_uuid);
	free(xml);
	lh_teardown(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_domain_never_opens_the_ledger),
		cmocka_unit_test(test_other_operations_do_not_read_stdin),
		cmocka_unit_test(test_common_case_is_decided_before_anything_is_set_up),
		cmocka_unit_test(test_sev_guest_holds_its_slot_from_prepare_to_release),
		cmocka_unit_test(test_migrate_and_restore_are_refused),
		cmocka_unit_test(test_full_pool_refuses_the_start_naming_the_ledger),
		cmocka_unit_test(test_bad_input_is_one_line_and_leaves_the_ledger),
	};

	return cmocka_run_group_tests_name("libvirt_hook", tests, NULL, NULL);
}
