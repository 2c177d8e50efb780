/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One QEMU firmware descriptor (QEMU's docs/interop/firmware.json), as
 * libvirt reads them to pick firmware for <os firmware='efi'>: which models
 * of encrypted guest it can boot. A pure function over bytes; the bytes are
 * untrusted (a sysroot, or a file an administrator dropped into
 * /etc/qemu/firmware): strict JSON, a bounded depth, and every member read is
 * checked for its type before it is used.
 *
 * Matching follows libvirt's qemuFirmwareMatchDomain (src/qemu/qemu_firmware.c):
 * the "uefi" interface, an x86_64 target whose machine globs match q35,
 * feature "amd-sev" for SEV, "amd-sev" and "amd-sev-es" for SEV-ES (policy
 * bit 2), and a flash mapping in split mode (libvirt discards the others) or
 * a memory mapping. SEV-SNP needs "amd-sev-snp" and stateless firmware that
 * QEMU loads with -bios: a "memory" mapping (QEMU for SNP refuses pflash,
 * AMDESE/AMDSEV#223).
 */
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

#define JSON_DEPTH 16              /* a descriptor nests four levels deep */

/* Member `key` of `obj` when it has type `type`; NULL and a reason otherwise. */
static json_object *member(json_object *obj, const char *key, json_type type, const char **why)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v)) {
		*why = "is missing";
		return NULL;
	}
	if (!json_object_is_type(v, type)) {
		*why = type == json_type_array ? "is not an array" :
		       type == json_type_object ? "is not an object" : "is not a string";
		return NULL;
	}
	return v;
}

/* Whether `arr` is an array of strings (each of at most 256 bytes). */
static bool strings(json_object *arr)
{
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(s, json_type_string) || json_object_get_string_len(s) > 256)
			return false;
	}
	return true;
}

static bool has_string(json_object *arr, const char *want)
{
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), want) == 0)
			return true;
	return false;
}

/* An x86_64 target whose machines include q35 ("pc-q35-*", as Debian's say). */
static int q35_target(json_object *targets, bool *q35, char *why, size_t whylen)
{
	size_t n = json_object_array_length(targets);

	*q35 = false;
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(targets, i), *arch, *machines;
		const char *what = NULL;

		if (!json_object_is_type(t, json_type_object)) {
			snprintf(why, whylen, "targets[%zu] is not an object", i);
			return -EBADMSG;
		}
		if ((arch = member(t, "architecture", json_type_string, &what)) == NULL ||
		    (machines = member(t, "machines", json_type_array, &what)) == NULL) {
			snprintf(why, whylen, "targets[%zu]: '%s' %s", i,
				 arch == NULL ? "architecture" : "machines", what);
			return -EBADMSG;
		}
		if (!strings(machines)) {
			snprintf(why, whylen, "targets[%zu].machines is not an array of strings", i);
			return -EBADMSG;
		}
		if (strcmp(json_object_get_string(arch), "x86_64") != 0)
			continue;
		for (size_t m = 0; m < json_object_array_length(machines); m++) {
			const char *glob = json_object_get_string(json_object_array_get_idx(machines, m));

			if (fnmatch(glob, "pc-q35-99.0", 0) == 0)
				*q35 = true;
		}
	}
	return 0;
}

static int check(json_object *doc, struct sv_fw_desc *d, char *why, size_t whylen)
{
	json_object *ifaces, *mapping, *device, *mode, *targets, *features;
	const char *what = NULL;
	bool uefi, q35, flash_ok, memory;
	size_t n;
	int err;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		return -EBADMSG;
	}
	if ((ifaces = member(doc, "interface-types", json_type_array, &what)) == NULL ||
	    !strings(ifaces)) {
		snprintf(why, whylen, "'interface-types' %s", what != NULL ? what : "is not an array of strings");
		return -EBADMSG;
	}
	if ((mapping = member(doc, "mapping", json_type_object, &what)) == NULL ||
	    (device = member(mapping, "device", json_type_string, &what)) == NULL) {
		snprintf(why, whylen, "'%s' %s", mapping == NULL ? "mapping" : "mapping.device", what);
		return -EBADMSG;
	}
	if ((targets = member(doc, "targets", json_type_array, &what)) == NULL) {
		snprintf(why, whylen, "'targets' %s", what);
		return -EBADMSG;
	}
	if ((features = member(doc, "features", json_type_array, &what)) == NULL || !strings(features)) {
		snprintf(why, whylen, "'features' %s", what != NULL ? what : "is not an array of strings");
		return -EBADMSG;
	}
	if ((err = q35_target(targets, &q35, why, whylen)) < 0)
		return err;
	snprintf(d->device, sizeof(d->device), "%s", json_object_get_string(device));
	flash_ok = strcmp(d->device, "flash") == 0;
	if (flash_ok && json_object_object_get_ex(mapping, "mode", &mode)) {
		if (!json_object_is_type(mode, json_type_string)) {
			snprintf(why, whylen, "'mapping.mode' is not a string");
			return -EBADMSG;
		}
		flash_ok = strcmp(json_object_get_string(mode), "split") == 0;
	}
	memory = strcmp(d->device, "memory") == 0;
	uefi = has_string(ifaces, "uefi");

	n = json_object_array_length(features);
	for (size_t i = 0; i < n && i < SV_FW_FEATURES; i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(features, i));

		/* Printable ASCII only: features are shown in reports. */
		for (const char *p = f; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e) {
				snprintf(why, whylen, "features[%zu] is not printable ASCII", i);
				return -EBADMSG;
			}
		if ((d->features[i] = strdup(f)) == NULL)
			return -ENOMEM;
	}
	d->boots[SEVSLOT_MODEL_SEV] = uefi && q35 && (flash_ok || memory) &&
				      has_string(features, "amd-sev");
	d->boots[SEVSLOT_MODEL_SEV_ES] = d->boots[SEVSLOT_MODEL_SEV] &&
					 has_string(features, "amd-sev-es");
	d->boots[SEVSLOT_MODEL_SEV_SNP] = uefi && q35 && memory &&
					  has_string(features, "amd-sev-snp");
	return 0;
}

int sv_fw_desc_parse(const char *data, size_t len, struct sv_fw_desc *d, char *why, size_t whylen)
{
	struct json_tokener *tok;
	json_object *doc;
	size_t end;
	int err;

	memset(d, 0, sizeof(*d));
	why[0] = '\0';
	if (len > SV_FW_DESC_MAX) {
		snprintf(why, whylen, "larger than %d bytes", SV_FW_DESC_MAX);
		return -EBADMSG;
	}
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, data, (int)len);
	if (doc == NULL) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(why, whylen, "not JSON (%s at byte %zu)",
			 e == json_tokener_continue ? "it ends early" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return -EBADMSG;
	}
	/* One value, and nothing after it but blanks. */
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (data[end] != ' ' && data[end] != '\n' && data[end] != '\t' && data[end] != '\r')
			break;
	json_tokener_free(tok);
	if (end < len) {
		snprintf(why, whylen, "not JSON (something follows the value at byte %zu)", end);
		json_object_put(doc);
		return -EBADMSG;
	}
	err = check(doc, d, why, whylen);
	json_object_put(doc);
	if (err < 0) {
		if (err == -ENOMEM)
			snprintf(why, whylen, "out of memory");
		sv_fw_desc_release(d);
	}
	return err;
}

void sv_fw_desc_release(struct sv_fw_desc *d)
{
	for (size_t i = 0; i < SV_FW_FEATURES && d->features[i] != NULL; i++)
		free(d->features[i]);
	memset(d, 0, sizeof(*d));
}
