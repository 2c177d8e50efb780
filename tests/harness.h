/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared helpers for the cmocka tests: temporary sysroots built file by file.
 * Tests link libsevslot.a, so they may call the library's internal decoders.
 */
#ifndef SEVSLOT_TEST_HARNESS_H
#define SEVSLOT_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make a fresh temporary directory; the caller frees the string. */
static inline char *h_tmpdir(void)
{
	char *d = strdup("/tmp/sevslot-test-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* Write `len` bytes to root/rel, creating parent directories. */
static inline void h_write(const char *root, const char *rel, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void h_puts(const char *root, const char *rel, const char *text)
{
	h_write(root, rel, text, strlen(text));
}

static inline int h_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * The whole file at `path`, NUL-terminated (the caller frees it); its length
 * in *len unless len is NULL. A file that cannot be opened fails the test.
 */
static inline char *h_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);

	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	assert_non_null(buf);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* rm -rf root, and free the string. */
static inline void h_rmtree(char *root)
{
	nftw(root, h_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

#endif
