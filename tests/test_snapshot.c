/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sevslot snapshot DIR` on this machine, whatever it is: the replay of the
 * snapshot must print exactly what the live probe printed, and a snapshot
 * must refuse to write into a directory that is not empty.
 */
#include "harness.h"

#include <dirent.h>

#include "run.h"

static struct r_result sevslot(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char bin[512];
	const char *argv[] = { bin, a1, a2, a3, a4, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	return r_run(argv);
}

/* Number of entries in dir, "." and ".." aside. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void assert_one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	if (nl == NULL || nl[1] != '\0')
		fail_msg("want exactly one line on stderr, got: '%s'", s);
}

static void test_snapshot_replay_prints_the_live_json_byte_for_byte(void **state)
{
	char *tmp = h_tmpdir(), dir[512];
	struct r_result snap, live, replay;

	(void)state;
	/* DIR does not exist yet: snapshot creates it. */
	snprintf(dir, sizeof(dir), "%s/host", tmp);
	snap = sevslot("snapshot", dir, NULL, NULL);
	assert_exit(snap, 0);
	assert_contains(snap.out, dir);
	assert_string_equal(snap.err, "");
	assert_true(entries(dir) > 0);

	live = sevslot("probe", "--json", NULL, NULL);
	replay = sevslot("--sysroot", dir, "probe", "--json");
	if (strcmp(live.out, replay.out) != 0)
		fail_msg("the replay differs from the live probe\n--- live\n%s\n--- replay\n%s",
			 live.out, replay.out);
	assert_int_equal(replay.code, live.code);
	assert_true(live.code == 0 || live.code == 69);
	assert_string_equal(live.err, "");
	assert_string_equal(replay.err, "");
	/* Not trivially equal: the report carries this host's CPU and kernel. */
	assert_contains(live.out, "\"vendor\"");
	assert_contains(live.out, "\"checks\"");
	/* ... and its userspace: the descriptors were recorded, not only read. */
	assert_contains(live.out, "\"stack\"");
	if (access("/usr/share/qemu/firmware", F_OK) == 0)
		assert_contains(replay.out, "\"/usr/share/qemu/firmware/");
	if (access("/usr/bin/qemu-system-x86_64", F_OK) == 0)
		assert_contains(replay.out, "\"path\": \"/usr/bin/qemu-system-x86_64\"");
	r_free(&live);
	r_free(&replay);

	/* The report for people too. */
	live = sevslot("probe", NULL, NULL, NULL);
	replay = sevslot("--sysroot", dir, "probe", NULL);
	assert_string_equal(replay.out, live.out);
	assert_int_equal(replay.code, live.code);
	r_free(&live);
	r_free(&replay);
	r_free(&snap);
	h_rmtree(tmp);
}

static void test_snapshot_records_cpuid_as_a_recording(void **state)
{
	char *tmp = h_tmpdir(), path[512];
	struct r_result snap;
	int fd;
	char *text;

	(void)state;
	snap = sevslot("snapshot", tmp, NULL, NULL); /* an empty existing directory is fine */
	assert_exit(snap, 0);
	snprintf(path, sizeof(path), "%s/dev/cpu/0/cpuid", tmp);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	text = r_slurp(fd);
	close(fd);
	/* `cpuid -1 -r` form: leaf 0 and leaf 1 are always there. */
	assert_contains(text, "CPU:\n   0x00000000 0x00: eax=0x");
	assert_contains(text, "\n   0x00000001 0x00: eax=0x");
	free(text);
	r_free(&snap);
	h_rmtree(tmp);
}

static void test_snapshot_into_a_non_empty_dir_fails_cleanly(void **state)
{
	char *tmp = h_tmpdir();
	struct r_result snap;

	(void)state;
	h_puts(tmp, "precious", "keep me\n");
	snap = sevslot("snapshot", tmp, NULL, NULL);
	assert_exit(snap, 65);
	assert_string_equal(snap.out, "");
	assert_contains(snap.err, tmp);
	assert_contains(snap.err, "not empty");
	assert_not_contains(snap.err, "snapshot: snapshot:");
	assert_one_line(snap.err);
	/* Nothing was written next to what was there. */
	assert_int_equal(entries(tmp), 1);
	r_free(&snap);
	h_rmtree(tmp);
}

static void test_snapshot_into_a_missing_parent_fails_naming_it(void **state)
{
	char *tmp = h_tmpdir(), dir[512];
	struct r_result snap;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/no/such/parent", tmp);
	snap = sevslot("snapshot", dir, NULL, NULL);
	assert_exit(snap, 74);
	assert_contains(snap.err, dir);
	assert_one_line(snap.err);
	r_free(&snap);
	h_rmtree(tmp);
}

static void test_snapshot_refuses_a_sysroot(void **state)
{
	char *tmp = h_tmpdir(), dir[512];
	struct r_result snap;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/out", tmp);
	snap = sevslot("--sysroot", tmp, "snapshot", dir);
	assert_exit(snap, 64);
	assert_contains(snap.err, "--sysroot");
	assert_one_line(snap.err);
	assert_int_equal(access(dir, F_OK), -1);
	r_free(&snap);
	h_rmtree(tmp);
}

/* Issue 10, 6: DIR a symbolic link: refused, nothing written into its target. */
static void test_snapshot_never_follows_dir_as_a_symlink(void **state)
{
	char *tmp = h_tmpdir(), link[512], victim[512];
	struct r_result snap;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	snprintf(link, sizeof(link), "%s/snap", tmp);
	assert_int_equal(mkdir(victim, 0755), 0);
	assert_int_equal(symlink("victim", link), 0);
	snap = sevslot("snapshot", link, NULL, NULL);
	assert_exit(snap, 65);
	assert_contains(snap.err, "symbolic link");
	assert_one_line(snap.err);
	assert_int_equal(entries(victim), 0);
	r_free(&snap);
	h_rmtree(tmp);
}

/*
 * Issue 10, 6: DIR owned by another user, who could swap it for a link to a
 * victim directory while root writes: refused before anything is written.
 */
static void test_snapshot_refuses_a_dir_of_another_user(void **state)
{
	char *tmp = h_tmpdir(), dir[512];
	struct r_result snap;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/theirs", tmp);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	snap = sevslot("snapshot", dir, NULL, NULL);
	assert_exit(snap, 77);
	assert_contains(snap.err, "owned by uid 65534");
	assert_one_line(snap.err);
	assert_int_equal(entries(dir), 0);
	r_free(&snap);
	h_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_replay_prints_the_live_json_byte_for_byte),
		cmocka_unit_test(test_snapshot_records_cpuid_as_a_recording),
		cmocka_unit_test(test_snapshot_into_a_non_empty_dir_fails_cleanly),
		cmocka_unit_test(test_snapshot_into_a_missing_parent_fails_naming_it),
		cmocka_unit_test(test_snapshot_refuses_a_sysroot),
		cmocka_unit_test(test_snapshot_never_follows_dir_as_a_symlink),
		cmocka_unit_test(test_snapshot_refuses_a_dir_of_another_user),
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
