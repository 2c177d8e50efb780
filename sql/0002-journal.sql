-- sevslot ledger, schema 2: the append-only events journal. Every write
-- sevslot makes (allocation, release, reconcile, capacity change, creation,
-- migration) adds one row in the same transaction, refusals included, with
-- the uid and pid of the process that asked.

CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	time      TEXT NOT NULL,
	operation TEXT NOT NULL
	          CHECK (operation IN ('create', 'migrate', 'capacity', 'allocate', 'release',
	                               'reconcile')),
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
