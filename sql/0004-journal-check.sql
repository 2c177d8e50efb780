-- sevslot ledger, schema 4: the events journal, rebuilt with its operation
-- CHECK spelt out. Schema 2 wrote it as `operation IN (six values)`, for
-- which SQLite builds a temporary b-tree on every insert: two thirds of the
-- instructions of each journal line, and every allocation and release writes
-- one. Same columns, same rows (ids kept), same index, same triggers, same
-- constraint.
--
-- The rows are copied once, inside the migration's transaction (about 3 s
-- per million rows on a virtio disk), and the space of the old table stays
-- in the file for later rows to reuse (`VACUUM` returns it).

DROP TRIGGER events_are_never_updated;
DROP TRIGGER events_are_never_deleted;
DROP INDEX events_by_consumer;

CREATE TABLE events_v4 (
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

INSERT INTO events_v4 (id, time, operation, consumer, model, pool, slot, uid, pid, result, detail)
SELECT id, time, operation, consumer, model, pool, slot, uid, pid, result, detail FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;

CREATE INDEX events_by_consumer ON events (consumer, id);

-- Append-only: an operator who must prune the journal drops these first, on purpose.
CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'sevslot: the events journal is append-only');
END;

CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'sevslot: the events journal is append-only');
END;
