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
from harness import ORG_A, ORG_B, ROWS, admin, claims, prepare, restore  # noqa: E402
from tokens import SECRET, TestKeys  # noqa: E402

DB = "tg_pool"
ROUNDS = 25
KEYS = TestKeys()
SETTINGS = {"jwt_secret": SECRET, "jwks": KEYS.jwks()}


def pooled(user="authenticator"):
    return psycopg2.connect(user=user, dbname=DB, host="127.0.0.1",
                            port=int(os.environ["TG_BOUNCER_PORT"]))


def setUpModule():
    if not os.environ.get("TG_BOUNCER_PORT"):
        raise RuntimeError("TG_BOUNCER_PORT is not set: run scripts/jwt_tests.sh")
    prepare(DB, ["authenticator"], SETTINGS)


def tearDownModule():
    restore(DB, {**SETTINGS, "require_transaction_scope": "on"})


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

        admin("postgres", "ALTER SYSTEM SET tenant_guard.require_transaction_scope = on", "SELECT pg_reload_conf()")
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
            admin("postgres", "ALTER SYSTEM RESET tenant_guard.require_transaction_scope", "SELECT pg_reload_conf()")
            with self.a.cursor() as cur:
                cur.execute("RESET app.tenant_id")


if __name__ == "__main__":
    unittest.main(verbosity=2)
