-- sevslot ledger, schema 3: allocating costs the same in a pool of 15 slots
-- or of 1006, full or empty.
--
--   free_slots   sevslot's own index of the slots nobody holds: each slot in
--                0 <= slot < capacity of each pool without a row in slots.
--                Derived, never the truth (pools and slots are): triggers
--                keep it right whoever writes slots or pools.capacity, and
--                sevslot rebuilds a pool's free slots when it finds them
--                wrong (a stray write to free_slots itself). The lowest free
--                slot is one seek.
--   capacity     checked in O(log n): a pool's slots are counted only when
--                one at or above the capacity exists (the capacity shrank).
--   slots        rebuilt WITHOUT ROWID, keyed by consumer: one b-tree fewer
--                to write per allocation and release. Same columns, same
--                constraints, same views.
--
-- The invariants stand as schema 1 stated them. One stray write is refused
-- that was not before: INSERT OR REPLACE (or UPDATE OR REPLACE) giving a
-- consumer that already holds a slot a second row. REPLACE deletes the old
-- row without firing its DELETE trigger, so the slot it held could not be
-- given back; release first.

DROP VIEW pool_usage;
DROP VIEW allocations;
DROP TRIGGER slots_insert_within_capacity;
DROP TRIGGER slots_update_within_capacity;

CREATE TABLE slots_v3 (
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

INSERT INTO slots_v3 (consumer, model, pool, slot, allocated_at, boot_id)
SELECT consumer, model, pool, slot, allocated_at, boot_id FROM slots;
DROP TABLE slots;
ALTER TABLE slots_v3 RENAME TO slots;

-- Operators' views (sqlite3 -readonly), exactly as schema 1 defined them.
CREATE VIEW pool_usage (pool, capacity, allocated, free) AS
SELECT p.pool, p.capacity, count(s.slot), max(p.capacity - count(s.slot), 0)
  FROM pools AS p LEFT JOIN slots AS s ON s.pool = p.pool
 GROUP BY p.pool
 ORDER BY p.pool;

CREATE VIEW allocations (consumer, model, pool, slot, allocated_at, boot_id) AS
SELECT consumer, model, pool, slot, allocated_at, boot_id
  FROM slots
 ORDER BY pool, slot;

CREATE TABLE free_slots (
	pool TEXT NOT NULL,
	slot INTEGER NOT NULL,
	PRIMARY KEY (pool, slot)
) STRICT, WITHOUT ROWID;

INSERT INTO free_slots (pool, slot)
WITH RECURSIVE n (pool, slot, capacity) AS (
	SELECT pool, 0, capacity FROM pools WHERE capacity > 0
	UNION ALL
	SELECT pool, slot + 1, capacity FROM n WHERE slot + 1 < capacity
)
SELECT n.pool, n.slot FROM n
 WHERE NOT EXISTS (SELECT 1 FROM slots AS s WHERE s.pool = n.pool AND s.slot = n.slot);

-- Never more allocations than capacity. With every slot below the capacity
-- and (pool, slot) unique, a pool can hold more than its capacity only if
-- some slot at or above it is held: only then are its slots counted (AND
-- evaluates the count only when EXISTS is true).
CREATE TRIGGER slots_insert_within_capacity BEFORE INSERT ON slots
BEGIN
	SELECT CASE
	       WHEN p.capacity IS NULL THEN RAISE(ABORT, 'sevslot: no such pool')
	       WHEN NEW.slot >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE consumer = NEW.consumer)
	       THEN RAISE(ABORT, 'sevslot: the consumer already holds a slot; release it first')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot >= p.capacity)
	        AND (SELECT count(*) FROM slots WHERE pool = NEW.pool) >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: pool full')
	       END
	  FROM (SELECT (SELECT capacity FROM pools WHERE pool = NEW.pool) AS capacity) AS p;
END;

CREATE TRIGGER slots_update_within_capacity BEFORE UPDATE OF pool, slot ON slots
BEGIN
	SELECT CASE
	       WHEN p.capacity IS NULL THEN RAISE(ABORT, 'sevslot: no such pool')
	       WHEN NEW.slot >= p.capacity
	       THEN RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	       WHEN EXISTS (SELECT 1 FROM slots WHERE pool = NEW.pool AND slot >= p.capacity
	                    AND consumer <> OLD.consumer)
	        AND (SELECT count(*) FROM slots WHERE pool = NEW.pool AND consumer <> OLD.consumer)
	            >= p.capacity
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

-- free_slots follows slots. OR IGNORE rather than NOT EXISTS (SELECT ... FROM
-- free_slots): an INSERT that reads its own table goes through a temporary
-- table.
CREATE TRIGGER slots_insert_takes_free_slot AFTER INSERT ON slots
BEGIN
	DELETE FROM free_slots WHERE pool = NEW.pool AND slot = NEW.slot;
END;

CREATE TRIGGER slots_delete_frees_slot AFTER DELETE ON slots
BEGIN
	INSERT OR IGNORE INTO free_slots (pool, slot)
	SELECT OLD.pool, OLD.slot
	 WHERE OLD.slot < (SELECT capacity FROM pools WHERE pool = OLD.pool);
END;

CREATE TRIGGER slots_update_moves_free_slot AFTER UPDATE OF pool, slot ON slots
BEGIN
	INSERT OR IGNORE INTO free_slots (pool, slot)
	SELECT OLD.pool, OLD.slot
	 WHERE OLD.slot < (SELECT capacity FROM pools WHERE pool = OLD.pool)
	   AND NOT EXISTS (SELECT 1 FROM slots WHERE pool = OLD.pool AND slot = OLD.slot);
	DELETE FROM free_slots WHERE pool = NEW.pool AND slot = NEW.slot;
END;

-- free_slots follows pools.capacity: the free slots at or above a lower
-- capacity go, the unheld slots in [old, new) of a higher one come.
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

-- INSERT OR REPLACE INTO pools swaps a pool's row without an UPDATE trigger:
-- its free slots are derived afresh.
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
