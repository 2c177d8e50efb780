-- sevslot ledger, schema 6: stray writers cannot evict a holder.
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
