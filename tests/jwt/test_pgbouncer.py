#!/usr/bin/python3
"""Two clients alternate tenants through PgBouncer in transaction mode over a
single server connection (default_pool_size = 1).

- With the safe patterns (set_config(..., true) as PostgREST does, SET LOCAL,
  tenant_guard.authenticate()) no client ever sees the other's rows, and no
  transaction starts with the previous client's tenant.
- With a session-level SET the next client inherits the tenant (the seed 003
  incident): identity.explain_claims() reports it as `session_scoped`, and with
  tenant_guard.require_transaction_scope on it is ignored.

Run with scripts/jwt_tests.sh, which starts the cluster and PgBouncer
(TG_BOUNCER_PORT on 127.0.0.1).
"""

import json
import os
import sys
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokens import SECRET, TestKeys  # noqa: E402

DB = "tg_pool"
SUPERUSER = os.environ.get("PGUSER", "postgres")
ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
ROWS = {ORG_A: "a-1,a-2", ORG_B: "b-1"}
ROUNDS = 25
KEYS = None


def direct(user, dbname=DB):
    params = {"user": user, "dbname": dbname, "host": os.environ["PGHOST"]}
    if os.environ.get("PGPORT"):
        params["port"] = os.environ["PGPORT"]
    return psycopg2.connect(**params)


def pooled(user="authenticator"):
    return psycopg2.connect(user=user, dbname=DB, host="127.0.0.1",
                            port=int(os.environ["TG_BOUNCER_PORT"]))


def claims(org):
    return {"sub": "7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f", "role": "authenticated",
            "exp": 4102444800, "app_metadata": {"organization_id": org}}


def admin(*statements, dbname=DB):
    conn = direct(SUPERUSER, dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in statements:
            cur.execute(s)
    conn.close()


def setUpModule():
    global KEYS
    for var in ("PGHOST", "TG_BOUNCER_PORT"):
        if not os.environ.get(var):
            raise RuntimeError(f"{var} is not set: run scripts/jwt_tests.sh")
    KEYS = TestKeys()
    conn = direct(SUPERUSER, "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB}")
        for role, opts in (("authenticator", "LOGIN NOINHERIT"), ("authenticated", "NOLOGIN")):
            cur.execute(f"DROP ROLE IF EXISTS {role}")
            cur.execute(f"CREATE ROLE {role} {opts}")
        cur.execute("GRANT authenticated TO authenticator")
        cur.execute("ALTER SYSTEM SET tenant_guard.jwt_secret = %s", (SECRET,))
        cur.execute("ALTER SYSTEM SET tenant_guard.jwks = %s", (KEYS.jwks(),))
        cur.execute("SELECT pg_reload_conf()")
    conn.close()
    admin(
        "CREATE EXTENSION tenant_guard",
        "CREATE TABLE docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text)",
        f"INSERT INTO docs VALUES (1, '{ORG_A}', 'a-1'), (2, '{ORG_A}', 'a-2'), (3, '{ORG_B}', 'b-1')",
        "ALTER TABLE docs ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY docs_tenant ON docs TO authenticated USING (org_id = identity.get_current_org_id())",
        "GRANT SELECT ON docs TO authenticated",
    )


def tearDownModule():
    conn = direct(SUPERUSER, "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM RESET tenant_guard.jwt_secret")
        cur.execute("ALTER SYSTEM RESET tenant_guard.jwks")
        cur.execute("ALTER SYSTEM RESET tenant_guard.require_transaction_scope")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def request(conn, org, how):
    """One request for `org`: (tenant at transaction start, rows seen, backend pid)."""
    with conn.cursor() as cur:
        cur.execute("SELECT identity.get_current_org_id()::text, pg_backend_pid()")
        at_start, pid = cur.fetchone()
        if how == "set_config":
            cur.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps(claims(org)),))
        elif how == "set_local":
            cur.execute("SET LOCAL app.tenant_id = %s", (org,))
        elif how == "authenticate":
            cur.execute("SELECT tenant_guard.authenticate(%s)", (KEYS.token("ES256", claims(org)),))
        cur.execute("SET LOCAL ROLE authenticated")
        cur.execute("SELECT coalesce(string_agg(body, ',' ORDER BY id), '-') FROM docs")
        seen = cur.fetchone()[0]
    conn.commit()
    return at_start, seen, pid


class Pooling(unittest.TestCase):
    def setUp(self):
        self.a, self.b = pooled(), pooled()

    def tearDown(self):
        self.a.close()
        self.b.close()

    def test_safe_patterns_never_leak(self):
        pids = set()
        for how in ("set_config", "set_local", "authenticate"):
            for i in range(ROUNDS):
                for conn, org in ((self.a, ORG_A), (self.b, ORG_B)):
                    with self.subTest(how=how, round=i, org=org):
                        at_start, seen, pid = request(conn, org, how)
                        pids.add(pid)
                        self.assertIsNone(at_start, "a transaction started with the previous client's tenant")
                        self.assertEqual(seen, ROWS[org])
        self.assertEqual(len(pids), 1, "both clients must share one server connection")

    def test_session_level_set_is_detected_then_ignored(self):
        # Client A sets the tenant at session level (autocommit: its own transaction).
        self.a.autocommit = True
        with self.a.cursor() as cur:
            cur.execute(f"SET app.tenant_id = '{ORG_A}'")
            cur.execute("SELECT pg_backend_pid()")
            pid_a = cur.fetchone()[0]
        # Client B's next transaction lands on the same server connection.
        with self.b.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.assertEqual(cur.fetchone()[0], pid_a)
            cur.execute("SELECT status FROM identity.explain_claims() WHERE source = 'app.tenant_id' ORDER BY status")
            statuses = [r[0] for r in cur.fetchall()]
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT coalesce(string_agg(body, ',' ORDER BY id), '-') FROM docs")
            inherited = cur.fetchone()[0]
        self.b.commit()
        self.assertEqual(inherited, ROWS[ORG_A], "the leak this test is about did not happen")
        self.assertIn("session_scoped", statuses, "the inherited tenant was not reported")

        admin("ALTER SYSTEM SET tenant_guard.require_transaction_scope = on", "SELECT pg_reload_conf()")
        try:
            for _ in range(3):  # the server connection picks up the reload at its next command
                _, seen, _ = request(self.b, None, "none")
            self.assertEqual(seen, "-", "require_transaction_scope must ignore the inherited tenant")
            with self.b.cursor() as cur:
                cur.execute("SELECT status, note FROM identity.explain_claims() WHERE source = 'app.tenant_id'")
                status, note = cur.fetchone()
            self.b.commit()
            self.assertEqual(status, "untrusted")
            self.assertIn("require_transaction_scope", note)
            # The safe pattern still works on that connection.
            _, seen, _ = request(self.b, ORG_B, "set_local")
            self.assertEqual(seen, ROWS[ORG_B])
        finally:
            admin("ALTER SYSTEM RESET tenant_guard.require_transaction_scope", "SELECT pg_reload_conf()")
            with self.a.cursor() as cur:
                cur.execute("RESET app.tenant_id")


if __name__ == "__main__":
    unittest.main(verbosity=2)
