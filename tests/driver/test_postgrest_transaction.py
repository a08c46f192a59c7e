#!/usr/bin/python3
"""PostgREST 12's per-request transaction, replayed through a real driver.

PostgREST runs every HTTP request as one transaction on a pooled connection
that is logged in as the `authenticator` role:

    BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;      -- READ WRITE for writes
    SELECT set_config('search_path', $1, true),
           set_config('role', $2, true),
           set_config('request.jwt.claims', $3, true),
           set_config('request.method', $4, true),
           set_config('request.path', $5, true),
           set_config('request.headers', $6, true),
           set_config('request.cookies', $7, true);
    WITH pgrst_source AS (...) SELECT ...;                -- the request's query
    COMMIT;

This test replays exactly that with psycopg2 (a prepared statement with bound
parameters for the settings, as PostgREST's hasql does) against a table whose
RLS policy is `USING (org_id = identity.get_current_org_id())`, and checks that
nothing of one request is visible to the next request on the same connection.

Run (a server must be reachable through PGHOST/PGPORT, as superuser PGUSER,
default postgres; scripts/driver_tests.sh starts a throwaway cluster):

    /usr/bin/python3 tests/driver/test_postgrest_transaction.py

The database TG_DRIVER_DB (default tg_driver) is dropped and created fresh.
Needs Debian's python3-psycopg2; no pytest.
"""

import json
import os
import sys
import unittest

try:
    import psycopg2
    import psycopg2.errors
except ImportError:  # pragma: no cover
    sys.stderr.write("psycopg2 is missing: apt-get install python3-psycopg2\n")
    sys.exit(2)

ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
ORG_C = "33333333-3333-4333-8333-333333333333"
USER_A = "aaaaaaaa-0000-4000-8000-00000000000a"
USER_B = "bbbbbbbb-0000-4000-8000-00000000000b"

ROWS = {  # id -> (org, body)
    1: (ORG_A, "a-1"),
    2: (ORG_A, "a-2"),
    3: (ORG_B, "b-1"),
    4: (ORG_B, "b-2"),
    5: (ORG_B, "b-3"),
    6: (ORG_C, "c-1"),
}
IDS_OF = {org: {i for i, (o, _) in ROWS.items() if o == org} for org in (ORG_A, ORG_B, ORG_C)}

DB = os.environ.get("TG_DRIVER_DB", "tg_driver")
SUPERUSER = os.environ.get("PGUSER", "postgres")

# PostgREST 12's transaction-settings statement, in its order, every value
# transaction-local (is_local = true).
PREPARE_TX_SETTINGS = """
PREPARE pgrst_tx_settings(text, text, text, text, text, text, text) AS
SELECT set_config('search_path', $1, true),
       set_config('role', $2, true),
       set_config('request.jwt.claims', $3, true),
       set_config('request.method', $4, true),
       set_config('request.path', $5, true),
       set_config('request.headers', $6, true),
       set_config('request.cookies', $7, true)
"""

# GET /docs?select=id,org_id,body&order=id
READ_QUERY = """
WITH pgrst_source AS (
  SELECT "public"."docs"."id", "public"."docs"."org_id", "public"."docs"."body"
  FROM "public"."docs"
  ORDER BY "public"."docs"."id"
)
SELECT null::bigint AS total_result_set,
       pg_catalog.count(_postgrest_t) AS page_total,
       coalesce(json_agg(_postgrest_t), '[]') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status
FROM (SELECT * FROM pgrst_source) _postgrest_t
"""

# POST /docs with a JSON body (Prefer: return=representation)
INSERT_QUERY = """
WITH pgrst_source AS (
  INSERT INTO "public"."docs"("body", "id", "org_id")
  SELECT "pgrst_body"."body", "pgrst_body"."id", "pgrst_body"."org_id"
  FROM (SELECT %s::json AS json_data) pgrst_payload,
  LATERAL (SELECT "body", "id", "org_id"
           FROM json_to_recordset(CASE WHEN json_typeof(pgrst_payload.json_data) = 'array'
                                       THEN pgrst_payload.json_data
                                       ELSE json_build_array(pgrst_payload.json_data) END)
                AS _("body" text, "id" integer, "org_id" uuid)) pgrst_body
  RETURNING "public"."docs"."id", "public"."docs"."org_id", "public"."docs"."body"
)
SELECT '' AS total_result_set,
       pg_catalog.count(_postgrest_t) AS page_total,
       coalesce(json_agg(_postgrest_t), '[]') AS body
FROM (SELECT * FROM pgrst_source) _postgrest_t
"""


def conninfo(user, dbname):
    params = {"user": user, "dbname": dbname}
    if os.environ.get("PGHOST"):
        params["host"] = os.environ["PGHOST"]
    if os.environ.get("PGPORT"):
        params["port"] = os.environ["PGPORT"]
    return params


def claims_for(org, sub, role="authenticated", **extra):
    claims = {
        "aud": "authenticated",
        "exp": 4102444800,
        "iat": 1700000000,
        "sub": sub,
        "role": role,
        "app_metadata": {"provider": "email", "organization_id": org},
        "user_metadata": {},
    }
    claims.update(extra)
    return json.dumps(claims, separators=(",", ":"))


def setUpModule():
    if not os.environ.get("PGHOST"):
        raise RuntimeError("PGHOST is not set: run scripts/driver_tests.sh, or export PGHOST/PGPORT of a running cluster")
    admin = psycopg2.connect(**conninfo(SUPERUSER, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{DB}"')
        # Roles are cluster-wide: create them idempotently, as PostgREST/Supabase set them up.
        cur.execute("""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT;
  END IF;
END $$""")
        cur.execute("ALTER ROLE authenticator LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS")
        cur.execute("GRANT authenticated, anon TO authenticator")
    admin.close()

    db = psycopg2.connect(**conninfo(SUPERUSER, DB))
    db.autocommit = True
    with db.cursor() as cur:
        cur.execute("CREATE EXTENSION tenant_guard")
        cur.execute("CREATE TABLE public.docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL)")
        for i, (org, body) in sorted(ROWS.items()):
            cur.execute("INSERT INTO public.docs VALUES (%s, %s, %s)", (i, org, body))
        cur.execute("ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY")
        cur.execute("""CREATE POLICY docs_tenant ON public.docs TO authenticated
                       USING (org_id = identity.get_current_org_id())
                       WITH CHECK (org_id = identity.get_current_org_id())""")
        cur.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON public.docs TO authenticated")
        cur.execute("GRANT SELECT ON public.docs TO anon")
    db.close()


def tearDownModule():
    try:
        admin = psycopg2.connect(**conninfo(SUPERUSER, "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin.close()
    except psycopg2.Error:
        pass


class PostgRESTConnection:
    """One pooled PostgREST connection: logged in as authenticator, reused by many requests."""

    def __init__(self):
        self.conn = psycopg2.connect(**conninfo("authenticator", DB))
        self.conn.autocommit = True  # we send BEGIN/COMMIT ourselves, like hasql
        self.cur = self.conn.cursor()
        self.cur.execute(PREPARE_TX_SETTINGS)

    def close(self):
        self.conn.close()

    def begin(self, read_only):
        mode = "READ ONLY" if read_only else "READ WRITE"
        self.cur.execute(f"BEGIN ISOLATION LEVEL READ COMMITTED {mode}")

    def tx_settings(self, claims, method, path, role="authenticated"):
        headers = json.dumps({
            "accept": "application/json",
            "authorization": "Bearer <redacted>",
            "host": "localhost:3000",
            "user-agent": "tenant_guard-driver-test",
        }, separators=(",", ":"))
        self.cur.execute(
            "EXECUTE pgrst_tx_settings(%s, %s, %s, %s, %s, %s, %s)",
            ('"public", "extensions"', role, claims, method, path, headers, "{}"),
        )

    def one(self, sql, params=None):
        self.cur.execute(sql, params)
        return self.cur.fetchone()

    def get_docs(self, claims, role="authenticated", probe=None):
        """GET /docs as one transaction; returns (rows, probe result)."""
        self.begin(read_only=True)
        try:
            self.tx_settings(claims, "GET", "/docs", role=role)
            probed = self.one(probe) if probe else None
            _total, page_total, body, _h, _s = self.one(READ_QUERY)
            self.cur.execute("COMMIT")
        except BaseException:
            self.cur.execute("ROLLBACK")
            raise
        self.assert_page(page_total, body)
        return body, probed

    @staticmethod
    def assert_page(page_total, body):
        if page_total != len(body):
            raise AssertionError(f"page_total {page_total} != {len(body)} rows")

    def post_docs(self, claims, payload):
        """POST /docs as one transaction; raises the driver's error, after ROLLBACK."""
        self.begin(read_only=False)
        try:
            self.tx_settings(claims, "POST", "/docs")
            _total, _page_total, body = self.one(INSERT_QUERY, (json.dumps(payload),))
            self.cur.execute("COMMIT")
        except BaseException:
            self.cur.execute("ROLLBACK")
            raise
        return body


def ids(rows):
    return {r["id"] for r in rows}


def orgs(rows):
    return {r["org_id"] for r in rows}


class PostgRESTPerRequestTransaction(unittest.TestCase):
    def setUp(self):
        self.pg = PostgRESTConnection()

    def tearDown(self):
        self.pg.close()

    def admin_count(self, where="true", params=None):
        conn = psycopg2.connect(**conninfo(SUPERUSER, DB))
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM public.docs WHERE {where}", params)
                return cur.fetchone()[0]
        finally:
            conn.close()

    def test_01_request_sees_exactly_its_tenants_rows(self):
        rows, _ = self.pg.get_docs(claims_for(ORG_A, USER_A))
        self.assertEqual(ids(rows), IDS_OF[ORG_A])
        self.assertEqual(orgs(rows), {ORG_A})
        rows, _ = self.pg.get_docs(claims_for(ORG_B, USER_B))
        self.assertEqual(ids(rows), IDS_OF[ORG_B])
        self.assertEqual(orgs(rows), {ORG_B})

    def test_02_roles_and_settings_during_the_request(self):
        probe = """SELECT current_user, session_user,
                          identity.get_current_org_id()::text, identity.get_current_user_id()::text,
                          identity.get_current_role(), current_setting('request.method'),
                          current_setting('request.path'), current_setting('search_path'),
                          current_setting('transaction_read_only'),
                          current_setting('transaction_isolation'),
                          current_setting('request.headers')::json ->> 'user-agent',
                          current_setting('request.cookies')"""
        _rows, got = self.pg.get_docs(claims_for(ORG_A, USER_A), probe=probe)
        self.assertEqual(got, (
            "authenticated", "authenticator", ORG_A, USER_A, "authenticated", "GET", "/docs",
            '"public", "extensions"', "on", "read committed", "tenant_guard-driver-test", "{}",
        ))
        # the pooled login role is not privileged, and the request role is subject to RLS
        flags = self.pg.one("""SELECT r.rolsuper, r.rolinherit, r.rolbypassrls, a.rolsuper, a.rolbypassrls,
                                      pg_has_role('authenticator', 'authenticated', 'MEMBER'),
                                      pg_get_userbyid(c.relowner)
                               FROM pg_roles r, pg_roles a, pg_class c
                               WHERE r.rolname = 'authenticator' AND a.rolname = 'authenticated'
                                 AND c.oid = 'public.docs'::regclass""")
        self.assertEqual(flags, (False, False, False, False, False, True, SUPERUSER))

    def test_03_next_transaction_sees_no_claims(self):
        rows, _ = self.pg.get_docs(claims_for(ORG_A, USER_A))
        self.assertEqual(ids(rows), IDS_OF[ORG_A])
        # the next transaction on the same connection, before any settings are made
        self.pg.cur.execute("BEGIN")
        got = self.pg.one("""SELECT current_setting('request.jwt.claims', true),
                                    current_setting('request.method', true),
                                    current_setting('role'), current_user::text,
                                    identity.get_current_org_id() IS NULL,
                                    identity.get_current_org_key() IS NULL,
                                    identity.current_claims() IS NULL,
                                    identity.get_current_user_id() IS NULL""")
        self.assertEqual(got, ("", "", "none", "authenticator", True, True, True, True))
        self.pg.cur.execute("SET LOCAL ROLE authenticated")
        self.assertEqual(self.pg.one("SELECT count(*) FROM public.docs")[0], 0)
        self.assertEqual(self.pg.one("SELECT count(*) FROM public.docs WHERE org_id = %s", (ORG_A,))[0], 0)
        self.pg.cur.execute("COMMIT")
        # the same through a request that carries no tenant (a token without the claim)
        rows, got = self.pg.get_docs(
            json.dumps({"role": "authenticated", "sub": USER_A}),
            probe="SELECT identity.get_current_org_id()")
        self.assertEqual(rows, [])
        self.assertEqual(got, (None,))

    def test_04_alternating_tenants_on_one_connection_never_mix(self):
        backend = self.pg.one("SELECT pg_backend_pid()")[0]
        for n, (org, sub) in enumerate([(ORG_A, USER_A), (ORG_B, USER_B), (ORG_A, USER_A),
                                        (ORG_B, USER_B), (ORG_C, USER_A), (ORG_A, USER_A)]):
            with self.subTest(request=n, org=org):
                rows, got = self.pg.get_docs(
                    claims_for(org, sub),
                    probe="SELECT identity.get_current_org_id()::text, pg_backend_pid()")
                self.assertEqual(got, (org, backend))
                self.assertEqual(ids(rows), IDS_OF[org])
                self.assertEqual(orgs(rows), {org})

    def test_05_conflicting_or_malformed_claims_see_nothing(self):
        conflicting = claims_for(ORG_A, USER_A, org_id=ORG_B)
        rows, got = self.pg.get_docs(conflicting, probe="SELECT identity.get_current_org_id()")
        self.assertEqual((rows, got), ([], (None,)))
        rows, got = self.pg.get_docs('{"role":"authenticated","app_metadata":{"organization_id":',
                                     probe="SELECT identity.get_current_org_id()")
        self.assertEqual((rows, got), ([], (None,)))
        # and the connection still serves the next tenant correctly
        rows, _ = self.pg.get_docs(claims_for(ORG_B, USER_B))
        self.assertEqual(ids(rows), IDS_OF[ORG_B])

    def test_06_anonymous_request_sees_nothing(self):
        rows, got = self.pg.get_docs('{"role":"anon"}', role="anon",
                                     probe="SELECT current_user, identity.get_current_org_id()")
        self.assertEqual(got, ("anon", None))
        self.assertEqual(rows, [])

    def test_07_write_for_another_tenant_fails_42501_and_connection_recovers(self):
        before = self.admin_count()
        with self.assertRaises(psycopg2.Error) as ctx:
            self.pg.post_docs(claims_for(ORG_A, USER_A),
                              {"id": 100, "org_id": ORG_B, "body": "planted by A"})
        self.assertEqual(ctx.exception.pgcode, "42501")
        self.assertIn("row-level security", str(ctx.exception))
        self.assertEqual(self.admin_count(), before)
        self.assertEqual(self.admin_count("id = 100"), 0)
        # after the ROLLBACK the same connection is usable and clean
        self.assertEqual(self.pg.conn.get_transaction_status(),
                         psycopg2.extensions.TRANSACTION_STATUS_IDLE)
        rows, got = self.pg.get_docs(claims_for(ORG_A, USER_A),
                                     probe="SELECT current_user, identity.get_current_org_id()::text")
        self.assertEqual(got, ("authenticated", ORG_A))
        self.assertEqual(ids(rows), IDS_OF[ORG_A])
        self.assertEqual(self.pg.one("SELECT current_user, current_setting('request.jwt.claims', true)"),
                         ("authenticator", ""))
        # a write for the request's own tenant works
        body = self.pg.post_docs(claims_for(ORG_A, USER_A), {"id": 101, "org_id": ORG_A, "body": "a-new"})
        try:
            self.assertEqual(body, [{"id": 101, "org_id": ORG_A, "body": "a-new"}])
            rows, _ = self.pg.get_docs(claims_for(ORG_B, USER_B))
            self.assertEqual(ids(rows), IDS_OF[ORG_B])
        finally:
            conn = psycopg2.connect(**conninfo(SUPERUSER, DB))
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("DELETE FROM public.docs WHERE id = 101")
            conn.close()

    def test_08_read_only_request_cannot_write(self):
        self.pg.begin(read_only=True)
        try:
            self.pg.tx_settings(claims_for(ORG_A, USER_A), "GET", "/docs")
            with self.assertRaises(psycopg2.Error) as ctx:
                self.pg.cur.execute("INSERT INTO public.docs VALUES (102, %s, 'x')", (ORG_A,))
            self.assertEqual(ctx.exception.pgcode, "25006")
        finally:
            self.pg.cur.execute("ROLLBACK")
        rows, _ = self.pg.get_docs(claims_for(ORG_A, USER_A))
        self.assertEqual(ids(rows), IDS_OF[ORG_A])

    def test_09_UNSAFE_session_level_set_config_leaks_into_the_next_transaction(self):
        """The unsafe pattern, pinned on purpose.

        set_config(..., false) (or a plain SET) is session-level: it survives
        COMMIT, so the next transaction on the pooled connection, whoever it is
        for, inherits the tenant. PostgREST never does this; a hand-written
        backend or a pooler in transaction mode easily does. This test asserts
        that the leak happens today, so that a future pooling-safety feature
        (e.g. refusing claims that are not transaction-local) has a test to flip.
        """
        self.pg.cur.execute("BEGIN")
        self.pg.cur.execute("SELECT set_config('request.jwt.claims', %s, false)",
                            (claims_for(ORG_A, USER_A),))
        self.pg.cur.execute("COMMIT")
        try:
            # the next "request" sets no claims at all ...
            self.pg.cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY")
            self.pg.cur.execute("SET LOCAL ROLE authenticated")
            leaked = self.pg.one("SELECT identity.get_current_org_id()::text, count(*) FROM public.docs")
            self.pg.cur.execute("COMMIT")
            # ... and still sees tenant A: the leak
            self.assertEqual(leaked, (ORG_A, len(IDS_OF[ORG_A])))
            # a proper per-request transaction overrides it for its own duration only
            rows, _ = self.pg.get_docs(claims_for(ORG_B, USER_B))
            self.assertEqual(ids(rows), IDS_OF[ORG_B])
            self.assertEqual(self.pg.one("SELECT identity.get_current_org_id()::text")[0], ORG_A)
        finally:
            self.pg.cur.execute("RESET request.jwt.claims")
        self.assertIsNone(self.pg.one("SELECT identity.get_current_org_id()")[0])
        # SET app.tenant_id (session level) leaks the same way; DISCARD ALL clears it
        self.pg.cur.execute("SET app.tenant_id = %s", (ORG_C,))
        self.pg.cur.execute("BEGIN")
        self.pg.cur.execute("SET LOCAL ROLE authenticated")
        leaked = self.pg.one("SELECT identity.get_current_org_id()::text, count(*) FROM public.docs")
        self.pg.cur.execute("COMMIT")
        self.assertEqual(leaked, (ORG_C, len(IDS_OF[ORG_C])))
        self.pg.cur.execute("DISCARD ALL")
        self.assertIsNone(self.pg.one("SELECT identity.get_current_org_id()")[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
