#!/usr/bin/env bash
# Benchmark: JWT verification, measured inside PostgreSQL, side by side in one run.
#
# 1. tenant_guard.verify_jwt() per second for HS256, RS256, PS256, ES256,
#    ES384 and EdDSA (keys generated for the run; one backend, one core):
#    SELECT count(tenant_guard.verify_jwt(token)) FROM generate_series(1, n).
# 2. What the claims' origin costs an RLS policy per row: 1,000,000 rows over
#    1,000 organizations, policy `org_id = identity.get_current_org_id()`
#    (bare: called per row), sequential scan as `authenticated`, no parallel
#    query, JIT off, executor time of EXPLAIN ANALYZE (each scan is first run
#    for real and must see exactly 1,000 rows):
#      floor          the owner, WHERE org_id = '<literal>' (RLS bypassed)
#      settings       set_config('request.jwt.claims', ..., true), as PostgREST
#      authenticate   tenant_guard.authenticate(<ES256 token>) in the transaction
#      provider entra the same claims as an Entra ID token ({"tid": ...}) read
#                     by tenant_guard.provider = 'entra' (a claim path)
# 3. Keys in tenant_guard.signing_keys: ES256 verifications per second with
#    1 key in the table and with 20 (the token names its kid; target: within
#    10%), the settings' JWKS unset.
# Runs are interleaved (round 1 of every variant, then round 2, ...); medians.
#
# Usage:  bash bench/jwt_bench.sh
#   SKIP_INSTALL=1   do not build and install the extension first
#   RUNS=5           measured runs per variant (median reported)
#   N=20000          verifications per run for the asymmetric algorithms (HS256: 10 N)
#   TG_PORT=54381    port of the throwaway cluster (Unix socket in a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${N:-20000}
export TG_PORT=${TG_PORT:-54381}
for v in RUNS N; do
  case ${!v} in '' | *[!0-9]* | 0) echo "jwt_bench: $v must be a positive integer" >&2; exit 2 ;; esac
done

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/install.sh
fi
# shellcheck source=../scripts/cluster.sh
source scripts/cluster.sh
cluster_start
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cluster_stop' EXIT

# The benchmark tenant: organization 42 of the table's md5('org-' || n)::uuid.
h=$(printf 'org-42' | md5sum | cut -c1-32)
ORG="${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
SECRET=test-only-hmac-secret-0123456789abcdefgh

/usr/bin/python3 - "$work" "$ORG" <<'PY'
import json, sys
sys.path.insert(0, "tests/jwt")
from tokens import TestKeys
keys, out, org = TestKeys(), sys.argv[1], sys.argv[2]
claims = {"sub": "8d0fbb2e-3c5a-4d7e-9f61-2b7c4e1a9d30", "role": "authenticated", "aud": "authenticated",
          "iss": "https://bench.example/auth/v1", "iat": 1700000000, "exp": 4102444800,
          "email": "ada@clinic-a.example.com",
          "app_metadata": {"provider": "email", "providers": ["email"], "organization_id": org}}
open(f"{out}/jwks.json", "w").write(keys.jwks())
open(f"{out}/claims.json", "w").write(json.dumps(claims, separators=(",", ":")))
with open(f"{out}/tokens.tsv", "w") as f:
    for alg in ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"]:
        f.write(f"{alg}\t{keys.token(alg, claims)}\n")
    # signed by the first of 20 table keys (kid bench-0)
    f.write(f"table-ES256\t{keys.token('ES256', claims, {'kid': 'bench-0'})}\n")
entra = {"tid": org, "oid": claims["sub"], "aud": "authenticated", "exp": 4102444800}
open(f"{out}/entra.json", "w").write(json.dumps(entra, separators=(",", ":")))
# 20 table rows: bench-0 is the signing key, the others other P-256 keys
rows = []
for i in range(20):
    k = keys if i == 0 else TestKeys()
    jwk = next(j for j in json.loads(k.jwks())["keys"] if j["kid"] == "p256")
    jwk["kid"] = f"bench-{i}"
    rows.append(f"bench-{i}\tES256\t{json.dumps(jwk)}")
open(f"{out}/table_keys.tsv", "w").write("\n".join(rows) + "\n")
PY
JWKS=$(cat "$work/jwks.json")
CLAIMS=$(cat "$work/claims.json")
ENTRA=$(cat "$work/entra.json")

echo "jwt_bench: loading 1,000,000 rows"
psql_tg -d postgres -v jwks="$JWKS" <<SQL
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION tenant_guard;
CREATE ROLE authenticated NOLOGIN;
CREATE TABLE tokens (alg text PRIMARY KEY, token text NOT NULL);
\copy tokens FROM '$work/tokens.tsv'
CREATE TABLE t (id int, org_id uuid NOT NULL, body text);
INSERT INTO t SELECT n, md5('org-' || (n % 1000))::uuid, 'row ' || n FROM generate_series(1, 1000000) n;
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_tenant ON t TO authenticated USING (org_id = identity.get_current_org_id());
GRANT SELECT ON t TO authenticated;
VACUUM ANALYZE t;
CREATE TABLE rate (alg text, run int, per_s float8);
CREATE TABLE table_keys (kid text, alg text, key jsonb);
\copy table_keys FROM '$work/table_keys.tsv'

CREATE TABLE scan (variant text, run int, ms float8);
GRANT INSERT ON scan TO authenticated;
CREATE FUNCTION per_second(tok text, n int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); c bigint;
BEGIN
  SELECT count(tenant_guard.verify_jwt(tok)) INTO c FROM generate_series(1, n);
  RETURN n / extract(epoch FROM clock_timestamp() - t0)::float8;
END \$\$;
-- Executor time of a count(*) scan that must see exactly 1,000 rows.
CREATE FUNCTION scan_ms(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE j json; c bigint;
BEGIN
  EXECUTE q INTO c;
  IF c <> 1000 THEN RAISE EXCEPTION 'scan saw % rows, expected 1000: %', c, q; END IF;
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 ->> 'Execution Time')::float8;
END \$\$;
SQL

echo "jwt_bench: measuring ($RUNS rounds)"
for run in $(seq "$RUNS"); do
  psql_tg -d postgres -q -At -v jwks="$JWKS" -v claims="$CLAIMS" -v run="$run" -v n="$N" <<SQL >/dev/null
\set ON_ERROR_STOP 1
SET tenant_guard.jwt_secret = '$SECRET';
SET tenant_guard.jwks = :'jwks';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
INSERT INTO rate SELECT alg, :run, per_second(token, CASE WHEN alg LIKE 'HS%' THEN 10 * :n ELSE :n END)
FROM tokens WHERE alg NOT LIKE 'table%' ORDER BY alg;
INSERT INTO scan SELECT 'floor: owner, literal filter', :run,
  scan_ms('SELECT count(*) FROM t WHERE org_id = ''$ORG''');
BEGIN;
SELECT set_config('request.jwt.claims', :'claims', true);
SET LOCAL ROLE authenticated;
INSERT INTO scan SELECT 'settings: set_config(request.jwt.claims)', :run, scan_ms('SELECT count(*) FROM t');
COMMIT;
BEGIN;
SELECT tenant_guard.authenticate(token) FROM tokens WHERE alg = 'ES256';
SET LOCAL ROLE authenticated;
INSERT INTO scan SELECT 'authenticate: verified ES256 token', :run, scan_ms('SELECT count(*) FROM t');
COMMIT;
BEGIN;
SET LOCAL tenant_guard.provider = 'entra';
SELECT set_config('request.jwt.claims', '$ENTRA', true);
SET LOCAL ROLE authenticated;
INSERT INTO scan SELECT 'provider entra: tid via its claim path', :run, scan_ms('SELECT count(*) FROM t');
COMMIT;
-- Keys from the table only: 1 key, then 20 (each change reloads the cache once).
RESET tenant_guard.jwks;
RESET tenant_guard.jwt_secret;
TRUNCATE tenant_guard.signing_keys;
INSERT INTO tenant_guard.signing_keys (kid, alg, key) SELECT * FROM table_keys WHERE kid = 'bench-0';
SELECT per_second(token, 100) FROM tokens WHERE alg = 'table-ES256';
INSERT INTO rate SELECT 'table ES256, 1 key', :run, per_second(token, :n) FROM tokens WHERE alg = 'table-ES256';
INSERT INTO tenant_guard.signing_keys (kid, alg, key) SELECT * FROM table_keys WHERE kid <> 'bench-0';
SELECT per_second(token, 100) FROM tokens WHERE alg = 'table-ES256';
INSERT INTO rate SELECT 'table ES256, 20 keys', :run, per_second(token, :n) FROM tokens WHERE alg = 'table-ES256';
SQL
done

psql_tg -d postgres -q <<'SQL'
\pset footer off
\echo
\echo 'verify_jwt per second (one backend, median)'
SELECT alg, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY per_s))::bigint AS "verifications/s"
FROM rate WHERE alg NOT LIKE 'table%' GROUP BY alg ORDER BY 2 DESC;
\echo 'keys in tenant_guard.signing_keys: ES256 verifications per second, 1 key vs 20 (target: within 10%)'
WITH m AS (
  SELECT alg, percentile_cont(0.5) WITHIN GROUP (ORDER BY per_s) AS per_s FROM rate WHERE alg LIKE 'table%' GROUP BY alg
)
SELECT alg AS keys, round(per_s)::bigint AS "verifications/s",
       round((per_s / (SELECT per_s FROM m WHERE alg LIKE '%1 key'))::numeric, 3) AS "x 1 key"
FROM m ORDER BY alg;
\echo 'RLS scan of 1,000,000 rows, policy org_id = identity.get_current_org_id() (median executor ms)'
WITH m AS (
  SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM scan GROUP BY variant
)
SELECT variant, round(ms::numeric, 1) AS ms,
       round((ms / (SELECT ms FROM m WHERE variant LIKE 'floor%'))::numeric, 2) AS "x floor",
       round((ms / (SELECT ms FROM m WHERE variant LIKE 'settings%'))::numeric, 2) AS "x settings"
FROM m ORDER BY ms;
SQL
