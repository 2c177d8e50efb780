#!/usr/bin/env python3
"""sql/schema.sql is the ledger's schema as it stands after every migration.

    tests/schema.py build/sevslot            check it against a ledger sevslot creates
    tests/schema.py build/sevslot --update   rewrite it (then review 'git diff sql/')

The migrations (sql/NNNN-*.sql) are what sevslot runs; schema.sql is what a reader
reads: every table, index, view and trigger of a new ledger, as SQLite stores them
after all migrations, and the PRAGMAs that identify the file. This check creates a
ledger with the real binary and fails when the two differ.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCHEMA = os.path.join(TOP, "sql", "schema.sql")
FIXTURE = os.path.join(TOP, "tests", "fixtures", "hosts", "epyc-7313-milan")
ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}

HEADER = """\
-- The sevslot ledger's schema as it stands after every migration in sql/NNNN-*.sql:
-- what a new ledger holds, for readers. sevslot runs the migrations, never this file;
-- tests/schema.py checks the two agree and rewrites this file (--update).
--
-- Invariants the schema holds, whoever writes (sevslot or an operator's sqlite3):
-- one allocation per consumer, (pool, slot) unique, 0 <= slot < capacity, never
-- more allocations in a pool than its capacity. free_slots is sevslot's own index
-- of the slots nobody holds, derived from pools and slots by the triggers.
-- A new ledger's pools table holds one row per pool: sev, sev_es, sev_snp.
"""


def render(db):
    con = sqlite3.connect(db)
    app, = con.execute("PRAGMA application_id").fetchone()
    version, = con.execute("PRAGMA user_version").fetchone()
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema "
                       "WHERE sql IS NOT NULL").fetchall()
    con.close()
    tables = [r[1] for r in sorted(rows, key=lambda r: r[1]) if r[0] == "table"]
    rank = {t: i for i, t in enumerate(tables)}
    out = [HEADER]
    for kind, name, table, sql in sorted(rows, key=lambda r: (rank.get(r[2], 99), ORDER[r[0]], r[1])):
        # ALTER TABLE ... RENAME stores the new name quoted; the file says it plainly.
        sql = sql.replace('CREATE TABLE "%s"' % name, "CREATE TABLE %s" % name, 1)
        out.append("%s;\n" % sql)
    out.append("PRAGMA application_id = %d; -- 0x%08x \"SEVS\"\n" % (app, app))
    out.append("PRAGMA user_version = %d;\n" % version)
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = os.path.join(tmp, "ledger.db")
        r = subprocess.run([sys.argv[1], "--sysroot", FIXTURE, "--ledger", ledger, "allocate", "x"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("schema: allocate failed: %s" % r.stderr.strip())
        want = render(ledger)
        # The file itself must build the same schema on an empty database.
        fresh = os.path.join(tmp, "fresh.db")
        try:
            have = open(SCHEMA).read()
        except OSError:
            have = ""
        if "--update" in sys.argv[2:]:
            with open(SCHEMA, "w") as f:
                f.write(want)
            print("sql/schema.sql rewritten: review 'git diff sql/schema.sql'")
            return
        if have != want:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                                       "sql/schema.sql", "a migrated ledger"))
            sys.exit("schema: FAIL sql/schema.sql differs from a migrated ledger "
                     "(tests/schema.py %s --update rewrites it)" % sys.argv[1])
        con = sqlite3.connect(fresh)
        con.executescript(have)
        con.close()
        if render(fresh) != want:
            sys.exit("schema: FAIL sql/schema.sql does not build the schema it shows")
    print("schema: sql/schema.sql matches a migrated ledger")


if __name__ == "__main__":
    main()
