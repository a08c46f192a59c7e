#!/usr/bin/env bash
# Runs the pg_regress suite in tests/pg_regress against the installed extension.
#
#   scripts/regress.sh                  # every test (schedule file, else sql/*.sql sorted)
#   scripts/regress.sh rls_isolation    # only the named tests
#
# Cluster: when PGHOST is set and `psql -c 'select 1'` succeeds with the current
# PG* environment (e.g. a bigger test script already ran cluster_start), that
# server is used and left running; otherwise a throwaway cluster is started
# with scripts/cluster.sh on TG_PORT (default 54351) and stopped on exit.
# The database tg_regress is dropped and created fresh on every run.
#
# Environment: TG_PORT, PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
# TG_REGRESS_KEEP=1 keeps the output dir (results/, regression.diffs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export TG_PORT=${TG_PORT:-54351}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
export PGBIN
# shellcheck source=scripts/cluster.sh
source "$ROOT/scripts/cluster.sh"

PG_REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"
[ -x "$PG_REGRESS" ] || { echo "regress: $PG_REGRESS not found (scripts/setup.sh installs it)" >&2; exit 1; }

INPUTDIR="$ROOT/tests/pg_regress"
DBNAME=tg_regress

# --- which tests -----------------------------------------------------------
tests=()
schedule_args=()
if [ $# -gt 0 ]; then
  for t in "$@"; do
    t=${t##*/}; t=${t%.sql}
    [ -f "$INPUTDIR/sql/$t.sql" ] || { echo "regress: no such test: $INPUTDIR/sql/$t.sql" >&2; exit 1; }
    tests+=("$t")
  done
elif [ -f "$INPUTDIR/schedule" ]; then
  schedule_args=(--schedule="$INPUTDIR/schedule")
else
  while IFS= read -r f; do
    t=${f##*/}; tests+=("${t%.sql}")
  done < <(LC_ALL=C ls "$INPUTDIR"/sql/*.sql | LC_ALL=C sort)
fi
if [ ${#tests[@]} -eq 0 ] && [ ${#schedule_args[@]} -eq 0 ]; then
  echo "regress: no tests in $INPUTDIR/sql" >&2
  exit 1
fi

# --- which server -----------------------------------------------------------
cluster_use_or_start regress || exit 1

OUTDIR=$(mktemp -d /tmp/tg_regress_out.XXXXXX)
cleanup() {
  local rc=$?
  if [ "${TG_REGRESS_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "regress: output kept in $OUTDIR"
  else
    rm -rf "$OUTDIR"
  fi
  if [ "$TG_STARTED" = 1 ]; then cluster_stop; fi
  return "$rc"
}
trap cleanup EXIT

# --- fresh database, with the settings pg_regress would give a database it created
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -U postgres <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $DBNAME WITH (FORCE);
CREATE DATABASE $DBNAME TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
ALTER DATABASE $DBNAME SET lc_messages TO 'C';
ALTER DATABASE $DBNAME SET lc_monetary TO 'C';
ALTER DATABASE $DBNAME SET lc_numeric TO 'C';
ALTER DATABASE $DBNAME SET lc_time TO 'C';
ALTER DATABASE $DBNAME SET bytea_output TO 'hex';
ALTER DATABASE $DBNAME SET timezone_abbreviations TO 'Default';
SQL

# --- run ----------------------------------------------------------------------
set +e
"$PG_REGRESS" \
  --bindir="$PGBIN" \
  --inputdir="$INPUTDIR" \
  --outputdir="$OUTDIR" \
  --use-existing \
  --host="$PGHOST" --port="$PGPORT" --user=postgres \
  --dbname="$DBNAME" \
  "${schedule_args[@]}" "${tests[@]}"
rc=$?
set -e

if [ "$rc" -ne 0 ]; then
  if [ -s "$OUTDIR/regression.diffs" ]; then
    echo "===================== regression.diffs ====================="
    cat "$OUTDIR/regression.diffs"
  fi
  echo "regress: FAILED (pg_regress exit $rc)" >&2
  exit 1
fi
echo "regress: ok"
