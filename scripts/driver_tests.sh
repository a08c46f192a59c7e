#!/usr/bin/env bash
# Runs the driver tests (tests/driver/*.py, plain unittest with Debian's
# python3-psycopg2) against the installed extension.
#
#   scripts/driver_tests.sh
#
# Cluster: when PGHOST is set and `psql -c 'select 1'` succeeds with the current
# PG* environment, that server is used and left running; otherwise a throwaway
# cluster is started with scripts/cluster.sh on TG_PORT (default 54351) and
# stopped on exit. Each test file creates (and drops) its own database.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export TG_PORT=${TG_PORT:-54351}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
export PGBIN
PYTHON=${PYTHON:-/usr/bin/python3}
# shellcheck source=scripts/cluster.sh
source "$ROOT/scripts/cluster.sh"

if ! "$PYTHON" -c 'import psycopg2' 2>/dev/null; then
  echo "driver_tests: $PYTHON cannot import psycopg2 (apt-get install python3-psycopg2, or bash scripts/setup.sh)" >&2
  exit 1
fi

cluster_use_or_start driver_tests || exit 1
cleanup() {
  local rc=$?
  if [ "$TG_STARTED" = 1 ]; then cluster_stop; fi
  return "$rc"
}
trap cleanup EXIT

rc=0
for t in "$ROOT"/tests/driver/test_*.py; do
  echo "=== $t"
  "$PYTHON" "$t" || rc=1
done
if [ "$rc" -ne 0 ]; then
  echo "driver_tests: FAILED" >&2
  exit 1
fi
echo "driver_tests: ok"
