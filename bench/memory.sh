#!/usr/bin/env bash
# Memory under long loops, in one backend: does resident memory grow with the
# number of calls? Prints the backend's RSS (/proc/<pid>/status VmRSS) and its
# memory contexts (pg_backend_memory_contexts) after a warm-up and after each
# loop, all in one session:
#   1. 1,000,000 calls of identity.get_current_org_id() in one transaction
#      (the per-row path), and 1,000,000 of get_current_org_ids() (allocating);
#   2. 100,000 verify_jwt() calls in one transaction;
#   3. 10,000 transactions, each setting claims for one of 100 tenants, calling
#      the helpers and authenticate(), then committing.
# A leak shows as RSS growing with the loop count; the growth printed should
# be a few hundred KB at most (allocator and cache noise).
#
# Usage:  bash bench/memory.sh      (SKIP_INSTALL=1 to use the installed build)
set -euo pipefail
cd "$(dirname "$0")/.."
export TG_PORT=${TG_PORT:-54395}
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/install.sh
fi
# shellcheck source=../scripts/cluster.sh
source scripts/cluster.sh
cluster_start
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cluster_stop' EXIT

SECRET=test-only-hmac-secret-0123456789abcdefgh
# 10,000 transactions over 100 tenants, each authenticating a token too.
{
  echo "SET client_min_messages = warning;"
  for i in $(seq 10000); do
    t=$((i % 100))
    printf "BEGIN;\nSELECT set_config('request.jwt.claims', '{\"org_id\":\"00000000-0000-4000-8000-%012d\"}', true) \\g /dev/null\n" "$t"
    echo "SELECT identity.get_current_org_id(), identity.get_current_org_ids(), identity.get_current_org_key() \g /dev/null"
    echo "SELECT tenant_guard.authenticate(:'token') IS NOT NULL \g /dev/null"
    echo "COMMIT;"
  done
} >"$work/transactions.sql"

psql_tg -d postgres -q -At -v secret="$SECRET" -v work="$work" <<'SQL'
\set ON_ERROR_STOP 1
CREATE EXTENSION tenant_guard;
CREATE EXTENSION pgcrypto;
SET tenant_guard.jwt_secret = :'secret';
CREATE TEMP TABLE mem (step text, rss_kb bigint, contexts_kb bigint);
CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN SELECT unnest(string_to_array(pg_read_file('/proc/' || pg_backend_pid() || '/status'), E'\n')) LOOP
    IF line LIKE 'VmRSS:%' THEN RETURN regexp_replace(line, '\D', '', 'g')::bigint; END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.note(step text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO mem SELECT step, pg_temp.rss_kb(), (SELECT sum(total_bytes) / 1024 FROM pg_backend_memory_contexts)
$$;
-- An HS256 token (exp 2100), signed here.
CREATE FUNCTION pg_temp.b64url(bytea) RETURNS text LANGUAGE sql AS
  $$ SELECT translate(rtrim(replace(encode($1, 'base64'), E'\n', ''), '='), '+/', '-_') $$;
SELECT s || '.' || pg_temp.b64url(hmac(s, :'secret', 'sha256')) AS token
FROM (SELECT pg_temp.b64url('{"alg":"HS256"}') || '.' ||
             pg_temp.b64url(convert_to('{"exp":4102444800,"app_metadata":{"organization_id":"00000000-0000-4000-8000-000000000001"}}', 'UTF8')) AS s) x \gset

-- Warm-up: every path once.
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"00000000-0000-4000-8000-000000000001"}', true) \g /dev/null
SELECT count(identity.get_current_org_id()), count(identity.get_current_org_ids()) FROM generate_series(1, 10000) \g /dev/null
SELECT count(tenant_guard.verify_jwt(:'token')) FROM generate_series(1, 1000) \g /dev/null
COMMIT;
\i :work/transactions.sql
SELECT pg_temp.note('after warm-up');

BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"00000000-0000-4000-8000-000000000001"}', true) \g /dev/null
SELECT count(identity.get_current_org_id()) FROM generate_series(1, 1000000) \g /dev/null
SELECT pg_temp.note('1,000,000 get_current_org_id() in one transaction');
SELECT count(identity.get_current_org_ids()) FROM generate_series(1, 1000000) \g /dev/null
SELECT pg_temp.note('1,000,000 get_current_org_ids() in one transaction');
SELECT count(tenant_guard.verify_jwt(:'token')) FROM generate_series(1, 100000) \g /dev/null
SELECT pg_temp.note('100,000 verify_jwt() in one transaction');
COMMIT;
\i :work/transactions.sql
SELECT pg_temp.note('10,000 transactions (claims, helpers, authenticate)');
\i :work/transactions.sql
SELECT pg_temp.note('10,000 more transactions');

\pset format aligned
\pset tuples_only off
SELECT step, rss_kb, rss_kb - first_value(rss_kb) OVER () AS rss_growth_kb,
       contexts_kb, contexts_kb - first_value(contexts_kb) OVER () AS contexts_growth_kb
FROM mem;
SQL
