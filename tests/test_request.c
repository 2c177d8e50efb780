/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request translation (nova's hw:mem_encryption rules) and the libvirt
 * <launchSecurity> element: what is asked for, what is refused and why.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"
#include "run.h"

struct env {
	struct sevslot_ctx *ctx;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	/* Requests read no kernel file: the live context is never asked for one. */
	assert_int_equal(sevslot_new(&e->ctx, NULL), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sevslot_free(e->ctx);
	free(e);
	return 0;
}

#define UEFI_Q35 "hw_firmware_type=uefi", "hw_machine_type=q35"

static int translate(void **state, const char *const *flavor, const char *const *image,
		     struct sevslot_request *req)
{
	struct env *e = *state;

	return sevslot_request_translate(e->ctx, flavor, image, req);
}

static const char *msg(void **state)
{
	return sevslot_errmsg(((struct env *)*state)->ctx);
}

static void test_request_flavor_true_asks_for_amd_sev(void **state)
{
	const char *flavor[] = { "hw:mem_encryption=True", NULL };
	const char *image[] = { UEFI_Q35, NULL };
	struct sevslot_request req;

	assert_int_equal(translate(state, flavor, image, &req), 0);
	assert_true(req.requested);
	assert_int_equal(req.model, SEVSLOT_MODEL_SEV);
	assert_string_equal(sevslot_model_trait(req.model), "HW_CPU_X86_AMD_SEV");
}

static void test_request_accepts_every_oslo_boolean(void **state)
{
	static const char *const yes[] = { "1", "t", "true", "on", "y", "yes", "YES" };
	static const char *const no[] = { "0", "f", "false", "off", "n", "no", "No" };
	const char *image[] = { UEFI_Q35, NULL };
	struct sevslot_request req;
	char prop[64];

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		const char *flavor[] = { prop, NULL };

		snprintf(prop, sizeof(prop), "hw:mem_encryption=%s", yes[i]);
		assert_int_equal(translate(state, flavor, image, &req), 0);
		assert_true(req.requested);
		snprintf(prop, sizeof(prop), "hw:mem_encryption=%s", no[i]);
		assert_int_equal(translate(state, flavor, image, &req), 0);
		assert_false(req.requested);
	}
}

static void test_request_image_alone_asks_and_names_the_model(void **state)
{
	const char *image[] = { "hw_mem_encryption=yes", "hw_mem_encryption_model=amd-sev-snp",
				"hw_firmware_stateless=true", UEFI_Q35, NULL };
	struct sevslot_request req;

	assert_int_equal(translate(state, NULL, image, &req), 0);
	assert_true(req.requested);
	assert_int_equal(req.model, SEVSLOT_MODEL_SEV_SNP);
	assert_string_equal(sevslot_model_trait(req.model), "HW_CPU_X86_AMD_SEV_SNP");
}

/*
 * SEV-SNP boots from stateless firmware only, as nova requires
 * (nova/virt/hardware.py, MemEncryptionConfigSevSnp.check_constraints):
 * image hw_firmware_stateless must be true; unset or false is refused. The
 * other models take either.
 */
static void test_request_snp_needs_stateless_firmware(void **state)
{
	static const char *const refused[] = { NULL, "hw_firmware_stateless=false",
					       "hw_firmware_stateless=no", "hw_firmware_stateless=0" };
	static const char *const accepted[] = { "hw_firmware_stateless=true",
						"hw_firmware_stateless=Yes",
						"hw_firmware_stateless=1" };
	const char *flavor[] = { "hw:mem_encryption=true", "hw:mem_encryption_model=amd-sev-snp",
				 NULL };
	const char *sev[] = { "hw:mem_encryption=true", NULL };
	const char *image[] = { UEFI_Q35, NULL, NULL };
	struct sevslot_request req;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		image[2] = refused[i];
		assert_int_equal(translate(state, flavor, image, &req), -EINVAL);
		assert_false(req.requested);
		assert_contains(msg(state), "amd-sev-snp needs stateless firmware");
		assert_contains(msg(state), "hw_firmware_stateless=true");
	}
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
		image[2] = accepted[i];
		assert_int_equal(translate(state, flavor, image, &req), 0);
		assert_int_equal(req.model, SEVSLOT_MODEL_SEV_SNP);
	}
	image[2] = "hw_firmware_stateless=maybe";
	assert_int_equal(translate(state, flavor, image, &req), -EINVAL);
	assert_contains(msg(state), "hw_firmware_stateless='maybe' is not a boolean");
	/* SEV takes stateful firmware, and says nothing of the property. */
	image[2] = "hw_firmware_stateless=false";
	assert_int_equal(translate(state, sev, image, &req), 0);
	assert_int_equal(req.model, SEVSLOT_MODEL_SEV);
}

static void test_request_nothing_asked_is_not_an_error(void **state)
{
	const char *image[] = { "hw_machine_type=pc", NULL };
	struct sevslot_request req;

	assert_int_equal(translate(state, NULL, image, &req), 0);
	assert_false(req.requested);
}

static void test_request_flavor_image_conflict_is_refused(void **state)
{
	const char *flavor[] = { "hw:mem_encryption=true", NULL };
	const char *image[] = { "hw_mem_encryption=false", UEFI_Q35, NULL };
	const char *flavor2[] = { "hw:mem_encryption=true", "hw:mem_encryption_model=amd-sev", NULL };
	const char *image2[] = { "hw_mem_encryption_model=amd-sev-es", UEFI_Q35, NULL };
	struct sevslot_request req;

	assert_int_equal(translate(state, flavor, image, &req), -EINVAL);
	assert_contains(msg(state), "conflicts with image hw_mem_encryption=false");
	assert_int_equal(translate(state, flavor2, image2, &req), -EINVAL);
	assert_contains(msg(state), "conflicts with image hw_mem_encryption_model=amd-sev-es");
}

static void test_request_refuses_what_sev_cannot_run(void **state)
{
	static const struct {
		const char *image[4];
		const char *why;
	} cases[] = {
		{ { "hw_firmware_type=uefi", "hw_machine_type=pc-i440fx-8.2", NULL }, "q35" },
		{ { "hw_firmware_type=bios", "hw_machine_type=q35", NULL }, "UEFI" },
		{ { "hw_machine_type=q35", NULL }, "UEFI" },
		{ { UEFI_Q35, "hw_disk_bus=ide", NULL }, "hw_disk_bus=ide" },
		{ { UEFI_Q35, "hw_cdrom_bus=IDE", NULL }, "hw_cdrom_bus=ide" },
	};
	const char *flavor[] = { "hw:mem_encryption=true", NULL };
	struct sevslot_request req;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(translate(state, flavor, cases[i].image, &req), -EINVAL);
		assert_contains(msg(state), cases[i].why);
	}
	/* A versioned q35 is q35. */
	{
		const char *image[] = { "hw_firmware_type=uefi", "hw_machine_type=pc-q35-8.2", NULL };

		assert_int_equal(translate(state, flavor, image, &req), 0);
		assert_true(req.requested);
	}
}

static void test_request_rejects_malformed_properties(void **state)
{
	const char *bad_bool[] = { "hw:mem_encryption=maybe", NULL };
	const char *bad_model[] = { "hw:mem_encryption=1", "hw:mem_encryption_model=amd-tdx", NULL };
	const char *no_equals[] = { "hw:mem_encryption", NULL };
	const char *model_only[] = { "hw:mem_encryption_model=amd-sev-es", NULL };
	const char *image[] = { UEFI_Q35, NULL };
	struct sevslot_request req;

	assert_int_equal(translate(state, bad_bool, image, &req), -EINVAL);
	assert_contains(msg(state), "is not a boolean");
	assert_int_equal(translate(state, bad_model, image, &req), -EINVAL);
	assert_contains(msg(state), "amd-tdx");
	assert_int_equal(translate(state, no_equals, image, &req), -EINVAL);
	assert_contains(msg(state), "KEY=VALUE");
	assert_int_equal(translate(state, model_only, image, &req), -EINVAL);
	assert_contains(msg(state), "without hw:mem_encryption=true");
}

/* A host that can run SEV and SEV-SNP, C-bit 51. */
static struct sevslot_host snp_host(void)
{
	struct sevslot_host h;

	memset(&h, 0, sizeof(h));
	h.cpu.cbitpos = 51;
	h.cpu.reduced_phys_bits = 6;
	h.models[SEVSLOT_MODEL_SEV].usable = true;
	h.models[SEVSLOT_MODEL_SEV_SNP].usable = true;
	return h;
}

static void test_launch_security_sev_uses_cbitpos_and_reduction_1(void **state)
{
	struct env *e = *state;
	struct sevslot_host h = snp_host();
	char *xml;

	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV,
						     sevslot_default_policy(SEVSLOT_MODEL_SEV), &xml), 0);
	assert_string_equal(xml, "<launchSecurity type='sev'>\n"
				 "  <cbitpos>51</cbitpos>\n"
				 "  <reducedPhysBits>1</reducedPhysBits>\n"
				 "  <policy>0x0033</policy>\n"
				 "</launchSecurity>\n");
	free(xml);
}

static void test_launch_security_snp_is_its_own_type(void **state)
{
	struct env *e = *state;
	struct sevslot_host h = snp_host();
	char *xml;

	assert_int_equal(sevslot_default_policy(SEVSLOT_MODEL_SEV_SNP), 0x30000);
	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV_SNP, 0x30000, &xml), 0);
	assert_contains(xml, "<launchSecurity type='sev-snp'>");
	assert_contains(xml, "<policy>0x00030000</policy>");
	free(xml);
}

static void test_launch_security_refuses_policies_that_do_not_fit(void **state)
{
	struct env *e = *state;
	struct sevslot_host h = snp_host();
	char *xml;

	h.models[SEVSLOT_MODEL_SEV_ES].usable = true;
	assert_int_equal(sevslot_default_policy(SEVSLOT_MODEL_SEV_ES), 0x0037);
	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV_ES, 0x33, &xml),
			 -EINVAL);
	assert_contains(sevslot_errmsg(e->ctx), "bit 2");
	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV, 0x37, &xml), -EINVAL);
	assert_contains(sevslot_errmsg(e->ctx), "amd-sev-es");
	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV_SNP, 0x1, &xml),
			 -EINVAL);
	assert_contains(sevslot_errmsg(e->ctx), "bit 17");
	assert_null(xml);
}

static void test_launch_security_for_a_model_the_host_cannot_run(void **state)
{
	struct env *e = *state;
	struct sevslot_host h = snp_host();
	char *xml;

	assert_int_equal(sevslot_launch_security_xml(e->ctx, &h, SEVSLOT_MODEL_SEV_ES, 0x37, &xml),
			 -ENODEV);
	assert_contains(sevslot_errmsg(e->ctx), "cannot run amd-sev-es");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_flavor_true_asks_for_amd_sev),
		cmocka_unit_test(test_request_accepts_every_oslo_boolean),
		cmocka_unit_test(test_request_image_alone_asks_and_names_the_model),
		cmocka_unit_test(test_request_snp_needs_stateless_firmware),
		cmocka_unit_test(test_request_nothing_asked_is_not_an_error),
		cmocka_unit_test(test_request_flavor_image_conflict_is_refused),
		cmocka_unit_test(test_request_refuses_what_sev_cannot_run),
		cmocka_unit_test(test_request_rejects_malformed_properties),
		cmocka_unit_test(test_launch_security_sev_uses_cbitpos_and_reduction_1),
		cmocka_unit_test(test_launch_security_snp_is_its_own_type),
		cmocka_unit_test(test_launch_security_refuses_policies_that_do_not_fit),
		cmocka_unit_test(test_launch_security_for_a_model_the_host_cannot_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
