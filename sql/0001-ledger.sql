-- sevslot ledger, schema 1: the pools, the slots held in them, and the
-- invariants. Constraints and triggers hold whoever writes, sevslot or an
-- operator's sqlite3:
--   one allocation per consumer        slots.consumer is the primary key
--   (pool, slot) unique                UNIQUE (pool, slot)
--   0 <= slot < capacity               CHECK and slots_*_within_capacity
--   never more allocations than capacity   slots_*_within_capacity
-- A capacity may shrink below what is allocated (the host changed): nothing is
-- deleted, and the triggers refuse new allocations in that pool until it is
-- back under. Times are UTC, ISO 8601 with milliseconds.

CREATE TABLE pools (
	pool       TEXT PRIMARY KEY CHECK (pool IN ('sev', 'sev_es', 'sev_snp')),
	capacity   INTEGER NOT NULL CHECK (capacity >= 0),  -- effective: probe, limit, reserved
	probed     INTEGER NOT NULL CHECK (probed >= 0),    -- what the host reported
	updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO pools (pool, capacity, probed, updated_at) VALUES
	('sev', 0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('sev_es', 0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('sev_snp', 0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TRIGGER pools_are_never_deleted BEFORE DELETE ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: pools are never deleted');
END;

CREATE TRIGGER pools_are_never_renamed BEFORE UPDATE OF pool ON pools
BEGIN
	SELECT RAISE(ABORT, 'sevslot: pools are never renamed');
END;

CREATE TABLE slots (
	consumer     TEXT PRIMARY KEY
	             CHECK (length(CAST(consumer AS BLOB)) BETWEEN 1 AND 255
	                    AND consumer NOT GLOB '*[^!-~]*'),
	model        TEXT NOT NULL CHECK (model IN ('amd-sev', 'amd-sev-es', 'amd-sev-snp')),
	pool         TEXT NOT NULL,
	slot         INTEGER NOT NULL CHECK (slot >= 0),
	allocated_at TEXT NOT NULL,
	boot_id      TEXT NOT NULL,
	UNIQUE (pool, slot),
	-- SEV-SNP draws on sev_es, or on sev_snp when ciphertext hiding splits it.
	CHECK ((model = 'amd-sev' AND pool = 'sev') OR
	       (model = 'amd-sev-es' AND pool = 'sev_es') OR
	       (model = 'amd-sev-snp' AND pool IN ('sev_es', 'sev_snp')))
) STRICT;

CREATE TRIGGER slots_insert_within_capacity BEFORE INSERT ON slots
BEGIN
	SELECT RAISE(ABORT, 'sevslot: no such pool')
	 WHERE NOT EXISTS (SELECT 1 FROM pools WHERE pool = NEW.pool);
	SELECT RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	 WHERE NEW.slot >= (SELECT capacity FROM pools WHERE pool = NEW.pool);
	SELECT RAISE(ABORT, 'sevslot: pool full')
	 WHERE (SELECT count(*) FROM slots WHERE pool = NEW.pool)
	       >= (SELECT capacity FROM pools WHERE pool = NEW.pool);
END;

CREATE TRIGGER slots_update_within_capacity BEFORE UPDATE OF pool, slot ON slots
BEGIN
	SELECT RAISE(ABORT, 'sevslot: no such pool')
	 WHERE NOT EXISTS (SELECT 1 FROM pools WHERE pool = NEW.pool);
	SELECT RAISE(ABORT, 'sevslot: slot outside the pool''s capacity')
	 WHERE NEW.slot >= (SELECT capacity FROM pools WHERE pool = NEW.pool);
	SELECT RAISE(ABORT, 'sevslot: pool full')
	 WHERE (SELECT count(*) FROM slots WHERE pool = NEW.pool AND consumer <> OLD.consumer)
	       >= (SELECT capacity FROM pools WHERE pool = NEW.pool);
END;

-- Operators' views (sqlite3 -readonly).
CREATE VIEW pool_usage (pool, capacity, allocated, free) AS
SELECT p.pool, p.capacity, count(s.slot), max(p.capacity - count(s.slot), 0)
  FROM pools AS p LEFT JOIN slots AS s ON s.pool = p.pool
 GROUP BY p.pool
 ORDER BY p.pool;

CREATE VIEW allocations (consumer, model, pool, slot, allocated_at, boot_id) AS
SELECT consumer, model, pool, slot, allocated_at, boot_id
  FROM slots
 ORDER BY pool, slot;
