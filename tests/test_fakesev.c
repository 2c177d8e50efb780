/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real /dev/sev path, end to end: a character device in a temporary
 * sysroot (mknod c 1 3, so root only), the CLI run with tests/shim/fakesev.c
 * preloaded, which answers SEV_ISSUE_CMD from FAKESEV_SCRIPT. What is checked
 * is sevslot's own open(), ioctl(), errno and sev_issue_cmd.error handling,
 * as it shows in `sevslot --sysroot DIR probe --json`.
 */
#include "harness.h"

#include <json-c/json.h>
#include <sys/sysmacros.h>

#include "run.h"

#define CPUID_MILAN                                                                         \
	"CPU:\n"                                                                            \
	"   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n" \
	"   0x00000001 0x00: eax=0x00a00f11 ebx=0x00200800 ecx=0x7ef8320b edx=0x178bfbff\n" \
	"   0x80000000 0x00: eax=0x80000023 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n" \
	"   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x00000064\n"

/* API 1.55, WORKING, flags 0x101 (external owner, CONFIG_ES), build 42, 3 guests. */
#define STATUS_HEX "013702" "01010000" "2a" "03000000"
/* SNP: API 1.55, INIT, RMP initialised, build 0x1234, features 1, 2 guests, TCBs. */
#define SNP_HEX "013701" "01" "34120000" "01000000" "02000000" "0807060504030201" \
		"0807060504030201"

struct fixture {
	char *root;
	char log[512];
	char preload[1024];
};

/* Why the fake device could not be made; tests skip with this. */
static char unavailable[256];

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char dev[512];

	assert_non_null(f);
	*state = NULL;
	if (geteuid() != 0) {
		snprintf(unavailable, sizeof(unavailable),
			 "a fake /dev/sev needs mknod, which needs root (run 'make check' as root)");
		free(f);
		return 0;
	}
	f->root = h_tmpdir();
	h_puts(f->root, "dev/cpu/0/cpuid", CPUID_MILAN);
	h_puts(f->root, "dev/cpu/0/msr", "0xc0010010 0x3fc0000\n");
	h_puts(f->root, "dev/kvm", "");
	h_puts(f->root, "sys/module/kvm_amd/parameters/sev", "Y\n");
	h_puts(f->root, "sys/module/kvm_amd/parameters/sev_es", "N\n");
	h_puts(f->root, "sys/module/kvm_amd/parameters/sev_snp", "Y\n");
	h_puts(f->root, "sys/fs/cgroup/misc.capacity", "sev 410\nsev_es 99\n");
	h_puts(f->root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: sme sev sev_es sev_snp\n\n");
	snprintf(dev, sizeof(dev), "%s/dev/sev", f->root);
	if (mknod(dev, S_IFCHR | 0600, makedev(1, 3)) < 0) {
		snprintf(unavailable, sizeof(unavailable),
			 "mknod of a character device failed: %s (a container without CAP_MKNOD?)",
			 strerror(errno));
		h_rmtree(f->root);
		free(f);
		return 0;
	}
	snprintf(f->log, sizeof(f->log), "%s/fakesev.log", f->root);
	r_preload("tests/fakesev.so", f->preload, sizeof(f->preload));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f != NULL) {
		h_rmtree(f->root);
		free(f);
	}
	return 0;
}

/* The fixture, or a cmocka skip saying why there is none. */
static struct fixture *fx(void **state)
{
	if (*state == NULL) {
		print_message("skip: %s\n", unavailable);
		skip();
	}
	return *state;
}

/* Run `sevslot --sysroot ROOT probe --json` against `script`. */
static struct r_result probe(struct fixture *f, const char *script)
{
	char bin[512], preload[1100], scr[1024], log[600];
	const char *argv[] = { bin, "--sysroot", f->root, "probe", "--json", NULL };
	char *env[] = { preload, scr, log, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", f->preload);
	snprintf(scr, sizeof(scr), "FAKESEV_SCRIPT=%s", script);
	snprintf(log, sizeof(log), "FAKESEV_LOG=%s", f->log);
	unlink(f->log);
	return r_run_env(argv, env);
}

static json_object *parse_json(const struct r_result *r)
{
	json_object *o = json_tokener_parse(r->out);

	if (o == NULL)
		fail_msg("not JSON (exit %d): %s\nstderr: %s", r->code, r->out, r->err);
	return o;
}

/* The member at a dotted path ("firmware.snp.state"); NULL when absent or null. */
static json_object *jget(json_object *o, const char *path)
{
	char key[64];

	while (o != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");

		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

static int64_t jint(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer", path);
	return json_object_get_int64(v);
}

static bool jbool(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_boolean))
		fail_msg("%s is not a boolean", path);
	return json_object_get_boolean(v);
}

static const char *jstr(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string", path);
	return json_object_get_string(v);
}

/* The check with this id; its status, message and hint ("" when null). */
static void find_check(json_object *o, const char *id, const char **status, const char **message,
		  const char **hint)
{
	json_object *checks = jget(o, "checks");

	assert_non_null(checks);
	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i), *h;

		if (strcmp(jstr(c, "id"), id) != 0)
			continue;
		*status = jstr(c, "status");
		*message = jstr(c, "message");
		h = jget(c, "hint");
		*hint = h != NULL ? json_object_get_string(h) : "";
		return;
	}
	fail_msg("no check '%s' in the report", id);
}

static void want_check(json_object *o, const char *id, const char *status, const char *msg,
			 const char *hint)
{
	const char *s = "", *m = "", *h = "";

	find_check(o, id, &s, &m, &h);
	if (strcmp(s, status) != 0)
		fail_msg("%s: status %s, want %s (%s)", id, s, status, m);
	assert_contains(m, msg);
	assert_contains(h, hint);
}

/* A failed command's check: status fail, the errno's own text in the message. */
static void want_errno_check(json_object *o, const char *id, int err, const char *hint)
{
	want_check(o, id, "fail", strerror(err), hint);
}

static char *read_log(const struct fixture *f)
{
	int fd = open(f->log, O_RDONLY);
	char *text;

	if (fd < 0)
		fail_msg("the shim logged nothing: was %s preloaded?", f->preload);
	text = r_slurp(fd);
	close(fd);
	return text;
}

static void test_fakesev_status_fields_reach_the_json(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS 0 0 " STATUS_HEX
				     ";SNP_PLATFORM_STATUS 0 0 " SNP_HEX);
	json_object *o;

	assert_exit(r, 0);
	o = parse_json(&r);
	assert_int_equal(jint(o, "firmware.api_major"), 1);
	assert_int_equal(jint(o, "firmware.api_minor"), 55);
	assert_int_equal(jint(o, "firmware.build"), 42);
	assert_int_equal(jint(o, "firmware.guest_count"), 3);
	assert_string_equal(jstr(o, "firmware.state"), "working");
	assert_string_equal(jstr(o, "firmware.owner"), "external");
	assert_true(jbool(o, "firmware.config_es"));
	assert_string_equal(jstr(o, "firmware.snp.state"), "init");
	assert_int_equal(jint(o, "firmware.snp.build_id"), 0x1234);
	assert_int_equal(jint(o, "firmware.snp.guest_count"), 2);
	assert_true(jbool(o, "firmware.snp.rmp_initialized"));
	want_check(o, "firmware.device", "pass", "/dev/sev", "");
	want_check(o, "firmware.platform_status", "pass", "1.55", "");
	want_check(o, "firmware.platform_status", "pass", "build 42", "");
	want_check(o, "firmware.snp_status", "pass", "build 4660", "");
	/* Firmware that answers rules nothing out: SNP is on in this sysroot. */
	assert_true(jbool(o, "models.amd-sev-snp.usable"));
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_device_is_opened_read_only(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS 0 0 " STATUS_HEX
				     ";SNP_PLATFORM_STATUS 0 0 " SNP_HEX);
	char *log;

	assert_exit(r, 0);
	log = read_log(f);
	/* Both commands, in order, on a read-only descriptor that exec does not leak. */
	assert_string_equal(log, "cmd=1 accmode=O_RDONLY cloexec=1\n"
				 "cmd=9 accmode=O_RDONLY cloexec=1\n");
	free(log);
	r_free(&r);
}

static void test_fakesev_eio_reports_the_firmware_status(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS -5 1;SNP_PLATFORM_STATUS -5 23");
	json_object *o;

	/* Both commands failed: the firmware rules out every model (pools.c). */
	assert_exit(r, 69);
	o = parse_json(&r);
	assert_null(jget(o, "firmware"));
	want_check(o, "firmware.platform_status", "fail", "firmware status 1 (INVALID_PLATFORM_STATE)",
		   "firmware");
	want_check(o, "firmware.snp_status", "fail", "firmware status 23 (RESOURCE_LIMIT)",
		   "firmware");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_unknown_firmware_status_is_not_success(void **state)
{
	struct fixture *f = fx(state);
	/* The ioctl returns 0 but the firmware status is a code nobody knows. */
	struct r_result r = probe(f, "PLATFORM_STATUS 0 153 " STATUS_HEX
				     ";SNP_PLATFORM_STATUS 0 0 " SNP_HEX);
	json_object *o;

	o = parse_json(&r);
	assert_null(jget(o, "firmware"));
	want_check(o, "firmware.platform_status", "fail", "firmware status 153", "");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_eperm_hints_at_permissions(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS -1 0;SNP_PLATFORM_STATUS -1 0");
	json_object *o = parse_json(&r);

	want_errno_check(o, "firmware.platform_status", EPERM, "udev");
	want_errno_check(o, "firmware.snp_status", EPERM, "udev");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_enotty_is_an_unknown_command(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS 0 0 " STATUS_HEX ";SNP_PLATFORM_STATUS -25 0");
	json_object *o = parse_json(&r);

	assert_int_equal(jint(o, "firmware.api_minor"), 55);
	assert_null(jget(o, "firmware.snp"));
	/* The kernel does not know the command: unknown, not a firmware failure. */
	want_check(o, "firmware.snp_status", "unknown", "SNP_PLATFORM_STATUS", "");
	json_object_put(o);
	r_free(&r);
	/* Not even PLATFORM_STATUS: not a SEV device at all. */
	r = probe(f, "PLATFORM_STATUS -25 0;SNP_PLATFORM_STATUS -25 0");
	o = parse_json(&r);
	assert_null(jget(o, "firmware"));
	want_errno_check(o, "firmware.platform_status", ENOTTY, "");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_unlisted_command_is_einval(void **state)
{
	struct fixture *f = fx(state);
	/* A Linux 6.2 kernel: SNP_PLATFORM_STATUS is unknown (the shim answers EINVAL). */
	struct r_result r = probe(f, "PLATFORM_STATUS 0 0 " STATUS_HEX);
	json_object *o = parse_json(&r);

	assert_int_equal(jint(o, "firmware.build"), 42);
	want_check(o, "firmware.snp_status", "unknown", "SNP_PLATFORM_STATUS", "");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_enodev_hints_at_the_ccp_driver(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS -19 0;SNP_PLATFORM_STATUS -19 0");
	json_object *o = parse_json(&r);

	assert_null(jget(o, "firmware"));
	want_errno_check(o, "firmware.platform_status", ENODEV, "ccp");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_ebusy_hints_at_a_psp_timeout(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS -16 0;SNP_PLATFORM_STATUS 0 0 " SNP_HEX);
	json_object *o = parse_json(&r);

	assert_null(jget(o, "firmware"));
	want_errno_check(o, "firmware.platform_status", EBUSY, "timed out");
	json_object_put(o);
	r_free(&r);
}

static void test_fakesev_eintr_is_retried(void **state)
{
	struct fixture *f = fx(state);
	struct r_result r = probe(f, "PLATFORM_STATUS -4 0;PLATFORM_STATUS 0 0 " STATUS_HEX
				     ";SNP_PLATFORM_STATUS -4 0;SNP_PLATFORM_STATUS -4 0"
				     ";SNP_PLATFORM_STATUS 0 0 " SNP_HEX);
	json_object *o = parse_json(&r);
	char *log = read_log(f);

	assert_int_equal(jint(o, "firmware.build"), 42);
	assert_int_equal(jint(o, "firmware.snp.build_id"), 0x1234);
	assert_string_equal(log, "cmd=1 accmode=O_RDONLY cloexec=1\n"
				 "cmd=1 accmode=O_RDONLY cloexec=1\n"
				 "cmd=9 accmode=O_RDONLY cloexec=1\n"
				 "cmd=9 accmode=O_RDONLY cloexec=1\n"
				 "cmd=9 accmode=O_RDONLY cloexec=1\n");
	free(log);
	json_object_put(o);
	r_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fakesev_status_fields_reach_the_json),
		cmocka_unit_test(test_fakesev_device_is_opened_read_only),
		cmocka_unit_test(test_fakesev_eio_reports_the_firmware_status),
		cmocka_unit_test(test_fakesev_unknown_firmware_status_is_not_success),
		cmocka_unit_test(test_fakesev_eperm_hints_at_permissions),
		cmocka_unit_test(test_fakesev_enotty_is_an_unknown_command),
		cmocka_unit_test(test_fakesev_unlisted_command_is_einval),
		cmocka_unit_test(test_fakesev_enodev_hints_at_the_ccp_driver),
		cmocka_unit_test(test_fakesev_ebusy_hints_at_a_psp_timeout),
		cmocka_unit_test(test_fakesev_eintr_is_retried),
	};

	return cmocka_run_group_tests_name("fakesev", tests, setup, teardown);
}
