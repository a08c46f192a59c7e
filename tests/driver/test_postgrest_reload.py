#!/usr/bin/python3
"""PostgREST's schema-cache reload through a real LISTEN: tenant_guard's
reload_postgrest() and the auto-reload event trigger notify channel `pgrst`
with 'reload schema', exactly what PostgREST listens for (seed 000 §4).

Run with scripts/driver_tests.sh, or with PGHOST/PGPORT of a running cluster.
"""

import os
import select
import sys
import unittest

try:
    import psycopg2
    import psycopg2.errors
    import psycopg2.extensions
except ImportError:  # pragma: no cover
    sys.stderr.write("psycopg2 is missing: apt-get install python3-psycopg2\n")
    sys.exit(2)

DB = os.environ.get("TG_RELOAD_DB", "tg_reload")
SUPERUSER = os.environ.get("PGUSER", "postgres")


def connect(dbname=DB):
    params = {"user": SUPERUSER, "dbname": dbname, "host": os.environ["PGHOST"]}
    if os.environ.get("PGPORT"):
        params["port"] = os.environ["PGPORT"]
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def setUpModule():
    if not os.environ.get("PGHOST"):
        raise RuntimeError("PGHOST is not set: run scripts/driver_tests.sh")
    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB}")
    admin.close()
    with connect().cursor() as cur:
        cur.execute("CREATE EXTENSION tenant_guard")


def tearDownModule():
    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.close()


class Reload(unittest.TestCase):
    def setUp(self):
        self.listener = connect()
        with self.listener.cursor() as cur:
            cur.execute("LISTEN pgrst")
        self.client = connect()

    def tearDown(self):
        with self.client.cursor() as cur:
            cur.execute("SELECT tenant_guard.disable_auto_reload()")
        self.client.close()
        self.listener.close()

    def received(self, timeout=2.0):
        """Payloads on channel pgrst until `timeout` seconds pass without one."""
        out = []
        while select.select([self.listener], [], [], timeout)[0]:
            self.listener.poll()
            while self.listener.notifies:
                n = self.listener.notifies.pop(0)
                out.append((n.channel, n.payload))
            timeout = 0.2
        return out

    def run_sql(self, sql):
        with self.client.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0] if cur.description else None

    def test_reload_postgrest_notifies(self):
        self.run_sql("SELECT tenant_guard.reload_postgrest()")
        self.assertEqual(self.received(), [("pgrst", "reload schema")])

    def test_auto_reload_after_ddl_only_while_enabled(self):
        self.run_sql("CREATE TABLE before_enable (id int)")
        self.assertEqual(self.received(timeout=0.5), [], "no trigger yet")

        self.assertIn("enabled", self.run_sql("SELECT tenant_guard.enable_auto_reload()"))
        self.assertIn("already", self.run_sql("SELECT tenant_guard.enable_auto_reload()"))
        self.run_sql("CREATE TABLE projects (id int PRIMARY KEY, org_id uuid NOT NULL)")
        self.assertEqual(self.received(), [("pgrst", "reload schema")])
        self.run_sql("ALTER TABLE projects ADD COLUMN name text")
        self.assertEqual(self.received(), [("pgrst", "reload schema")])
        self.run_sql("SELECT 1")
        self.assertEqual(self.received(timeout=0.5), [], "plain queries do not notify")

        self.assertEqual(self.run_sql("SELECT tenant_guard.disable_auto_reload()"), "auto reload disabled")
        self.run_sql("CREATE TABLE after_disable (id int)")
        self.assertEqual(self.received(timeout=0.5), [])

    def test_auto_reload_grants_new_tables(self):
        with self.client.cursor() as cur:
            cur.execute("DROP ROLE IF EXISTS tg_reload_reader")
            cur.execute("CREATE ROLE tg_reload_reader")
            cur.execute("CREATE TABLE granted_before (id int)")
            cur.execute("SELECT tenant_guard.enable_auto_reload()")
            cur.execute("SET tenant_guard.auto_grant_role = 'tg_reload_reader'")
            cur.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, org_id uuid NOT NULL)")
            cur.execute("CREATE VIEW orders_v AS SELECT * FROM orders")
            cur.execute(
                "SELECT has_table_privilege('tg_reload_reader', 'orders', 'SELECT, INSERT, UPDATE, DELETE'),"
                "       has_sequence_privilege('tg_reload_reader', 'orders_id_seq', 'USAGE'),"
                "       has_table_privilege('tg_reload_reader', 'orders_v', 'SELECT'),"
                "       has_table_privilege('tg_reload_reader', 'granted_before', 'SELECT')")
            self.assertEqual(cur.fetchone(), (True, True, True, False))
            # Another privilege list; a malformed one stops the DDL with a clear error.
            cur.execute("SET tenant_guard.auto_grant_privileges = 'select'")
            cur.execute("CREATE TABLE read_only (id int)")
            cur.execute("SELECT has_table_privilege('tg_reload_reader', 'read_only', 'SELECT'),"
                        "       has_table_privilege('tg_reload_reader', 'read_only', 'INSERT')")
            self.assertEqual(cur.fetchone(), (True, False))
            cur.execute("SET tenant_guard.auto_grant_privileges = 'select; drop table orders'")
            with self.assertRaises(psycopg2.errors.InvalidParameterValue):
                cur.execute("CREATE TABLE refused (id int)")
            cur.execute("RESET tenant_guard.auto_grant_privileges")
            cur.execute("RESET tenant_guard.auto_grant_role")
            cur.execute("DROP TABLE orders, read_only, granted_before CASCADE")
            cur.execute("DROP ROLE tg_reload_reader")
        self.assertIn(("pgrst", "reload schema"), self.received())

    def test_not_for_everyone(self):
        with self.client.cursor() as cur:
            cur.execute("DROP ROLE IF EXISTS tg_reload_plain")
            cur.execute("CREATE ROLE tg_reload_plain")
            cur.execute("SET ROLE tg_reload_plain")
            for fn in ("reload_postgrest", "enable_auto_reload"):
                with self.subTest(fn=fn):
                    with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
                        cur.execute(f"SELECT tenant_guard.{fn}()")
            cur.execute("RESET ROLE")
            cur.execute("DROP ROLE tg_reload_plain")


if __name__ == "__main__":
    unittest.main(verbosity=2)
