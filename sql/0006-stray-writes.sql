-- sevslot ledger, schema 6: stray writers cannot evict a holder, nor give a
-- pool more slots than the host reported.
--
-- `INSERT OR REPLACE INTO slots` (or `UPDATE OR REPLACE`) naming a (pool,
-- slot) another consumer holds used to pass: REPLACE resolves the UNIQUE
-- (pool, slot) conflict by deleting the holder's row, silently (an implicit
-- REPLACE delete fires no DELETE trigger, so no journal line either). In a
-- full pool, where every slot is held, any insert could evict someone. The
-- BEFORE triggers now refuse a (pool, slot) that someone else holds, before
-- SQLite's conflict resolution runs: with OR REPLACE, OR IGNORE or neither,
-- the holder keeps the slot and the statement fails. Release first.
--
-- Each trigger is the schema-3 one with that one test added; the extra index
-- seek on (pool, slot) is the one the UNIQUE constraint makes anyway.

DROP TRIGGER slots_insert_within_capacity;
DROP TRIGGER slots_update_within_capacity;

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

-- A pool's capacity is sevslot's to write: the host's count (probed) capped by
-- the configured limit, less what is reserved, rewritten at every open for
-- writing. What the schema can know it refuses: a capacity above the count
-- the same row says the host reported. The host's count itself it cannot
-- know, so a writer who changes probed too is not refused here; `seal` lets
-- sevslot tell its own rows from such a write. It is a check value sevslot
-- computes over (pool, capacity, probed) when it writes the row (not a
-- secret: it tells writes apart, it does not stop a forger). The next open
-- for writing finds a row whose seal does not match, restores it from the
-- host, journals it ('capacity', result 'edited') and warns; `sevslot audit`
-- reports it as a finding of its own (capacity_edited). Allocations such a
-- capacity let in are never deleted: the pool refuses new ones until it is
-- back under. Rows from before schema 6 get 0 ("not sealed yet"), sealed at
-- the next open without a word; NULL (a row replaced by hand) counts as
-- written outside sevslot.

ALTER TABLE pools ADD COLUMN seal INTEGER;
UPDATE pools SET seal = 0;

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
