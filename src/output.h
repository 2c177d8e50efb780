/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The output layer: every rendering sevslot prints, text and JSON, built in
 * memory and handed to the caller (the CLI prints it). One streaming JSON
 * writer (json_writer.c) serves every format. Nothing here is ABI.
 */
#ifndef SEVSLOT_OUTPUT_H
#define SEVSLOT_OUTPUT_H

#include "policy.h"

/* ------------------------------------------------------------ JSON writer */

#define SV_JSON_MAX_DEPTH 16

/*
 * Start with a zeroed struct sv_json: pretty, indented as json-c's
 * JSON_C_TO_STRING_PRETTY | SPACED prints it. With `flat`, one line as
 * json-c's JSON_C_TO_STRING_SPACED: { "a": 1, "b": [ 2 ] }.
 */
struct sv_json {
	char *buf;                     /* the text so far, NUL-terminated */
	size_t len, cap;
	int err;                       /* 0, or the first failure (-ENOMEM) */
	int depth;
	bool flat;
	bool first[SV_JSON_MAX_DEPTH]; /* nothing written yet at this depth */
};

/* Hand the text over (*out, caller frees), or the first failure. */
int sv_json_finish(struct sv_json *w, char **out) SV_NONNULL(1, 2) SV_MUST_CHECK;
void sv_json_object(struct sv_json *w, const char *key) SV_NONNULL(1); /* key NULL: top or in an array */
void sv_json_array(struct sv_json *w, const char *key) SV_NONNULL(1);
void sv_json_end_object(struct sv_json *w) SV_NONNULL(1);
void sv_json_end_array(struct sv_json *w) SV_NONNULL(1);
void sv_json_string(struct sv_json *w, const char *key, const char *value) SV_NONNULL(1); /* NULL: null */
void sv_json_int(struct sv_json *w, const char *key, int64_t value) SV_NONNULL(1);
void sv_json_number(struct sv_json *w, const char *key, const char *literal) SV_NONNULL(1, 3);
void sv_json_bool(struct sv_json *w, const char *key, bool value) SV_NONNULL(1);
void sv_json_null(struct sv_json *w, const char *key) SV_NONNULL(1);

/* ---------------------------------------------------------- renderings */

/*
 * Each rendering returns 0 with *out a NUL-terminated string the caller
 * frees, or -ENOMEM. `json` picks sevslot's JSON over the text for people.
 */

/* format_ledger.c: what the ledger commands print */
int sv_format_allocate(const struct sevslot_allocation *a, bool created, bool json, char **out)
	SV_NONNULL(1, 4) SV_MUST_CHECK;
int sv_format_release(const char *consumer, bool released, bool json, char **out)
	SV_NONNULL(1, 4) SV_MUST_CHECK;
int sv_format_list(const char *ledger, const struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT],
		   const struct sevslot_allocation *allocs, size_t n, bool json, char **out)
	SV_NONNULL(1, 2, 6) SV_MUST_CHECK;
int sv_format_audit(const char *ledger, const struct sevslot_audit *audit, bool json, char **out)
	SV_NONNULL(1, 2, 4) SV_MUST_CHECK;
int sv_format_reconcile(const struct sevslot_allocation *released, size_t n, bool dry_run,
			bool json, char **out) SV_NONNULL(5) SV_MUST_CHECK;
/* The stable id of an audit finding's kind ("stale_boot", "host_ahead", ...). */
const char *sv_finding_kind_name(enum sevslot_finding_kind kind);

/* format_guest.c: what a guest asks for and what libvirt is given */
int sv_format_request(const struct sevslot_request *req, bool json, char **out)
	SV_NONNULL(1, 3) SV_MUST_CHECK;
int sv_format_launch_security(const struct sevslot_host *host, enum sevslot_model model,
			      uint64_t policy, const char *xml, bool json, char **out)
	SV_NONNULL(1, 4, 6) SV_MUST_CHECK;

/* format_domain.c: `domain check` (findings, verdict) and `domain apply` */
int sv_format_domain_check(const struct sevslot_domain_report *report, const char *name,
			   bool json, char **out) SV_NONNULL(1, 4) SV_MUST_CHECK;
/* The edited domain exactly as it is (no newline added), or JSON {model, changed, xml}. */
int sv_format_domain_apply(enum sevslot_model model, const char *xml, bool changed, bool json,
			   char **out) SV_NONNULL(2, 5) SV_MUST_CHECK;

/* format_text.c: the line `sevslot snapshot` ends with */
int sv_format_snapshot(const char *dir, bool json, char **out) SV_NONNULL(1, 3) SV_MUST_CHECK;

#endif
