/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers every layer may use: attributes, array sizes, number parsing.
 * Nothing here is ABI.
 */
#ifndef SEVSLOT_UTIL_H
#define SEVSLOT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Only what include/sevslot.h declares is exported (src/libsevslot.sym). */
#define SEVSLOT_EXPORT __attribute__((visibility("default")))
#define SV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SV_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define SV_MUST_CHECK __attribute__((warn_unused_result))

/*
 * Make a message one line a terminal shows as it is: every control byte
 * (a newline in SQLite's text of a damaged schema, an escape sequence from
 * an untrusted file) becomes a space. Bytes of 0x80 and above stay (UTF-8).
 */
void sv_one_line(char *msg) SV_NONNULL(1);
/* vasprintf into *out; -ENOMEM (and *out NULL) on failure. */
int sv_asprintf(char **out, const char *fmt, ...) SV_PRINTF(2, 3) SV_NONNULL(1, 2) SV_MUST_CHECK;
/*
 * Parse an unsigned number without strtoull's surprises: no sign, no leading
 * space, overflow is -ERANGE, no digits -EINVAL. Base 10, or 16 with an
 * optional 0x. `end` (may be NULL) points past the digits.
 */
int sv_parse_u64(const char *s, const char **end, int base, uint64_t *out)
	SV_NONNULL(1, 4) SV_MUST_CHECK;

/*
 * Close a stream open_memstream(out, ...) opened: 0 with *out the text, or
 * -ENOMEM with *out freed and NULL.
 */
int sv_memstream_close(FILE *f, char **out) SV_NONNULL(1, 2) SV_MUST_CHECK;

#endif
