#!/usr/bin/env bash
# Benchmark: what an RLS policy's claim lookup costs per row.
#
# 1,000,000 rows over 1,000 organizations, no index on org_id, so
# `SELECT count(*) FROM t` is a sequential scan that evaluates the policy on
# every row (1,000 rows are visible). Run as the non-owner role
# `authenticated` with realistic Supabase claims (~700 bytes) set by
# set_config('request.jwt.claims', ..., false), under one policy at a time:
#
#   floor                  the owner (RLS bypassed), WHERE org_id = '<literal>'
#   tenant_guard           org_id = identity.get_current_org_id()
#   Supabase inline        org_id = (auth.jwt() -> 'app_metadata' ->> 'organization_id')::uuid
#   hand-written helper    org_id = public.current_org_id()  (PL/pgSQL, normalizes
#                          organization_id/org_id over app_metadata/user_metadata)
#
# each bare (called per row) and wrapped in (SELECT ...) (an InitPlan: once
# per query). Both without parallel query and with it (2 workers per Gather).
#
# Timing: the "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON),
# i.e. the executor only, no parse/plan/client round trip. Every variant is
# warmed up once with a real SELECT count(*) whose result must be 1,000 (the
# script fails otherwise), then measured RUNS times; runs are interleaved
# (round 1 of every variant, then round 2, ...) so that load from other
# processes on the machine hits all variants alike; the median is reported.
# JIT is off (its compile time would otherwise be charged to some variants
# and not others, depending on function COST); BENCH_JIT=on turns it back on.
#
# Usage:  bash bench/claims_bench.sh
#   SKIP_INSTALL=1   do not build and install the extension first
#   RUNS=5           measured runs per variant and mode (median reported)
#   TG_PORT=54341    port of the throwaway cluster (Unix socket in a temp dir)
#   BENCH_JIT=off    the jit setting during the measurements
# The report is also saved under bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
ROWS=1000000
ORGS=1000
EXPECTED=$((ROWS / ORGS))
BENCH_JIT=${BENCH_JIT:-off}
export TG_PORT=${TG_PORT:-54341}
case $RUNS in '' | *[!0-9]* | 0)
  echo "claims_bench: RUNS must be a positive integer" >&2
  exit 2
  ;;
esac

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/install.sh
fi

# shellcheck source=../scripts/cluster.sh
source scripts/cluster.sh
trap 'exit 130' INT
trap 'exit 143' TERM
started=$SECONDS
cluster_start # installs an EXIT trap that stops the cluster
echo "claims_bench: cluster on socket $TG_DIR port $TG_PORT"

# Someone may be reinstalling the extension right now: retry a few times.
for attempt in 1 2 3 4 5; do
  if err=$(psql_tg -c 'CREATE EXTENSION tenant_guard' 2>&1); then
    break
  fi
  echo "claims_bench: CREATE EXTENSION failed (attempt $attempt): $err" >&2
  [ "$attempt" -lt 5 ] || exit 1
  sleep 3
done

# The benchmark tenant: organization 42 of the table's md5('org-' || n)::uuid.
h=$(printf 'org-42' | md5sum | cut -c1-32)
ORG="${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
# Claims as GoTrue issues them; the tenant only under app_metadata.
CLAIMS=$(tr -d '\n' <<EOF
{"aud":"authenticated","exp":1767229200,"iat":1767225600,
"iss":"https://xyzcompanyabcdefgh.supabase.co/auth/v1",
"sub":"8d0fbb2e-3c5a-4d7e-9f61-2b7c4e1a9d30",
"email":"ada.lovelace@clinic-a.example.com","phone":"",
"app_metadata":{"provider":"email","providers":["email","google"],"organization_id":"$ORG"},
"user_metadata":{"email":"ada.lovelace@clinic-a.example.com","email_verified":true,
"full_name":"Ada Lovelace","avatar_url":"https://lh3.googleusercontent.com/a/ACg8ocLx9Qz3v_kT2m",
"locale":"en-GB","phone_verified":false,"preferred_language":"en"},
"role":"authenticated","aal":"aal1",
"amr":[{"method":"password","timestamp":1767225600},{"method":"otp","timestamp":1767225000}],
"session_id":"f2a6c1d4-7b3e-4e89-a0c5-93d1e8b27f46","is_anonymous":false}
EOF
)

echo "claims_bench: loading $ROWS rows over $ORGS orgs"
psql_tg -v org="$ORG" -v rows="$ROWS" -v orgs="$ORGS" -f bench/claims_bench_setup.sql

VARIANTS=(floor tg_bare tg_wrapped sb_bare sb_wrapped hw_bare hw_wrapped)
declare -A LABEL=(
  [floor]="floor: literal, no RLS"
  [tg_bare]="tenant_guard bare"
  [tg_wrapped]="tenant_guard (select ...)"
  [sb_bare]="Supabase inline bare"
  [sb_wrapped]="Supabase inline (select ...)"
  [hw_bare]="hand-written helper bare"
  [hw_wrapped]="hand-written helper (select ...)"
)
declare -A POLICY=(
  [tg_bare]="org_id = identity.get_current_org_id()"
  [tg_wrapped]="org_id = (select identity.get_current_org_id())"
  [sb_bare]="org_id = (auth.jwt() -> 'app_metadata' ->> 'organization_id')::uuid"
  [sb_wrapped]="org_id = (select (auth.jwt() -> 'app_metadata' ->> 'organization_id')::uuid)"
  [hw_bare]="org_id = public.current_org_id()"
  [hw_wrapped]="org_id = (select public.current_org_id())"
)

# SQL that installs variant $1's policy, takes the role it runs as, and sets
# $query to what it measures.
use_variant() {
  local v=$1
  echo "RESET ROLE;"
  echo "DROP POLICY IF EXISTS bench_policy ON public.t;"
  if [ "$v" = floor ]; then
    query="SELECT count(*) FROM public.t WHERE org_id = '$ORG'"
  else
    echo "CREATE POLICY bench_policy ON public.t FOR SELECT TO authenticated USING (${POLICY[$v]});"
    echo "SET ROLE authenticated;"
    query="SELECT count(*) FROM public.t"
  fi
}

# The psql script for one mode ($1: single | parallel), one session.
mode_script() {
  local mode=$1 v run
  echo '\set ON_ERROR_STOP 1'
  echo "SET client_min_messages = warning;"
  echo "SET jit = $BENCH_JIT;"
  if [ "$mode" = single ]; then
    echo "SET max_parallel_workers_per_gather = 0;"
  else
    # Cheap enough that every variant's plan goes parallel; the table
    # (~65 MB) is far above the default min_parallel_table_scan_size.
    echo "SET max_parallel_workers_per_gather = 2;"
    echo "SET parallel_setup_cost = 0;"
    echo "SET parallel_tuple_cost = 0;"
  fi
  echo "SELECT set_config('request.jwt.claims', :'claims', false) \\g /dev/null"
  echo "SET ROLE authenticated;"
  echo "SELECT bench.assert(identity.get_current_org_id() = :'org', 'tenant_guard does not resolve the claims to ' || :'org') \\g /dev/null"
  echo "SELECT bench.assert((auth.jwt() -> 'app_metadata' ->> 'organization_id')::uuid = :'org', 'auth.jwt() does not see the claims') \\g /dev/null"
  echo "SELECT bench.assert(public.current_org_id() = :'org', 'the hand-written helper does not resolve the claims') \\g /dev/null"
  # Warm-up: the real query, once per variant; its count must be right.
  for v in "${VARIANTS[@]}"; do
    use_variant "$v"
    echo "$query \\gset warm_"
    echo "SELECT bench.check_count('$mode', '$v', :warm_count, $EXPECTED) \\g /dev/null"
  done
  echo "\\echo 'claims_bench: $mode: every variant counted $EXPECTED rows; measuring $RUNS runs each'"
  for ((run = 1; run <= RUNS; run++)); do
    for v in "${VARIANTS[@]}"; do
      use_variant "$v"
      echo "SELECT bench.explain(\$bq\$$query\$bq\$) AS plan \\gset"
      echo "INSERT INTO bench.runs VALUES ('$mode', '$v', $run, :'plan');"
    done
  done
  echo "RESET ROLE;"
  echo "DROP POLICY IF EXISTS bench_policy ON public.t;"
}

for mode in single parallel; do
  mode_script "$mode" >"$TG_DIR/$mode.sql"
  psql_tg -v claims="$CLAIMS" -v org="$ORG" -f "$TG_DIR/$mode.sql"
done

# mode|variant|median ms|min ms|max ms|runs parallel|runs|min workers launched|workers planned
results=$(psql_tg -At -F'|' <<'SQL'
WITH r AS (
  SELECT mode, variant, (plan -> 0 ->> 'Execution Time')::float8 AS ms,
         jsonb_path_exists(plan::jsonb, 'lax $.**."Node Type" ? (@ starts with "Gather")') AS par,
         coalesce(jsonb_path_query_first(plan::jsonb, 'lax $.**."Workers Launched"')::int, 0) AS launched,
         coalesce(jsonb_path_query_first(plan::jsonb, 'lax $.**."Workers Planned"')::int, 0) AS planned
  FROM bench.runs)
SELECT mode, variant,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3),
       round(min(ms)::numeric, 3), round(max(ms)::numeric, 3),
       count(*) FILTER (WHERE par), count(*), min(launched), max(planned)
FROM r GROUP BY mode, variant ORDER BY mode, variant
SQL
)

declare -A MS LO HI PAR N LAUNCHED PLANNED
while IFS='|' read -r mode v med lo hi par n launched planned; do
  MS[$mode,$v]=$med LO[$mode,$v]=$lo HI[$mode,$v]=$hi
  PAR[$mode,$v]=$par N[$mode,$v]=$n LAUNCHED[$mode,$v]=$launched PLANNED[$mode,$v]=$planned
done <<<"$results"
for mode in single parallel; do
  for v in "${VARIANTS[@]}"; do
    [ "${N[$mode,$v]:-0}" -eq "$RUNS" ] || {
      echo "claims_bench: $mode/$v: ${N[$mode,$v]:-0} runs recorded, expected $RUNS" >&2
      exit 1
    }
  done
done

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
plan_of() { # mode variant
  local m=$1 v=$2
  if [ "${PAR[$m,$v]}" -eq 0 ]; then
    echo "serial"
  elif [ "${PAR[$m,$v]}" -eq "${N[$m,$v]}" ]; then
    echo "Gather, ${LAUNCHED[$m,$v]}/${PLANNED[$m,$v]} workers"
  else
    echo "Gather in ${PAR[$m,$v]}/${N[$m,$v]} runs"
  fi
}
check() { # label ok-command...
  local label=$1
  shift
  if "$@"; then printf '  PASS  %s\n' "$label"; else printf '  MISS  %s\n' "$label"; fi
}

report=$TG_DIR/report.txt
{
  echo
  echo "claims_bench: SELECT count(*) FROM t; $ROWS rows, $ORGS orgs, $EXPECTED visible; claims ${#CLAIMS} bytes;"
  echo "median of $RUNS runs of EXPLAIN (ANALYZE, TIMING OFF) execution time; jit=$BENCH_JIT; PostgreSQL $(psql_tg -At -c 'show server_version' | cut -d' ' -f1), $(nproc) CPUs"
  echo
  fmt='%-33s | %11s | %7s | %13s | %7s | %-13s | %s\n'
  # shellcheck disable=SC2059
  printf "$fmt" "variant" "ms (single)" "x floor" "ms (parallel)" "x floor" "single plan" "parallel plan"
  printf '%s\n' "----------------------------------+-------------+---------+---------------+---------+---------------+------------------------"
  for v in "${VARIANTS[@]}"; do
    # shellcheck disable=SC2059
    printf "$fmt" "${LABEL[$v]}" \
      "${MS[single,$v]}" "$(div "${MS[single,$v]}" "${MS[single,floor]}")" \
      "${MS[parallel,$v]}" "$(div "${MS[parallel,$v]}" "${MS[parallel,floor]}")" \
      "$(plan_of single "$v")" "$(plan_of parallel "$v")"
  done
  echo
  echo "spread (min - max ms over the $RUNS runs):"
  for v in "${VARIANTS[@]}"; do
    printf '  %-33s single %s - %s   parallel %s - %s\n' "${LABEL[$v]}" \
      "${LO[single,$v]}" "${HI[single,$v]}" "${LO[parallel,$v]}" "${HI[parallel,$v]}"
  done
  for mode in single parallel; do
    f=${MS[$mode,floor]} tb=${MS[$mode,tg_bare]} tw=${MS[$mode,tg_wrapped]} hb=${MS[$mode,hw_bare]}
    echo
    echo "targets ($mode):"
    check "tenant_guard bare within 2x of the floor ($(div "$tb" "$f")x)" le "$tb" "$(awk -v f="$f" 'BEGIN { print 2 * f }')"
    check "tenant_guard bare within 1.5x of the floor, stretch ($(div "$tb" "$f")x)" le "$tb" "$(awk -v f="$f" 'BEGIN { print 1.5 * f }')"
    check "tenant_guard wrapped within 1.05x of the floor ($(div "$tw" "$f")x)" le "$tw" "$(awk -v f="$f" 'BEGIN { print 1.05 * f }')"
    check "tenant_guard bare >= 50x faster than the hand-written helper bare ($(div "$hb" "$tb")x)" ge "$hb" "$(awk -v t="$tb" 'BEGIN { print 50 * t }')"
    echo "  ratio hand-written bare / tenant_guard bare: $(div "$hb" "$tb")"
    echo "  ratio Supabase inline bare / tenant_guard bare: $(div "${MS[$mode,sb_bare]}" "$tb")"
  done
  echo
  echo "claims_bench: done in $((SECONDS - started)) s"
} >"$report"

cat "$report"
mkdir -p bench/results
cp "$report" "bench/results/claims_bench-$(date -u +%Y%m%dT%H%M%SZ).txt"
