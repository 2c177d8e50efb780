-- The sevslot ledger's schema as it stands after every migration in sql/NNNN-*.sql:
-- what a new ledger holds, for readers. sevslot runs the migrations, never this file;
-- tests/schema.py checks the two agree and rewrites this file (--update).
--
-- Invariants the schema holds, whoever writes (sevslot or an operator's sqlite3):
-- one allocation per consumer, (pool, slot) unique, 0 <= slot < capacity, never
-- more allocations in a pool than its capacity. free_slots is sevslot's own index
-- of the slots nobody holds, derived from pools and slots by the triggers.
-- A new ledger's pools table holds one row per pool: sev, sev_es, sev_snp.

CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	time      TEXT NOT NULL,
	operation TEXT NOT NULL
	          CHECK (operation = 'create' OR operation = 'migrate' OR
	                 operation = 'capacity' OR operation = 'allocate' OR
	                 operation = 'release' OR operation = 'reconcile'),
	consumer  TEXT,
	model     TEXT,
	pool      TEXT,
	slot      INTEGER,
	uid       INTEGER,
	pid       INTEGER,
	result    TEXT NOT NULL,  -- created existing full conflict unavailable released absent
	                          -- changed over (capacity) ok (create, migrate)
	detail    TEXT
) STRICT;

CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'sevslot: the events journal is append-only');
END;

CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'sevslot: the events journal is append-only');
END;

CREATE TABLE free_slots (
	pool TEXT NOT NULL,
	slot INTEGER NOT NULL,
	PRIMARY KEY (pool, slot)
) STRICT, WITHOUT ROWID;

CREATE TABLE pools (
	pool       TEXT PRIMARY KEY CHECK (pool IN ('sev', 'sev_es', 'sev_snp')),
	capacity   INTEGER NOT NULL CHECK (capacity >= 0),  -- effective: probe, limit, reserved
	probed     INTEGER NOT NULL CHECK (probed >= 0),    -- what the host reported
	updated_at TEXT NOT NULL
, seal INTEGER) STRICT, WITHOUT ROWID;

CREATE TRIGGER pools_are_never_deleted BEFORE DELETE ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: pools are never deleted');
END;

CREATE TRIGGER pools_are_never_renamed BEFORE UPDATE OF pool ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: pools are never renamed');
END;

CREATE TRIGGER pools_capacity_moves_free_slots AFTER UPDATE OF capacity ON pools
BEGIN
	DELETE FROM free_slots WHERE pool = NEW.pool AND slot >= NEW.capacity;
	INSERT INTO free_slots (pool, slot)
	SELECT NEW.pool, n.slot
	  FROM (WITH RECURSIVE r (slot) AS (
	            SELECT OLD.capacity WHERE OLD.capacity < NEW.capacity
	            UNION ALL
	            SELECT slot + 1 FROM r WHERE slot + 1 < NEW.capacity)
	        SELECT slot FROM r) AS n
	 WHERE NOT EXISTS (SELECT 1 FROM slots AS s WHERE s.pool = NEW.pool AND s.slot = n.slot)
	   AND NOT EXISTS (SELECT 1 FROM free_slots AS f WHERE f.pool = NEW.pool AND f.slot = n.slot);
END;

CREATE TRIGGER pools_insert_derives_free_slots AFTER INSERT ON pools
BEGIN
	DELETE FROM free_slots WHERE pool = NEW.pool;
	INSERT INTO free_slots (pool, slot)
	SELECT NEW.pool, n.slot
	  FROM (WITH RECURSIVE r (slot) AS (
	            SELECT 0 WHERE NEW.capacity > 0
	            UNION ALL
	            SELECT slot + 1 FROM r WHERE slot + 1 < NEW.capacity)
	        SELECT slot FROM r) AS n
	 WHERE NOT EXISTS (SELECT 1 FROM slots AS s WHERE s.pool = NEW.pool AND s.slot = n.slot);
END;

CREATE TRIGGER pools_insert_within_probed BEFORE INSERT ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: capacity above the host''s count (probed); sevslot sets both from the host at every open: lower the configured limit instead')
	 WHERE NEW.capacity > NEW.probed;
END;

CREATE TRIGGER pools_update_within_probed BEFORE UPDATE OF capacity, probed ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: capacity above the host''s count (probed); sevslot sets both from the host at every open: lower the configured limit instead')
	 WHERE NEW.capacity > NEW.probed;
END;

CREATE TABLE slots (
	consumer     TEXT PRIMARY KEY
	             CHECK (length(CAST(consumer AS BLOB)) BETWEEN 1 AND 255
	                    AND consumer NOT GLOB '*[^!-~]*'),
	-- Spelt out rather than IN (...): SQLite builds a temporary b-tree for an
	-- IN list of three values on every insert.
	model        TEXT NOT NULL
	             CHECK (model = 'amd-sev' OR model = 'amd-sev-es' OR model = 'amd-sev-snp'),
	pool         TEXT NOT NULL,
	slot         INTEGER NOT NULL CHECK (slot >= 0),
	allocated_at TEXT NOT NULL,
	boot_id      TEXT NOT NULL,
	UNIQUE (pool, slot),
	-- SEV-SNP draws on sev_es, or on sev_snp when ciphertext hiding splits it.
	CHECK ((model = 'amd-sev' AND pool = 'sev') OR
	       (model = 'amd-sev-es' AND pool = 'sev_es') OR
	       (model = 'amd-sev-snp' AND pool IN ('sev_es', 'sev_snp')))
) STRICT, WITHOUT ROWID;

CREATE TRIGGER slots_delete_frees_slot AFTER DELETE ON slots
BEGIN
	INSERT OR IGNORE INTO free_slots (pool, slot)
	SELECT OLD.pool, OLD.slot
	 WHERE OLD.slot < (SELECT capacity FROM pools WHERE pool = OLD.pool);
END;

CREATE TRIGGER slots_insert_takes_free_slot AFTER INSERT ON slots
BEGIN
	DELETE FROM free_slots WHERE pool = NEW.pool AND slot = NEW.slot;
END;

CREATE TRIGGER slots_insert_within_capacity BEFORE INSERT ON slots
BEGIN
	SELECT CASE
	       WHEN p.capacity IS NULL THEN RAISE(ABORT, 'sevslot: no such pool')
	       WHEN NEW.slot >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE consumer = NEW.consumer)
	       THEN RAISE(ABORT, 'sevslot: the consumer already holds a slot; release it first')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot = NEW.slot)
	       THEN RAISE(ABORT, 'sevslot: another consumer holds that slot; release it first')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot >= p.capacity)
	        AND (SELECT count(*) FROM slots WHERE pool = NEW.pool) >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: pool full')
	       END
	  FROM (SELECT (SELECT capacity FROM pools WHERE pool = NEW.pool) AS capacity) AS p;
END;

CREATE TRIGGER slots_update_consumer_is_unique BEFORE UPDATE OF consumer ON slots
BEGIN
	SELECT RAISE(ABORT, 'sevslot: the consumer already holds a slot; release it first')
	 WHERE NEW.consumer <> OLD.consumer
	   AND EXISTS (SELECT 1 FROM slots WHERE consumer = NEW.consumer);
END;

CREATE TRIGGER slots_update_moves_free_slot AFTER UPDATE OF pool, slot ON slots
BEGIN
	INSERT OR IGNORE INTO free_slots (pool, slot)
	SELECT OLD.pool, OLD.slot
	 WHERE OLD.slot < (SELECT capacity FROM pools WHERE pool = OLD.pool)
	   AND NOT EXISTS (SELECT 1 FROM slots WHERE pool = OLD.pool AND slot = OLD.slot);
	DELETE FROM free_slots WHERE pool = NEW.pool AND slot = NEW.slot;
END;

CREATE TRIGGER slots_update_within_capacity BEFORE UPDATE OF pool, slot ON slots
BEGIN
	SELECT CASE
	       WHEN p.capacity IS NULL THEN RAISE(ABORT, 'sevslot: no such pool')
	       WHEN NEW.slot >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot = NEW.slot
	                    AND consumer <> OLD.consumer)
	       THEN RAISE(ABORT, 'sevslot: another consumer holds that slot; release it first')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot >= p.capacity
	                    AND consumer <> OLD.consumer)
	        AND (SELECT count(*) FROM slots WHERE pool = NEW.pool AND consumer <> OLD.consumer)
	            >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: pool full')
	       END
	  FROM (SELECT (SELECT capacity FROM pools WHERE pool = NEW.pool) AS capacity) AS p;
END;

CREATE VIEW allocations (consumer, model, pool, slot, allocated_at, boot_id) AS
SELECT consumer, model, pool, slot, allocated_at, boot_id
  FROM slots
 ORDER BY pool, slot;

CREATE VIEW pool_usage (pool, capacity, allocated, free) AS
SELECT p.pool, p.capacity, count(s.slot), max(p.capacity - count(s.slot), 0)
  FROM pools AS p LEFT JOIN slots AS s ON s.pool = p.pool
 GROUP BY p.pool
 ORDER BY p.pool;

PRAGMA application_id = 1397053011; -- 0x53455653 "SEVS"

PRAGMA user_version = 6;
