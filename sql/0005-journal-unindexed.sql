-- sevslot ledger, schema 5: the journal loses its index by consumer.
--
-- Every allocation and release writes a journal line; the index made each of
-- those commits write one WAL frame more (five against the raw floor's three),
-- which was what kept allocate+release below 0.8x of raw SQLite. The one
-- query it served, an operator's history of one consumer, now scans the
-- journal: about a quarter of a second per million lines, for a query run by
-- hand. The journal's rowid order (id) is still its time order.

DROP INDEX events_by_consumer;
