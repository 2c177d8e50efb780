/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening the ledger: the file and its permissions, refusing a foreign file,
 * WAL mode, the schema (ledger_migrate.c), and each pool's capacity from a
 * capacity-only probe. Allocation lives in ledger_alloc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_int.h"

struct identity {
	int64_t app, version, objects;
};

/* The three facts read in one snapshot: a file another process is creating is all or nothing. */
static int read_identity(struct sevslot_ledger *l, void *arg)
{
	struct identity *id = arg;
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT (SELECT application_id FROM pragma_application_id), "
				     "(SELECT user_version FROM pragma_user_version), "
				     "(SELECT count(*) FROM sqlite_schema)", &st)) < 0)
		return err;
	err = sv_ledger_step(l, st, "read the header");
	if (err == SQLITE_ROW) {
		id->app = sqlite3_column_int64(st, 0);
		id->version = sqlite3_column_int64(st, 1);
		id->objects = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

/*
 * Is this our file? Ours has our application_id; a file with no id, no
 * schema and no version is new (ours to initialise). Anything else is
 * refused before a single byte is written to it.
 */
static int check_identity(struct sevslot_ledger *l)
{
	struct identity id = { 0 };
	int err;

	if ((err = sv_ledger_read(l, "read the header", read_identity, &id)) < 0) {
		if (err == -EBADMSG)
			return sv_ledger_fail(l, err, "ledger %s is not an SQLite database; "
					      "refusing to touch it (move it away or name another --ledger)",
					      l->path);
		return err;
	}
	if ((uint32_t)id.app != SV_LEDGER_APPLICATION_ID &&
	    !(id.app == 0 && id.version == 0 && id.objects == 0))
		return sv_ledger_fail(l, -EBADMSG, "ledger %s is an SQLite database of another "
				      "application (application_id 0x%08x), not a sevslot ledger; "
				      "left untouched", l->path, (unsigned)(uint32_t)id.app);
	if (id.version > (int64_t)sv_ledger_latest_version())
		return sv_ledger_fail(l, -EBADMSG, "ledger %s has schema version %lld, newer than "
				      "this sevslot knows (%u); upgrade sevslot", l->path,
				      (long long)id.version, sv_ledger_latest_version());
	if (id.version < 0)
		return sv_ledger_fail(l, -EIO, "ledger %s is corrupt (schema version %lld); restore "
				      "it from a backup or move it away", l->path, (long long)id.version);
	if (l->readonly && id.version < 1)
		return sv_ledger_fail(l, -ENOENT, "ledger %s is empty: nothing was ever allocated",
				      l->path);
	l->schema_version = (unsigned)id.version;
	return 0;
}

static int set_pragmas(struct sevslot_ledger *l)
{
	sqlite3_stmt *st;
	int err;

	/* A file group members can write must not run their functions in our views. */
	sqlite3_exec(l->db, "PRAGMA trusted_schema = OFF", NULL, NULL, NULL);
	if (l->readonly)
		return 0;
	if ((err = sv_ledger_prepare(l, "PRAGMA journal_mode = WAL", &st)) < 0)
		return err;
	err = sv_ledger_step(l, st, "switch to WAL mode");
	if (err == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		err = sv_ledger_fail(l, -EIO, "ledger %s: cannot use WAL mode (journal_mode %s); "
				     "is it on a network file system?", l->path,
				     (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (err < 0)
		return err;
	int rc = sqlite3_exec(l->db, "PRAGMA synchronous = " SV_LEDGER_SYNCHRONOUS, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sv_ledger_sqlite_fail(l, rc, "set synchronous");
}

/* ------------------------------------------------------------- capacity */

int64_t sv_pool_seal(const char *pool, int64_t capacity, int64_t probed)
{
	char text[96];
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
	int n = snprintf(text, sizeof(text), "sevslot pools 6\n%s\n%lld\n%lld", pool,
			 (long long)capacity, (long long)probed);

	for (int i = 0; i < n && i < (int)sizeof(text); i++) {
		h ^= (unsigned char)text[i];
		h *= 0x100000001b3u;
	}
	h &= INT64_MAX;
	return h != 0 ? (int64_t)h : 1;
}

/* How a pools row stands against the seal sevslot gave it. */
enum seal_state { SEALED, UNSEALED, EDITED };

static enum seal_state seal_state(sqlite3_stmt *st, int col, const char *pool, int64_t capacity,
				  int64_t probed)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return EDITED; /* replaced by hand: the column was not named */
	if (sqlite3_column_int64(st, col) == 0)
		return UNSEALED; /* from before schema 6 */
	return sqlite3_column_int64(st, col) == sv_pool_seal(pool, capacity, probed) ? SEALED : EDITED;
}

struct refresh {
	uint32_t probed[SEVSLOT_POOL_COUNT];
	bool changed;
};

/* Does the pools table differ from what the probe and the config give? */
static int read_pools(struct sevslot_ledger *l, void *arg)
{
	struct refresh *r = arg;
	sqlite3_stmt *st;
	enum sevslot_pool_id pool;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT pool, capacity, probed, seal FROM pools", &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "read pools")) == SQLITE_ROW) {
		if ((err = sv_ledger_pool_column(l, st, 0, &pool)) < 0)
			break;
		if (sqlite3_column_int64(st, 1) != l->capacity[pool] ||
		    sqlite3_column_int64(st, 2) != r->probed[pool] ||
		    seal_state(st, 3, sevslot_pool_name(pool), sqlite3_column_int64(st, 1),
			       sqlite3_column_int64(st, 2)) != SEALED)
			r->changed = true;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

/*
 * Write each pool's capacity, host count and seal, journaling every change.
 * A row whose seal does not match was written outside sevslot (the schema
 * refuses a capacity above the row's host count, but cannot know the host):
 * it is restored all the same, journaled as 'edited' and warned about.
 */
static int write_pools(struct sevslot_ledger *l, void *arg)
{
	struct refresh *r = arg;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT p.capacity, p.probed, "
				     "(SELECT count(*) FROM slots s WHERE s.pool = p.pool), "
				     "(SELECT max(slot) FROM slots s WHERE s.pool = p.pool), p.seal "
				     "FROM pools p WHERE p.pool = ?1", &sel)) < 0 ||
	    (err = sv_ledger_prepare(l, "UPDATE pools SET capacity = ?2, probed = ?3, seal = ?4, "
				     "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
				     "WHERE pool = ?1", &upd)) < 0)
		goto out;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		const char *name = sevslot_pool_name(p);
		int64_t old_cap, old_probed, count, max_slot;
		enum seal_state seal;
		char detail[320];
		const char *result;
		bool over;

		l->edited[p] = -1;
		sqlite3_reset(sel);
		sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
		if ((err = sv_ledger_step(l, sel, "read pools")) < 0)
			goto out;
		if (err != SQLITE_ROW)
			continue;
		old_cap = sqlite3_column_int64(sel, 0);
		old_probed = sqlite3_column_int64(sel, 1);
		count = sqlite3_column_int64(sel, 2);
		max_slot = sqlite3_column_type(sel, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(sel, 3);
		seal = seal_state(sel, 4, name, old_cap, old_probed);
		if (old_cap == l->capacity[p] && old_probed == r->probed[p] && seal == SEALED)
			continue;
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2, l->capacity[p]);
		sqlite3_bind_int64(upd, 3, r->probed[p]);
		sqlite3_bind_int64(upd, 4, sv_pool_seal(name, l->capacity[p], r->probed[p]));
		if ((err = sv_ledger_step(l, upd, "update capacity")) < 0)
			goto out;
		if (seal != EDITED && old_cap == l->capacity[p] && old_probed == r->probed[p])
			continue; /* sealed for the first time: nothing changed */
		over = count > (int64_t)l->capacity[p] || max_slot >= (int64_t)l->capacity[p];
		if (seal == EDITED) {
			l->edited[p] = old_cap;
			result = "edited";
			snprintf(detail, sizeof(detail),
				 "capacity %lld (host count %lld) was written outside sevslot; restored "
				 "to %u (host reports %u); %lld allocated%s", (long long)old_cap,
				 (long long)old_probed, l->capacity[p], r->probed[p], (long long)count,
				 over ? ": over capacity, new allocations refused until back under" : "");
		} else {
			result = over ? "over" : "changed";
			snprintf(detail, sizeof(detail),
				 "capacity %lld -> %u (host reports %u); %lld allocated%s",
				 (long long)old_cap, l->capacity[p], r->probed[p], (long long)count,
				 over ? ": over capacity, new allocations refused until back under" : "");
		}
		if ((err = sv_journal(l, "capacity", NULL, -1, (int)p, -1, result, detail)) < 0)
			goto out;
		if (over || seal == EDITED)
			sv_log(l->ctx, SEVSLOT_LOG_WARNING, "ledger %s: pool %s: %s", l->path, name,
			       detail);
	}
	err = 0;
out:
	sqlite3_reset(sel);
	sqlite3_reset(upd);
	return err;
}

/*
 * Capacity per pool, from the probe (capacity only: never a firmware command)
 * and the config. Written only when it changed, so that an unchanged host
 * costs a read, not a write.
 */
static int refresh_capacity(struct sevslot_ledger *l)
{
	struct refresh r = { .changed = false };
	struct sv_pool_limits limits[SEVSLOT_POOL_COUNT];
	int err;

	err = sevslot_probe(l->ctx, SEVSLOT_PROBE_CAPACITY, &l->host);
	if (err < 0)
		return sv_ledger_fail(l, err, "ledger %s: cannot probe this host's capacity: %s",
				      l->path, sevslot_errmsg(l->ctx));
	/* The operator's limits, judged against this host: warnings, or a config error. */
	if ((err = sv_policy_judge(l->ctx, l->host, l->policy, l->config_path, limits)) < 0)
		return sv_ledger_fail(l, err, "%s", sevslot_errmsg(l->ctx));
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		r.probed[p] = l->host->pools[p].present ? l->host->pools[p].capacity : 0;
		l->capacity[p] = sv_effective_capacity(l->host, &l->policy[p], p);
		if (l->capacity[p] > SV_LEDGER_MAX_SLOTS) {
			sv_log(l->ctx, SEVSLOT_LOG_WARNING,
			       "ledger %s: pool %s: the host reports %u slots; using %u", l->path,
			       sevslot_pool_name(p), l->capacity[p], SV_LEDGER_MAX_SLOTS);
			l->capacity[p] = SV_LEDGER_MAX_SLOTS;
		}
	}
	if ((err = sv_ledger_read(l, "read pools", read_pools, &r)) < 0)
		return err;
	if (!r.changed)
		return 0;
	return sv_ledger_write(l, "refresh capacity", write_pools, &r);
}

/* ---------------------------------------------------------------- open */

static int open_db(struct sevslot_ledger *l, const char *path, int flags)
{
	int rc = sqlite3_open_v2(path, &l->db, flags, NULL), err;

	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(l->db, 1);
		sqlite3_busy_handler(l->db, sv_ledger_busy, l);
		return 0;
	}
	err = sv_ledger_errno(l->db, rc);
	return sv_ledger_fail(l, err, "ledger %s: cannot open: %s%s", l->path,
			      l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc),
			      err == -EACCES ? "; run as root or as a member of group "
			      SV_LEDGER_GROUP : "");
}

static void close_db(struct sevslot_ledger *l)
{
	sv_ledger_forget_statements(l);
	sqlite3_close_v2(l->db);
	l->db = NULL;
}

/* Remove a temporary ledger and what SQLite may have left beside it. */
static void remove_temp(struct sevslot_ledger *l, const char *tmp)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char name[512];

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", tmp, suffixes[i]);
		unlinkat(l->dirfd, name, 0);
	}
}

/*
 * A new ledger is made whole under a temporary name (mode 0660, group
 * sevslot, WAL mode, the latest schema), then renamed into place without
 * replacing anything. A crash leaves no half-made ledger at the real name,
 * and every other process sees either no ledger or a finished one: first
 * use from many processes at once needs no luck.
 */
static int create_ledger(struct sevslot_ledger *l)
{
	gid_t gid = sv_ledger_gid(l);
	struct timespec ts;
	char tmp[256], *path = NULL;
	int fd, err;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), ".%.200s.new-%d-%lx", l->base, (int)getpid(), (long)ts.tv_nsec);
	fd = openat(l->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return sv_ledger_fail(l, -errno, "ledger %s: cannot create: %s%s", l->path,
				      strerror(errno), errno == EACCES ?
				      "; run as root or as a member of group " SV_LEDGER_GROUP : "");
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
		dbg(l->ctx, "ledger: cannot give %s to group %s: %s", l->path, SV_LEDGER_GROUP,
		    strerror(errno));
	err = fchmod(fd, SV_LEDGER_FILE_MODE) < 0 ? -errno : 0;
	close(fd);
	if (err < 0) {
		sv_ledger_fail(l, err, "ledger %s: cannot chmod: %s", l->path, strerror(-err));
		goto out;
	}
	if (sv_asprintf(&path, "%s/%s", l->real_dir, tmp) < 0) {
		err = -ENOMEM;
		goto out;
	}
	l->schema_version = 0;
	if ((err = open_db(l, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
			   SQLITE_OPEN_NOMUTEX)) < 0 ||
	    (err = set_pragmas(l)) < 0 || (err = sv_ledger_migrate(l)) < 0)
		goto out;
	close_db(l);
	if (renameat2(l->dirfd, tmp, l->dirfd, l->base, RENAME_NOREPLACE) < 0) {
		err = -errno;
		if (err == -EINVAL || err == -ENOSYS) {
			/* No RENAME_NOREPLACE here: link(2) never replaces either. */
			err = linkat(l->dirfd, tmp, l->dirfd, l->base, 0) < 0 ? -errno : 0;
		}
		if (err == -EEXIST)
			err = 0;            /* another process made it first: theirs is used */
		else if (err < 0)
			sv_ledger_fail(l, err, "ledger %s: cannot create: %s", l->path, strerror(-err));
	} else {
		tmp[0] = '\0';
	}
	if (err == 0) {
		int dfd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);         /* the name, as durable as the commits */
			close(dfd);
		}
	}
out:
	if (l->db != NULL)
		close_db(l);
	if (tmp[0] != '\0')
		remove_temp(l, tmp);
	free(path);
	l->schema_version = 0;
	return err;
}

/* "file:PATH?immutable=1": read-only media, nobody can change it under us. */
static char *immutable_uri(const char *path)
{
	size_t n = strlen(path);
	char *uri = malloc(5 + 3 * n + 13), *o;

	if (uri == NULL)
		return NULL;
	o = stpcpy(uri, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p >= 0x7f)
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	}
	strcpy(o, "?immutable=1");
	return uri;
}

static int do_open(struct sevslot_ledger *l)
{
	/* One thread at a time per handle (sevslot.h): SQLite's mutexes would be waste. */
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	char *uri = NULL;
	bool exists;
	int err;

	if ((err = sv_ledger_locate(l, !l->readonly, &exists)) < 0)
		return err;
	if (!exists && l->readonly)
		return sv_ledger_fail(l, -ENOENT, "ledger %s does not exist (nothing was ever "
				      "allocated)", l->path);
	if (l->rofs && !l->readonly)
		return sv_ledger_fail(l, -EROFS, "ledger %s is on a read-only file system; it can "
				      "be read (list, audit, inventory), not written", l->path);
	if (!exists) {
		if ((err = create_ledger(l)) < 0)
			return err;
		sv_ledger_unlocate(l);
		if ((err = sv_ledger_locate(l, false, &exists)) < 0)
			return err;
		if (!exists)
			return sv_ledger_fail(l, -EIO, "ledger %s vanished while it was created; "
					      "retry", l->path);
	}
	sv_ledger_repair(l);
	if (l->readonly) {
		flags |= SQLITE_OPEN_READONLY;
		/* Read-only media: SQLite cannot make the -shm a WAL reader needs. */
		if (l->rofs && !sv_ledger_has_wal(l)) {
			if ((uri = immutable_uri(l->real)) == NULL)
				return -ENOMEM;
			flags |= SQLITE_OPEN_URI;
		}
	} else {
		flags |= SQLITE_OPEN_READWRITE;
	}
	err = open_db(l, uri != NULL ? uri : l->real, flags);
	free(uri);
	if (err < 0)
		return err;
	if ((err = check_identity(l)) < 0 || (err = set_pragmas(l)) < 0)
		return err;
	if (l->readonly)
		return 0;
	if ((err = sv_ledger_migrate(l)) < 0)
		return err;
	return refresh_capacity(l);
}

SEVSLOT_EXPORT int sevslot_ledger_open(struct sevslot_ctx *ctx, const char *path,
				       const struct sevslot_config *config, unsigned flags,
				       struct sevslot_ledger **out)
{
	struct sevslot_ledger *l;
	struct timespec ts;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	*out = l;
	l->ctx = ctx;
	l->dirfd = -1;
	l->readonly = (flags & SEVSLOT_LEDGER_READONLY) != 0;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		l->edited[p] = -1;
	l->busy_timeout_ms = config != NULL ? config->busy_timeout_ms : SEVSLOT_BUSY_TIMEOUT_MS;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		l->policy[p].limit = config != NULL ? config->pools[p].limit : -1;
		l->policy[p].reserved = config != NULL ? config->pools[p].reserved : 0;
	}
	if (config != NULL && config->path != NULL && (l->config_path = strdup(config->path)) == NULL) {
		snprintf(l->errmsg, sizeof(l->errmsg), "out of memory");
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	l->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)l;
	if (l->rng == 0)
		l->rng = 1;
	if (path == NULL)
		path = config != NULL && config->ledger_path != NULL ? config->ledger_path :
								       SEVSLOT_LEDGER_PATH;
	l->path = strdup(path);
	if (l->path == NULL) {
		snprintf(l->errmsg, sizeof(l->errmsg), "out of memory");
		return -ENOMEM;
	}
	if (path[0] == '\0')
		return sv_ledger_fail(l, -EINVAL, "ledger path is empty");
	return do_open(l);
}

SEVSLOT_EXPORT void sevslot_ledger_close(struct sevslot_ledger *ledger)
{
	if (ledger == NULL)
		return;
	sv_ledger_forget_statements(ledger);
	sqlite3_close_v2(ledger->db);
	sv_ledger_unlocate(ledger);
	sevslot_host_free(ledger->host);
	free(ledger->config_path);
	free(ledger->path);
	free(ledger);
}

SEVSLOT_EXPORT const char *sevslot_ledger_errmsg(const struct sevslot_ledger *ledger)
{
	return ledger != NULL ? ledger->errmsg : "out of memory";
}

SEVSLOT_EXPORT const char *sevslot_ledger_path(const struct sevslot_ledger *ledger)
{
	return ledger->path;
}
