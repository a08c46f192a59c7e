"""The database both JWT tests start from: a fresh database with tenant_guard,
the PostgREST roles, a `docs` table of two tenants behind an RLS policy, and
server settings applied with ALTER SYSTEM (and reset afterwards).

Connections go to PGHOST/PGPORT as set by scripts/jwt_tests.sh.
"""

import os

import psycopg2

SUPERUSER = os.environ.get("PGUSER", "postgres")
ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
SUB = "7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f"
ROWS = {ORG_A: "a-1,a-2", ORG_B: "b-1"}


def direct(user, dbname):
    params = {"user": user, "dbname": dbname, "host": os.environ["PGHOST"]}
    if os.environ.get("PGPORT"):
        params["port"] = os.environ["PGPORT"]
    return psycopg2.connect(**params)


def admin(dbname, *statements):
    """Runs statements (text, or (text, params)) as the superuser, autocommit."""
    conn = direct(SUPERUSER, dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in statements:
            cur.execute(*(s if isinstance(s, tuple) else (s,)))
    conn.close()


def claims(org, **extra):
    c = {"sub": SUB, "role": "authenticated", "aud": "authenticated", "iat": 1700000000,
         "exp": 4102444800, "app_metadata": {"organization_id": org}}
    c.update(extra)
    return c


def prepare(db, logins, settings, policy_expr="org_id = identity.get_current_org_id()"):
    """A fresh `db`; `logins` are LOGIN roles granted `authenticated`
    (authenticator is NOINHERIT, as PostgREST's); `settings` are applied with
    ALTER SYSTEM and a reload."""
    if not os.environ.get("PGHOST"):
        raise RuntimeError("PGHOST is not set: run scripts/jwt_tests.sh")
    statements = ["SET client_min_messages = warning",
                  f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}"]
    for role in ["authenticated", *logins]:
        statements.append(f"DROP ROLE IF EXISTS {role}")
    statements.append("CREATE ROLE authenticated NOLOGIN")
    for role in logins:
        statements.append(f"CREATE ROLE {role} LOGIN{' NOINHERIT' if role == 'authenticator' else ''}")
        statements.append(f"GRANT authenticated TO {role}")
    for name, value in settings.items():
        statements.append((f"ALTER SYSTEM SET tenant_guard.{name} = %s", (value,)))
    statements.append("SELECT pg_reload_conf()")
    admin("postgres", *statements)
    admin(
        db,
        "CREATE EXTENSION tenant_guard",
        "CREATE TABLE docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text)",
        f"INSERT INTO docs VALUES (1, '{ORG_A}', 'a-1'), (2, '{ORG_A}', 'a-2'), (3, '{ORG_B}', 'b-1')",
        "ALTER TABLE docs ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY docs_tenant ON docs TO authenticated USING ({policy_expr})",
        "GRANT SELECT ON docs TO authenticated",
    )


def restore(db, settings):
    """Resets the ALTER SYSTEM settings and drops `db`."""
    admin("postgres", *[f"ALTER SYSTEM RESET tenant_guard.{name}" for name in settings],
          "SELECT pg_reload_conf()", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def preloaded():
    conn = direct(SUPERUSER, "postgres")
    with conn.cursor() as cur:
        cur.execute("SHOW shared_preload_libraries")
        value = cur.fetchone()[0]
    conn.close()
    return "tenant_guard" in value
