/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every libFuzzer target shares. A target is one file, fuzz_NAME.c,
 * defining LLVMFuzzerTestOneInput; NAME.dict beside it holds its tokens and
 * tools/fuzz lists where its seeds come from. Decoders get what the sources
 * layer hands them: a NUL-terminated copy of the bytes, and their length.
 */
#ifndef SEVSLOT_FUZZ_H
#define SEVSLOT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *fz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
