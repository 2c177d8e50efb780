/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A streaming JSON writer for the reports sevslot prints on hot paths (the
 * probe runs once per placement and once a minute per host): values are
 * appended to one growing buffer, with no tree to build and free and no
 * stdio call per character. The output is indented as json-c's
 * JSON_C_TO_STRING_PRETTY | SPACED prints it, or with `flat` on one line
 * as JSON_C_TO_STRING_SPACED does, so that sevslot's JSON reads alike
 * whichever tool wrote it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static void put(struct sv_json *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap != 0 ? w->cap : 4096;
		char *p;

		while (w->len + n + 1 > cap)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (p == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(struct sv_json *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Between values: a newline and the indent, or one space when flat. */
static void indent(struct sv_json *w)
{
	static const char spaces[] = "                                ";

	if (w->flat) {
		put(w, " ", 1);
		return;
	}
	put(w, "\n", 1);
	for (int n = 2 * w->depth; n > 0; n -= (int)sizeof(spaces) - 1)
		put(w, spaces, n < (int)sizeof(spaces) - 1 ? (size_t)n : sizeof(spaces) - 1);
}

static void escaped(struct sv_json *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(w, "\"", 1);
	while (*s != '\0') {
		size_t run = 0;
		unsigned char c;

		/* Copy the longest run that needs no escape in one go. */
		while (s[run] != '\0' && s[run] != '"' && s[run] != '\\' &&
		       (unsigned char)s[run] >= 0x20)
			run++;
		put(w, s, run);
		s += run;
		if (*s == '\0')
			break;
		c = (unsigned char)*s++;
		switch (c) {
		case '"':
			puts_(w, "\\\"");
			break;
		case '\\':
			puts_(w, "\\\\");
			break;
		case '\n':
			puts_(w, "\\n");
			break;
		case '\r':
			puts_(w, "\\r");
			break;
		case '\t':
			puts_(w, "\\t");
			break;
		case '\b':
			puts_(w, "\\b");
			break;
		case '\f':
			puts_(w, "\\f");
			break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(w, u, sizeof(u));
		}
		}
	}
	put(w, "\"", 1);
}

/* Before a value: the comma and newline that separate it from the last one. */
static void sep(struct sv_json *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			put(w, ",", 1);
		w->first[w->depth] = false;
		indent(w);
	}
	if (key != NULL) {
		escaped(w, key);
		put(w, ": ", 2);
	}
}

static void open_(struct sv_json *w, const char *key, const char *bracket)
{
	sep(w, key);
	puts_(w, bracket);
	if (w->depth + 1 < SV_JSON_MAX_DEPTH)
		w->depth++;
	else
		w->err = -E2BIG;
	w->first[w->depth] = true;
}

static void close_(struct sv_json *w, const char *bracket)
{
	if (w->depth > 0)
		w->depth--;
	indent(w);
	puts_(w, bracket);
}

void sv_json_object(struct sv_json *w, const char *key)
{
	open_(w, key, "{");
}

void sv_json_array(struct sv_json *w, const char *key)
{
	open_(w, key, "[");
}

void sv_json_end_object(struct sv_json *w)
{
	close_(w, "}");
}

void sv_json_end_array(struct sv_json *w)
{
	close_(w, "]");
}

void sv_json_string(struct sv_json *w, const char *key, const char *value)
{
	sep(w, key);
	if (value == NULL)
		puts_(w, "null");
	else
		escaped(w, value);
}

void sv_json_int(struct sv_json *w, const char *key, int64_t value)
{
	char digits[24], *p = digits + sizeof(digits);
	uint64_t u = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

	sep(w, key);
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (value < 0)
		*--p = '-';
	put(w, p, (size_t)(digits + sizeof(digits) - p));
}

void sv_json_number(struct sv_json *w, const char *key, const char *literal)
{
	sep(w, key);
	puts_(w, literal);
}

void sv_json_bool(struct sv_json *w, const char *key, bool value)
{
	sep(w, key);
	puts_(w, value ? "true" : "false");
}

void sv_json_null(struct sv_json *w, const char *key)
{
	sep(w, key);
	puts_(w, "null");
}

int sv_json_finish(struct sv_json *w, char **out)
{
	*out = NULL;
	if (w->err != 0 || w->buf == NULL) {
		free(w->buf);
		return w->err != 0 ? w->err : -ENOMEM;
	}
	*out = w->buf;
	return 0;
}
