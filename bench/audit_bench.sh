#!/usr/bin/env bash
# Benchmark: how long tenant_guard.audit() takes, and how it grows.
#
# For each size N (default 200, 2000, 5000 tables) a fresh database gets a
# schema of N tenant tables (org_id uuid NOT NULL, indexed, RLS on, 4 policies
# each: SELECT/INSERT/UPDATE/DELETE with identity.get_current_org_id(), grants
# to authenticated). Measured, median of RUNS runs each, in one session:
#   snapshot   the plain catalog query (sql/queries/snapshot.sql) alone
#   audit      SELECT count(*) FROM tenant_guard.audit()  (snapshot + analysis + checks)
# Printed: seconds, audit/snapshot ratio, and growth from one size to the next
# relative to the growth in tables (1.00 = linear).
#
# Usage: bash bench/audit_bench.sh        SIZES="200 2000 5000" RUNS=3 SKIP_INSTALL=1 TG_PORT=54342
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"200 2000 5000"}
RUNS=${RUNS:-3}
export TG_PORT=${TG_PORT:-54342}
[ "${SKIP_INSTALL:-0}" = 1 ] || bash scripts/install.sh
source scripts/cluster.sh
cluster_start
echo "audit_bench: cluster on socket $TG_DIR port $TG_PORT"
psql_tg -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
END \$\$;"

# Milliseconds of one statement (psql's \timing), run in database $1.
time_ms() {
  local db=$1
  shift
  "$PGBIN/psql" -X -q -At -d "$db" -c '\timing on' "$@" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A SNAP AUDIT
prev=""
printf '\n%8s %10s %12s %12s %10s %14s\n' tables policies "snapshot s" "audit s" "audit/snap" "growth/linear"
for n in $SIZES; do
  db="bench_$n"
  psql_tg -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  psql_tg -d "$db" -c "CREATE EXTENSION tenant_guard" -c "CREATE SCHEMA app" -c "GRANT USAGE ON SCHEMA app TO authenticated"
  # in chunks of 500 tables: one transaction holds a lock per table
  for ((lo = 1; lo <= n; lo += 500)); do
    hi=$((lo + 499 < n ? lo + 499 : n))
    psql_tg -d "$db" -c "
DO \$\$
BEGIN
  FOR i IN $lo..$hi LOOP
    EXECUTE format('CREATE TABLE app.t%s (id bigint PRIMARY KEY, org_id uuid NOT NULL, body text)', i);
    EXECUTE format('CREATE INDEX ON app.t%s (org_id)', i);
    EXECUTE format('ALTER TABLE app.t%s ENABLE ROW LEVEL SECURITY', i);
    EXECUTE format('CREATE POLICY s ON app.t%s FOR SELECT TO authenticated USING (org_id = (SELECT identity.get_current_org_id()))', i);
    EXECUTE format('CREATE POLICY i ON app.t%s FOR INSERT TO authenticated WITH CHECK (org_id = (SELECT identity.get_current_org_id()))', i);
    EXECUTE format('CREATE POLICY u ON app.t%s FOR UPDATE TO authenticated USING (org_id = (SELECT identity.get_current_org_id())) WITH CHECK (org_id = (SELECT identity.get_current_org_id()))', i);
    EXECUTE format('CREATE POLICY d ON app.t%s FOR DELETE TO authenticated USING (org_id = (SELECT identity.get_current_org_id()))', i);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON app.t%s TO authenticated', i);
  END LOOP;
END \$\$;"
  done
  psql_tg -d "$db" -c "ANALYZE"
  # warm the caches once
  time_ms "$db" -c "SELECT count(*) FROM tenant_guard.audit()" >/dev/null
  s=$(for _ in $(seq "$RUNS"); do time_ms "$db" -f sql/queries/snapshot.sql; done | median)
  a=$(for _ in $(seq "$RUNS"); do time_ms "$db" -c "SELECT count(*) FROM tenant_guard.audit()"; done | median)
  SNAP[$n]=$s
  AUDIT[$n]=$a
  growth="-"
  if [ -n "$prev" ]; then
    growth=$(awk -v a="$a" -v pa="${AUDIT[$prev]}" -v n="$n" -v pn="$prev" 'BEGIN {printf "%.2f", (a / pa) / (n / pn)}')
  fi
  awk -v n="$n" -v s="$s" -v a="$a" -v g="$growth" 'BEGIN {printf "%8d %10d %12.3f %12.3f %10.2f %14s\n", n, 4 * n, s / 1000, a / 1000, a / s, g}'
  prev=$n
  psql_tg -c "DROP DATABASE $db"
done
echo
echo "targets: 2,000 tables under 2 s; audit at most 3x the snapshot query at 2,000 tables;"
echo "         5,000 tables at most 2.6x the time of 2,000 (growth/linear <= 1.04)"
