#!/usr/bin/python3
"""JWT verification and forge-proof tenant context through a real driver,
against a cluster with tenant_guard in shared_preload_libraries and keys set
with ALTER SYSTEM (the documented deployment). Keys are generated per run.

Run with scripts/jwt_tests.sh (starts the cluster), or with PGHOST/PGPORT of
a running, preloaded cluster as superuser PGUSER.
"""

import json
import os
import sys
import unittest

import psycopg2
import psycopg2.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ORG_A, ORG_B, ROWS, admin, claims, direct, preloaded, prepare, restore  # noqa: E402
from tokens import ALGORITHMS, SECRET, TestKeys  # noqa: E402

DB = os.environ.get("TG_JWT_DB", "tg_jwt")
KEYS = TestKeys()
SETTINGS = {"jwt_secret": SECRET, "jwks": KEYS.jwks(), "jwt_audience": "authenticated",
            "trusted_session_users": "authenticator"}


def connect(user):
    return direct(user, DB)


def setUpModule():
    prepare(DB, ["authenticator", "mallory"], SETTINGS,
            policy_expr="org_id = (SELECT identity.get_current_org_id())")
    if not preloaded():
        raise RuntimeError("this test needs tenant_guard in shared_preload_libraries")


def tearDownModule():
    restore(DB, SETTINGS)


def rejected_rule(cur, token):
    """The rule in the DETAIL of the 28000 error verify_jwt raises."""
    try:
        cur.execute("SELECT tenant_guard.verify_jwt(%s)", (token,))
    except psycopg2.Error as e:
        cur.connection.rollback()
        if e.pgcode != "28000":
            raise
        return e.diag.message_detail.removeprefix("rule: ")
    cur.connection.rollback()
    return "valid"


class Verification(unittest.TestCase):
    def setUp(self):
        self.conn = connect("authenticator")
        self.cur = self.conn.cursor()

    def tearDown(self):
        self.conn.close()

    def test_every_algorithm_verifies_as_a_plain_role(self):
        for alg in ALGORITHMS:
            with self.subTest(alg=alg):
                self.cur.execute("SELECT tenant_guard.verify_jwt(%s) -> 'app_metadata' ->> 'organization_id'",
                                 (KEYS.token(alg, claims(ORG_A)),))
                self.assertEqual(self.cur.fetchone()[0], ORG_A)
                self.conn.rollback()

    def test_attacks_are_rejected_with_their_rule(self):
        other = TestKeys()  # same kids, other key material
        t = KEYS.token("ES256", claims(ORG_A))
        head, body, sig = t.split(".")
        forged_body = KEYS.token("ES256", claims(ORG_B)).split(".")[1]
        cases = {
            "other RSA key, same kid": (other.token("RS256", claims(ORG_A)), "bad_signature"),
            "other Ed25519 key": (other.token("EdDSA", claims(ORG_A)), "bad_signature"),
            "ES256 signature on the P-384 key": (KEYS.token("ES256", claims(ORG_A), {"kid": "p384"}), "alg_not_allowed"),
            "EdDSA token naming the RSA key": (KEYS.token("EdDSA", claims(ORG_A), {"kid": "rsa"}), "alg_not_allowed"),
            "HS256 naming the RSA key": (KEYS.token("HS256", claims(ORG_A), {"kid": "rsa"}), "alg_not_allowed"),
            "unknown kid": (KEYS.token("RS256", claims(ORG_A), {"kid": "gone"}), "unknown_kid"),
            "payload swapped": (f"{head}.{forged_body}.{sig}", "bad_signature"),
            "signature from another token": (f"{head}.{body}.{KEYS.token('ES256', claims(ORG_B)).split('.')[2]}", "bad_signature"),
            "expired": (KEYS.token("RS256", claims(ORG_A, exp=1000000000)), "expired"),
            "nbf in the future": (KEYS.token("PS256", claims(ORG_A, nbf=4000000000)), "not_yet_valid"),
            "iat in the future": (KEYS.token("EdDSA", claims(ORG_A, iat=4000000000)), "issued_in_future"),
            "string exp": (KEYS.token("ES384", claims(ORG_A, exp="4102444800")), "invalid_claim"),
            "wrong aud": (KEYS.token("RS256", claims(ORG_A, aud="service")), "wrong_audience"),
            "alg none": (t.split(".")[0].replace(head, "eyJhbGciOiJub25lIn0") + f".{body}.", "alg_not_allowed"),
            "1 MB token": ("a" * (1 << 20), "token_too_large"),
            "not a JWS": ("Bearer " + t, "malformed"),
        }
        for name, (token, rule) in cases.items():
            with self.subTest(case=name):
                self.assertEqual(rejected_rule(self.cur, token), rule)

    def test_key_settings_are_hidden_and_fixed(self):
        for stmt in ("SHOW tenant_guard.jwt_secret", "SELECT current_setting('tenant_guard.jwks')",
                     "SET tenant_guard.jwt_secret = 'attacker-secret-0123456789abcdefghij'",
                     "SET tenant_guard.trusted_session_users = ''",
                     "SET tenant_guard.require_verified = off"):
            with self.subTest(stmt=stmt):
                with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
                    self.cur.execute(stmt)
                self.conn.rollback()
        self.cur.execute("SELECT count(*) FROM pg_settings WHERE name = 'tenant_guard.jwt_secret'")
        self.assertEqual(self.cur.fetchone()[0], 0)


class ForgeProofContext(unittest.TestCase):
    def rows(self, conn, claims_json=None, token=None):
        with conn.cursor() as cur:
            if claims_json is not None:
                cur.execute("SELECT set_config('request.jwt.claims', %s, true)", (claims_json,))
            if token is not None:
                cur.execute("SELECT tenant_guard.authenticate(%s)", (token,))
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT coalesce(string_agg(body, ',' ORDER BY id), '-') FROM docs")
            seen = cur.fetchone()[0]
        conn.commit()
        return seen

    def test_direct_connect_forgery_needs_a_token(self):
        mallory = connect("mallory")
        forged = json.dumps(claims(ORG_B))
        self.assertEqual(self.rows(mallory, forged), "-", "settings from an untrusted login are ignored")
        self.assertEqual(self.rows(mallory, token=KEYS.token("ES256", claims(ORG_A))), "a-1,a-2")
        with self.assertRaises(psycopg2.Error) as e:
            self.rows(mallory, token=KEYS.token("ES256", claims(ORG_B), {"kid": "p384"}))
        self.assertEqual(e.exception.pgcode, "28000")
        mallory.rollback()
        mallory.close()

        authenticator = connect("authenticator")
        self.assertEqual(self.rows(authenticator, forged), "b-1", "PostgREST's login is trusted")
        authenticator.close()

    def test_verified_claims_end_with_the_transaction(self):
        conn = connect("authenticator")
        token = KEYS.token("EdDSA", claims(ORG_A))
        with conn.cursor() as cur:
            cur.execute("SELECT tenant_guard.authenticate(%s)", (token,))
            cur.execute("SELECT identity.get_current_org_id()::text")
            self.assertEqual(cur.fetchone()[0], ORG_A)
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("SELECT identity.get_current_org_id()")
            self.assertIsNone(cur.fetchone()[0], "verified claims survived COMMIT")
            cur.execute("SELECT tenant_guard.authenticate(%s)", (token,))
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT identity.get_current_org_id()")
            self.assertIsNone(cur.fetchone()[0], "verified claims survived ROLLBACK")
        conn.rollback()
        conn.close()


def renamed(jwks: str, prefix: str) -> str:
    """The JWKS with every kid prefixed: a provider's next key generation."""
    doc = json.loads(jwks)
    for k in doc["keys"]:
        k["kid"] = prefix + k["kid"]
    return json.dumps(doc)


class SigningKeyRotation(unittest.TestCase):
    """Keys in tenant_guard.signing_keys: a backend that already verified
    (and cached its keys) sees keys another session adds and retires at its
    next transaction, with no restart and no failed request in between."""

    def setUp(self):
        self.worker = connect("authenticator")
        self.cur = self.worker.cursor()
        self.next = TestKeys()  # the provider's next keys

    def tearDown(self):
        self.worker.close()
        admin(DB, "TRUNCATE tenant_guard.signing_keys")

    def next_token(self, alg, org=ORG_A):
        return self.next.token(alg, claims(org), {"kid": "2026-" + self.next.kid(alg)})

    def test_rotation_across_backends(self):
        # The worker has verified with the configured JWKS: its keys are cached.
        self.assertEqual(rejected_rule(self.cur, KEYS.token("ES256", claims(ORG_A))), "valid")
        self.assertEqual(rejected_rule(self.cur, self.next_token("ES256")), "unknown_kid")
        # Another session imports the provider's new JWKS before it signs with it.
        conn = direct("postgres", DB)
        with conn.cursor() as cur:
            cur.execute("SELECT kid, status FROM tenant_guard.import_jwks(%s::jsonb) ORDER BY kid",
                        (renamed(self.next.jwks(), "2026-"),))
            self.assertEqual(cur.fetchall(), [("2026-ed", "added"), ("2026-p256", "added"),
                                              ("2026-p384", "added"), ("2026-rsa", "added")])
        conn.commit()
        # Both generations are live in the worker, every algorithm of the new one.
        for alg in ("RS256", "ES256", "ES384", "EdDSA"):
            with self.subTest(alg=alg):
                self.assertEqual(rejected_rule(self.cur, self.next_token(alg)), "valid")
        # A row has one algorithm: the RSA key came without alg and was stored as RS256.
        self.assertEqual(rejected_rule(self.cur, self.next_token("PS256")), "alg_not_allowed")
        self.assertEqual(rejected_rule(self.cur, KEYS.token("ES256", claims(ORG_A))), "valid")
        # The new key serves a request: RLS sees tenant B's rows only.
        self.cur.execute("SET ROLE authenticated")
        self.cur.execute("SELECT tenant_guard.authenticate(%s)", (self.next_token("EdDSA", ORG_B),))
        self.cur.execute("SELECT string_agg(body, ',' ORDER BY id) FROM docs")
        self.assertEqual(self.cur.fetchone()[0], ROWS[ORG_B])
        self.cur.execute("SELECT identity.whoami() ->> 'key_id'")
        self.assertEqual(self.cur.fetchone()[0], "2026-ed")
        self.worker.rollback()
        # Retired: not_after reached; the worker refuses that key next time.
        with conn.cursor() as cur:
            cur.execute("UPDATE tenant_guard.signing_keys SET not_after = now() WHERE kid = '2026-p256'")
        conn.commit()
        conn.close()
        self.assertEqual(rejected_rule(self.cur, self.next_token("ES256")), "key_not_valid")
        self.assertEqual(rejected_rule(self.cur, self.next_token("ES384")), "valid")

    def test_the_table_is_superuser_only(self):
        for stmt in ("SELECT * FROM tenant_guard.signing_keys",
                     "DELETE FROM tenant_guard.signing_keys",
                     "SELECT * FROM tenant_guard.import_jwks('{\"keys\": []}')"):
            with self.subTest(stmt=stmt):
                with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
                    self.cur.execute(stmt)
                self.worker.rollback()


if __name__ == "__main__":
    unittest.main(verbosity=2)
