/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy: the configuration file (INI style, DESIGN.md "Config"), how its
 * limits apply to a host, and the effective capacity of a pool under it.
 * Unknown sections and keys are errors: a misspelt `limt = 4` must not
 * leave a host unlimited.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define MAX_BUSY_TIMEOUT_MS 3600000u /* an hour: anything longer is a typo */
#define MAX_LINE 4096                /* bytes in a line, its newline excluded */

struct parser {
	struct sevslot_ctx *ctx;
	const char *file;
	unsigned line;
	int section;                 /* -1 none, 0 ledger, 1 + pool id */
	unsigned seen;               /* bit per (section, key) already set */
};

static int bad(struct parser *p, const char *fmt, ...) SV_PRINTF(2, 3);

static int bad(struct parser *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sv_fail(p->ctx, -EINVAL, "%s:%u: %s", p->file, p->line, why);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Cut a comment: '#' or ';' at the start or after white space. */
static void cut_comment(char *s)
{
	for (char *c = s; *c != '\0'; c++) {
		if ((*c == '#' || *c == ';') && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static int number(struct parser *p, const char *key, const char *v, uint64_t max, uint64_t *out)
{
	const char *end;

	if (sv_parse_u64(v, &end, 10, out) < 0 || *end != '\0' || *out > max) {
		char what[96];

		snprintf(what, sizeof(what), "%s must be a number from 0 to %llu", key,
			 (unsigned long long)max);
		return bad(p, "%s", what);
	}
	return 0;
}

static int once(struct parser *p, unsigned key)
{
	unsigned bit = 1u << (p->section * 4 + (int)key);

	if (p->seen & bit)
		return bad(p, "%s", "key set twice in this section");
	p->seen |= bit;
	return 0;
}

static int set(struct parser *p, struct sevslot_config *c, const char *key, const char *v)
{
	uint64_t n;
	int err;

	if (p->section < 0)
		return bad(p, "'%s' before any [section]", key);
	if (p->section == 0) {
		if (strcmp(key, "path") == 0) {
			if ((err = once(p, 0)) < 0)
				return err;
			if (v[0] != '/')
				return bad(p, "%s", "path must be absolute");
			free(c->ledger_path);
			c->ledger_path = strdup(v);
			return c->ledger_path == NULL ? -ENOMEM : 0;
		}
		if (strcmp(key, "busy_timeout_ms") == 0) {
			if ((err = once(p, 1)) < 0 ||
			    (err = number(p, key, v, MAX_BUSY_TIMEOUT_MS, &n)) < 0)
				return err;
			c->busy_timeout_ms = (unsigned)n;
			return 0;
		}
		return bad(p, "unknown key '%s' in [ledger] (path, busy_timeout_ms)", key);
	}

	struct sevslot_pool_policy *pol = &c->pools[p->section - 1];

	if (strcmp(key, "limit") == 0) {
		if ((err = once(p, 0)) < 0)
			return err;
		if (strcmp(v, "auto") == 0) {
			pol->limit = -1;
			return 0;
		}
		if ((err = number(p, "limit (or auto)", v, UINT32_MAX, &n)) < 0)
			return err;
		pol->limit = (int64_t)n;
		return 0;
	}
	if (strcmp(key, "reserved") == 0) {
		if ((err = once(p, 1)) < 0 || (err = number(p, key, v, UINT32_MAX, &n)) < 0)
			return err;
		pol->reserved = (uint32_t)n;
		return 0;
	}
	return bad(p, "unknown key '%s' in a [pool.*] section (limit, reserved)", key);
}

static int section(struct parser *p, char *s)
{
	size_t n = strlen(s);
	enum sevslot_pool_id pool;

	if (n < 2 || s[n - 1] != ']')
		return bad(p, "%s", "a section header is [name]");
	s[n - 1] = '\0';
	s = trim(s + 1);
	if (strcmp(s, "ledger") == 0) {
		p->section = 0;
		return 0;
	}
	if (strncmp(s, "pool.", 5) == 0 && sevslot_pool_from_name(s + 5, &pool) == 0) {
		p->section = 1 + (int)pool;
		return 0;
	}
	return bad(p, "unknown section [%s] (ledger, pool.sev, pool.sev_es, pool.sev_snp)", s);
}

/*
 * One line into buf (NUL-terminated, newline kept): 1, 0 at the end of the
 * file, or a negative errno. A line that does not fit is the file's fault
 * (a config line is short; /dev/zero has no end); a failed read is an error,
 * never the end of the file.
 */
static int read_line(struct parser *p, FILE *f, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int c = EOF;

	while (n + 1 < cap && (c = getc(f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	*len = n;
	if (n + 1 == cap && c != '\n') {
		p->line++;
		return bad(p, "line longer than %zu bytes", cap - 2);
	}
	if (c == EOF && ferror(f))
		return sv_fail(p->ctx, -EIO, "%s: cannot read after line %u: %s", p->file, p->line,
			       strerror(errno));
	return n > 0;
}

static int parse(struct parser *p, FILE *f, struct sevslot_config *c)
{
	char buf[MAX_LINE + 2], *s, *eq;
	size_t len;
	int err = 0;

	while ((err = read_line(p, f, buf, sizeof(buf), &len)) > 0) {
		err = 0;
		p->line++;
		if (memchr(buf, '\0', len) != NULL) {
			err = bad(p, "%s", "binary data (a NUL byte)");
			break;
		}
		cut_comment(buf);
		s = trim(buf);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			if ((err = section(p, s)) < 0)
				break;
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			err = bad(p, "expected 'key = value', got '%.80s'", s);
			break;
		}
		*eq = '\0';
		if (*trim(s) == '\0') {
			err = bad(p, "%s", "a key is missing before '='");
			break;
		}
		if (*trim(eq + 1) == '\0') {
			err = bad(p, "no value for '%s'", trim(s));
			break;
		}
		if ((err = set(p, c, trim(s), trim(eq + 1))) < 0)
			break;
	}
	return err;
}

static void defaults(struct sevslot_config *c)
{
	c->busy_timeout_ms = SEVSLOT_BUSY_TIMEOUT_MS;
	for (unsigned i = 0; i < SEVSLOT_POOL_COUNT; i++) {
		c->pools[i].limit = -1;
		c->pools[i].reserved = 0;
	}
}

SEVSLOT_EXPORT int sevslot_config_load(struct sevslot_ctx *ctx, const char *path,
				       struct sevslot_config **out)
{
	struct parser p = { .ctx = ctx, .file = path ? path : SEVSLOT_CONFIG_PATH, .section = -1 };
	struct sevslot_config *c;
	FILE *f;
	int err;

	*out = NULL;
	ctx->errmsg[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	defaults(c);
	f = fopen(p.file, "re");
	if (f == NULL) {
		err = -errno;
		if (err == -ENOENT && path == NULL) {
			*out = c;
			return 0;
		}
		sevslot_config_free(c);
		return sv_fail(ctx, err, "%s: %s", p.file, strerror(-err));
	}
	err = parse(&p, f, c);
	fclose(f);
	if (err == 0 && (c->path = strdup(p.file)) == NULL)
		err = -ENOMEM;
	if (err < 0) {
		sevslot_config_free(c);
		return err;
	}
	*out = c;
	return 0;
}

SEVSLOT_EXPORT void sevslot_config_free(struct sevslot_config *config)
{
	if (config == NULL)
		return;
	free(config->ledger_path);
	free(config->path);
	free(config);
}

/* The models that draw on `pool` here, "amd-sev-es or amd-sev-snp", into buf. */
static const char *models_of(const struct sevslot_host *host, unsigned pool, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT && n < len; m++)
		if (host->models[m].pool == pool)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " or " : "",
					      sevslot_model_name(m));
	return buf[0] != '\0' ? buf : "no model";
}

/*
 * One pool: its numbers, and what the operator should hear. "What the host
 * reports" is the pool's size as the probe derives it (CPUID by the kernel's
 * arithmetic), which misc.capacity confirms where the misc cgroup exists;
 * README.md ("Configuration") gives the reasoning.
 */
static int judge_pool(struct sevslot_ctx *ctx, const struct sevslot_host *host,
		      const struct sevslot_pool_policy *pol, unsigned p, const char *file,
		      struct sv_pool_limits *out)
{
	const struct sevslot_pool *pool = &host->pools[p];
	const char *name = sevslot_pool_name(p);
	bool confirmed = host->kernel.misc_capacity_read;
	char models[64];

	memset(out, 0, sizeof(*out));
	if (!pool->present) {
		/*
		 * pool.sev_snp where ciphertext hiding does not split sev_es: a
		 * limit for SNP on a host that cannot run SNP at all is the same
		 * error as below; where SNP runs (on sev_es) the section only
		 * does not apply here.
		 */
		if (pol->limit > 0 && !host->models[SEVSLOT_MODEL_SEV_SNP].usable)
			return ctx == NULL ? -ERANGE :
			       sv_fail(ctx, -ERANGE, "%s: [pool.%s] limit = %lld, but this host cannot "
				       "run amd-sev-snp guests ('sevslot probe' says why); set limit = 0 "
				       "or auto there", file, name, (long long)pol->limit);
		if (ctx != NULL && (pol->limit > 0 || pol->reserved > 0))
			sv_log(ctx, SEVSLOT_LOG_WARNING, "%s: [pool.%s] does not apply on this host: "
			       "it has no separate %s pool (SEV-SNP guests draw on sev_es unless "
			       "ciphertext hiding splits it); its limit and reserved are ignored",
			       file, name, name);
		return 0;
	}
	out->host = pool->capacity;
	out->total = pol->limit >= 0 && (uint64_t)pol->limit < pool->capacity ?
			     (uint32_t)pol->limit : pool->capacity;
	out->reserved = pol->reserved;
	if (pol->limit > 0 && !pool->usable)
		return ctx == NULL ? -ERANGE :
		       sv_fail(ctx, -ERANGE, "%s: [pool.%s] limit = %lld, but this host cannot run "
			       "%s guests from that pool ('sevslot probe' says why); set limit = 0 "
			       "or auto there", file, name, (long long)pol->limit,
			       models_of(host, p, models, sizeof(models)));
	if (pol->reserved > out->total)
		return ctx == NULL ? -ERANGE :
		       sv_fail(ctx, -ERANGE, "%s: [pool.%s] reserved = %u is above the pool's total "
			       "of %u slots (this host reports %u%s); lower reserved", file, name,
			       pol->reserved, out->total, pool->capacity,
			       out->total < pool->capacity ? ", capped by limit" : "");
	if (ctx == NULL || pol->limit <= 0)
		return 0;
	if ((uint64_t)pol->limit > pool->capacity)
		sv_log(ctx, SEVSLOT_LOG_WARNING, "%s: [pool.%s] limit = %lld is above the %u slots "
		       "this host reports for the pool%s; using %u", file, name, (long long)pol->limit,
		       pool->capacity, confirmed ? "" : " (CPUID's count; the kernel reports none "
		       "without the misc cgroup)", pool->capacity);
	else if (!confirmed)
		sv_log(ctx, SEVSLOT_LOG_WARNING, "%s: [pool.%s] limit = %lld taken as given: the "
		       "kernel reports no slot count here (no misc.capacity: Linux before 5.13, or "
		       "no misc cgroup controller); CPUID gives the pool %u", file, name,
		       (long long)pol->limit, pool->capacity);
	else if ((uint64_t)pol->limit == pool->capacity)
		sv_log(ctx, SEVSLOT_LOG_INFO, "%s: [pool.%s] limit = %lld is what this host reports; "
		       "limit = auto says the same", file, name, (long long)pol->limit);
	return 0;
}

int sv_policy_judge(struct sevslot_ctx *ctx, const struct sevslot_host *host,
		    const struct sevslot_pool_policy *policy, const char *file,
		    struct sv_pool_limits out[SEVSLOT_POOL_COUNT])
{
	static const struct sevslot_pool_policy none = { .limit = -1, .reserved = 0 };
	int err;

	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		if ((err = judge_pool(ctx, host, policy != NULL ? &policy[p] : &none, p,
				      file != NULL ? file : "(no configuration file)", &out[p])) < 0)
			return err;
	return 0;
}

SEVSLOT_EXPORT int sevslot_config_check(struct sevslot_ctx *ctx,
					const struct sevslot_config *config,
					const struct sevslot_host *host)
{
	struct sv_pool_limits limits[SEVSLOT_POOL_COUNT];

	ctx->errmsg[0] = '\0';
	return sv_policy_judge(ctx, host, config != NULL ? config->pools : NULL,
			       config != NULL ? config->path : NULL, limits);
}

uint32_t sv_effective_capacity(const struct sevslot_host *host,
			       const struct sevslot_pool_policy *policy, enum sevslot_pool_id pool)
{
	uint32_t cap;

	if ((unsigned)pool >= SEVSLOT_POOL_COUNT || !host->pools[pool].present)
		return 0;
	cap = host->pools[pool].capacity;
	if (policy == NULL)
		return cap;
	if (policy->limit >= 0 && (uint64_t)policy->limit < cap)
		cap = (uint32_t)policy->limit;
	return cap > policy->reserved ? cap - policy->reserved : 0;
}

SEVSLOT_EXPORT uint32_t sevslot_effective_capacity(const struct sevslot_host *host,
						   const struct sevslot_config *config,
						   enum sevslot_pool_id pool)
{
	if ((unsigned)pool >= SEVSLOT_POOL_COUNT)
		return 0;
	return sv_effective_capacity(host, config ? &config->pools[pool] : NULL, pool);
}
