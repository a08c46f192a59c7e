#!/usr/bin/env bash
# Isolation under load: PostgREST-style transactions from many clients through
# PgBouncer in transaction mode, checking every statement for rows of another
# tenant, and the throughput cost of RLS with identity.get_current_org_id().
#
# 1,000 tenants x 100 rows (items), RLS policy
#   org_id = (SELECT identity.get_current_org_id())   (FOR ALL, WITH CHECK too)
# and the same table without RLS (items_norls), every statement carrying the
# tenant filter by hand, as the baseline. pgbench runs
# CLIENTS clients for SECONDS seconds per workload, through PgBouncer (pool of
# 16 server connections), each transaction as PostgREST does it:
#   BEGIN; set_config('request.jwt.claims', <random tenant>, true); SET LOCAL ROLE authenticated;
#   read 10 own rows; insert one; update one; COMMIT
# and every statement also counts rows whose tenant differs from the caller's
# (0 expected: RLS must hide them); a non-zero count is written to a table.
# A control run against a USING (true) table shows that the counter works.
#
# Usage:  bash bench/isolation_load.sh
#   SKIP_INSTALL=1   do not build and install the extension first
#   CLIENTS=32 DURATION=20 (seconds per workload) TG_PORT=54391 BOUNCER_PORT=64391
# Prints TPS with RLS, without, their ratio, and the cross-tenant row count.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-32}
SECONDS_RUN=${DURATION:-20}
export TG_PORT=${TG_PORT:-54391}
BOUNCER_PORT=${BOUNCER_PORT:-64391}
for v in CLIENTS SECONDS_RUN; do
  case ${!v} in '' | *[!0-9]* | 0) echo "isolation_load: $v must be a positive integer" >&2; exit 2 ;; esac
done
command -v pgbouncer >/dev/null || { echo "isolation_load: pgbouncer is missing (bash scripts/setup.sh)" >&2; exit 1; }

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/install.sh
fi
export TG_PG_OPTS="-c shared_preload_libraries=tenant_guard -c max_connections=200"
# shellcheck source=../scripts/cluster.sh
source scripts/cluster.sh
cluster_start
work=$(mktemp -d)
chmod 755 "$work"
stop_all() {
  bouncer_stop
  rm -rf "$work"
  cluster_stop
}
trap stop_all EXIT

echo "isolation_load: loading 1,000 tenants x 100 rows"
psql_tg -q -d postgres <<'SQL'
SET client_min_messages = warning;
CREATE DATABASE tg_load;
\c tg_load
CREATE EXTENSION tenant_guard;
CREATE ROLE authenticator LOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN;
GRANT authenticated TO authenticator;
CREATE FUNCTION public.tenant(n int) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT md5('tenant-' || n)::uuid $$;
CREATE TABLE public.items (id bigserial PRIMARY KEY, org_id uuid NOT NULL, val int NOT NULL);
INSERT INTO public.items (org_id, val) SELECT public.tenant(t), r FROM generate_series(1, 1000) t, generate_series(1, 100) r;
CREATE INDEX ON public.items (org_id);
CREATE TABLE public.items_norls (LIKE public.items INCLUDING ALL);
INSERT INTO public.items_norls SELECT * FROM public.items;
CREATE TABLE public.items_leaky (LIKE public.items INCLUDING ALL);
INSERT INTO public.items_leaky SELECT * FROM public.items;
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_tenant ON public.items TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
ALTER TABLE public.items_leaky ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_leaky_all ON public.items_leaky TO authenticated USING (true) WITH CHECK (true);
CREATE TABLE public.violations (workload text, tenant int, cross_rows bigint, at timestamptz DEFAULT now());
GRANT SELECT, INSERT, UPDATE ON public.items, public.items_norls, public.items_leaky TO authenticated;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO authenticated;
GRANT INSERT ON public.violations TO authenticated;
VACUUM ANALYZE;
SQL

# A PostgREST-style transaction for a random tenant on table $1, every
# statement checked for other tenants' rows. $3 is the tenant filter the
# statements add themselves: TRUE where RLS is to do it, the comparison by
# hand for the baseline. Same statements, same round trips, either way.
workload() {
  local table=$1 name=$2 filter=$3
  cat <<SQL
\set t random(1, 1000)
BEGIN;
SELECT set_config('request.jwt.claims', json_build_object('role', 'authenticated', 'app_metadata', json_build_object('organization_id', public.tenant(:t)))::text, true);
SET LOCAL ROLE authenticated;
SELECT count(*) FILTER (WHERE org_id <> public.tenant(:t)) AS cross_rows FROM (SELECT org_id FROM public.$table WHERE $filter ORDER BY id LIMIT 10) s \gset
\if :cross_rows
INSERT INTO public.violations (workload, tenant, cross_rows) VALUES ('$name', :t, :cross_rows);
\endif
WITH w AS (INSERT INTO public.$table (org_id, val) VALUES (public.tenant(:t), :t) RETURNING org_id) SELECT count(*) FILTER (WHERE org_id <> public.tenant(:t)) AS cross_rows FROM w \gset
\if :cross_rows
INSERT INTO public.violations (workload, tenant, cross_rows) VALUES ('$name', :t, :cross_rows);
\endif
WITH w AS (UPDATE public.$table SET val = val + 1 WHERE id = (SELECT id FROM public.$table WHERE $filter ORDER BY id LIMIT 1) RETURNING org_id) SELECT count(*) FILTER (WHERE org_id <> public.tenant(:t)) AS cross_rows FROM w \gset
\if :cross_rows
INSERT INTO public.violations (workload, tenant, cross_rows) VALUES ('$name', :t, :cross_rows);
\endif
COMMIT;
SQL
}
workload items rls "TRUE" >"$work/rls.sql"
workload items_norls norls "org_id = public.tenant(:t)" >"$work/norls.sql"
workload items_leaky leaky "TRUE" >"$work/leaky.sql"

bouncer_start "$BOUNCER_PORT" tg_load 16 authenticator

run() { # name script seconds
  pgbench -n -h 127.0.0.1 -p "$BOUNCER_PORT" -U authenticator -c "$CLIENTS" -j 2 -T "$3" -f "$2" tg_load \
    >"$work/$1.out" 2>&1 || { cat "$work/$1.out"; exit 1; }
  grep -E "^tps" "$work/$1.out" | head -1 | sed -E 's/tps = ([0-9.]+).*/\1/'
}
echo "isolation_load: $CLIENTS clients, ${SECONDS_RUN}s per workload, through PgBouncer (transaction mode)"
tps_norls=$(run norls "$work/norls.sql" "$SECONDS_RUN")
tps_rls=$(run rls "$work/rls.sql" "$SECONDS_RUN")
tps_leaky=$(run leaky "$work/leaky.sql" 3)
read -r rls_viol leaky_viol <<<"$(psql_tg -d tg_load -At -F ' ' -c \
  "SELECT count(*) FILTER (WHERE workload = 'rls'), count(*) FILTER (WHERE workload = 'leaky') FROM public.violations")"
xacts=$(grep -E "number of transactions actually processed" "$work/rls.out" | sed -E 's/.*: ([0-9]+).*/\1/')

printf '\n%-44s %12s\n' "workload" "tps"
printf '%-44s %12.0f\n' "no RLS, the same filter written by hand" "$tps_norls"
printf '%-44s %12.0f\n' "RLS, org_id = (SELECT get_current_org_id())" "$tps_rls"
printf '%-44s %12.2f\n' "ratio RLS / baseline" "$(awk -v a="$tps_rls" -v b="$tps_norls" 'BEGIN { print a / b }')"
printf '\ncross-tenant rows seen with RLS: %s statements in %s transactions\n' "$rls_viol" "$xacts"
printf 'control, USING (true) for 3 s:   %s statements saw other tenants'"'"' rows (the counter works; %0.f tps)\n' "$leaky_viol" "$tps_leaky"
if [ "$rls_viol" != 0 ] || [ "$leaky_viol" = 0 ]; then
  echo "isolation_load: FAILED" >&2
  exit 1
fi
