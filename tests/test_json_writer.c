/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming JSON writer: escapes, numbers, nesting, and the layout json-c
 * prints (the probe's golden reports were written by json-c and still match).
 */
#include "harness.h"

#include <json-c/json.h>

#include "output.h"
#include "probe.h"

static char *finish(struct sv_json *w)
{
	char *out;

	assert_int_equal(sv_json_finish(w, &out), 0);
	return out;
}

static void test_json_escapes_quotes_backslashes_and_controls(void **state)
{
	struct sv_json w = { .depth = 0 };
	char *out;
	json_object *o;

	(void)state;
	sv_json_object(&w, NULL);
	sv_json_string(&w, "s", "a\"b\\c\n\t\x01/\x7f end");
	sv_json_end_object(&w);
	out = finish(&w);
	assert_string_equal(out, "{\n  \"s\": \"a\\\"b\\\\c\\n\\t\\u0001/\x7f end\"\n}");
	/* And a JSON parser reads back the very string. */
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "s")),
			    "a\"b\\c\n\t\x01/\x7f end");
	json_object_put(o);
	free(out);
}

static void test_json_numbers_nulls_and_nesting_as_json_c_prints_them(void **state)
{
	struct sv_json w = { .depth = 0 };
	json_object *ref = json_object_new_object(), *arr = json_object_new_array();
	char *out;

	(void)state;
	sv_json_object(&w, NULL);
	sv_json_int(&w, "min", INT64_MIN);
	sv_json_int(&w, "zero", 0);
	sv_json_null(&w, "none");
	sv_json_array(&w, "empty");
	sv_json_end_array(&w);
	sv_json_array(&w, "list");
	sv_json_bool(&w, NULL, true);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "k", NULL);
	sv_json_end_object(&w);
	sv_json_end_array(&w);
	sv_json_end_object(&w);
	out = finish(&w);

	json_object_object_add(ref, "min", json_object_new_int64(INT64_MIN));
	json_object_object_add(ref, "zero", json_object_new_int64(0));
	json_object_object_add(ref, "none", NULL);
	json_object_object_add(ref, "empty", json_object_new_array());
	json_object_array_add(arr, json_object_new_boolean(1));
	json_object_array_add(arr, json_object_new_object());
	json_object_object_add(json_object_array_get_idx(arr, 1), "k", NULL);
	json_object_object_add(ref, "list", arr);
	assert_string_equal(out, json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PRETTY |
									JSON_C_TO_STRING_SPACED |
									JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(ref);
	free(out);
}

static void test_json_flat_is_one_line_as_json_c_spaced_prints_it(void **state)
{
	struct sv_json w = { .flat = true };
	json_object *ref = json_object_new_object(), *arr = json_object_new_array();
	char *out;

	(void)state;
	sv_json_object(&w, NULL);
	sv_json_string(&w, "consumer", "vm-1");
	sv_json_int(&w, "slot", 7);
	sv_json_object(&w, "empty");
	sv_json_end_object(&w);
	sv_json_array(&w, "traits");
	sv_json_string(&w, NULL, "HW_CPU_X86_AMD_SEV");
	sv_json_bool(&w, NULL, false);
	sv_json_end_array(&w);
	sv_json_end_object(&w);
	out = finish(&w);

	json_object_object_add(ref, "consumer", json_object_new_string("vm-1"));
	json_object_object_add(ref, "slot", json_object_new_int64(7));
	json_object_object_add(ref, "empty", json_object_new_object());
	json_object_array_add(arr, json_object_new_string("HW_CPU_X86_AMD_SEV"));
	json_object_array_add(arr, json_object_new_boolean(0));
	json_object_object_add(ref, "traits", arr);
	assert_string_equal(out, json_object_to_json_string_ext(ref, JSON_C_TO_STRING_SPACED |
									JSON_C_TO_STRING_NOSLASHESCAPE));
	assert_null(strchr(out, '\n'));
	json_object_put(ref);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_quotes_backslashes_and_controls),
		cmocka_unit_test(test_json_numbers_nulls_and_nesting_as_json_c_prints_them),
		cmocka_unit_test(test_json_flat_is_one_line_as_json_c_spaced_prints_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
