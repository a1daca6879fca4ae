"""Cluster-safe schema and migrations (issue 17, doc/scale-out.md).

Galera replicates InnoDB tables only, needs a primary key on every table (rows are matched
by key on the other nodes), and keeps GET_LOCK on one node. These run on the test stack's
single server; `make test-scale` runs the same product on three Galera nodes."""
import os
import subprocess

from billsync_test import ROOT


def billsync(stack, *args, env=None):
    e = stack.env()
    e.update(env or {})
    return subprocess.run([os.path.join(ROOT, "bin", "billsync"), *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=600)


def test_every_table_is_innodb_with_a_primary_key(stack):
    schema = stack.env().get("BILLSYNC_DB_NAME") or "billsync"
    rows = stack._mysql(
        "SELECT t.TABLE_NAME, t.ENGINE, (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS c"
        " WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME"
        " AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') FROM information_schema.TABLES t"
        f" WHERE t.TABLE_SCHEMA = '{schema}' AND t.TABLE_TYPE = 'BASE TABLE'").split("\n")
    tables = [r.split("\t") for r in rows if r.strip()]
    assert len(tables) > 30, "the product's tables were listed"
    bad = [(name, engine, pk) for name, engine, pk in tables if engine != "InnoDB" or pk != "1"]
    assert bad == [], f"not cluster-safe (engine, primary key): {bad}"


def test_two_migrates_at_once_apply_each_migration_once(stack):
    """The guard is schema_migrations' key, not GET_LOCK: two migrators started together on
    an empty database both finish, and every file is applied by exactly one of them."""
    stack._mysql("DROP DATABASE IF EXISTS billsync_twomig")
    stack._mysql("CREATE DATABASE billsync_twomig")
    try:
        env = dict(stack.env(), BILLSYNC_DB_NAME="billsync_twomig")
        argv = [os.path.join(ROOT, "bin", "billsync"), "migrate"]
        procs = [subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=600) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        files = sorted(f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql"))
        applied = 0
        for out, _ in outs:
            if "applied" in out:
                applied += int(out.split("applied ")[1].split()[0])
        assert applied == len(files), outs
        rows = stack._mysql("SELECT COUNT(*), SUM(done) FROM schema_migrations",
                            "billsync_twomig").split()
        assert rows == [str(len(files)), str(len(files))]
    finally:
        stack._mysql("DROP DATABASE billsync_twomig")


def test_a_database_from_before_the_claim_columns_is_upgraded(stack, tmp_path):
    """A database migrated by an older billsync has schema_migrations without done and
    claimed_by: its rows count as applied."""
    stack._mysql("DROP DATABASE IF EXISTS billsync_oldmig")
    stack._mysql("CREATE DATABASE billsync_oldmig")
    try:
        stack._mysql("CREATE TABLE schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200)"
                     " NOT NULL, applied_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6)) ENGINE=InnoDB;"
                     " INSERT INTO schema_migrations (version, name) VALUES (1, '001_ok.sql');"
                     " CREATE TABLE ok_one (id INT PRIMARY KEY)", "billsync_oldmig")
        (tmp_path / "001_ok.sql").write_text("CREATE TABLE ok_one (id INT PRIMARY KEY);")
        (tmp_path / "002_new.sql").write_text("CREATE TABLE two (id INT PRIMARY KEY);")
        r = billsync(stack, "migrate", "--dir", str(tmp_path), env={"BILLSYNC_DB_NAME": "billsync_oldmig"})
        assert r.returncode == 0 and "applied 1 migration(s)" in r.stdout, r.stderr
        assert stack._mysql("SELECT version, done FROM schema_migrations ORDER BY version",
                            "billsync_oldmig").split() == ["1", "1", "2", "1"]
    finally:
        stack._mysql("DROP DATABASE billsync_oldmig")


def test_a_bad_host_list_is_one_clear_line(stack):
    e = stack.env()
    e["BILLSYNC_DB_HOST"] = "db1:3306,,db3"
    r = subprocess.run([os.path.join(ROOT, "bin", "billsync"), "migrate"], env=e,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "db.host must be host[:port], or up to 8 of them separated by commas" in r.stderr
