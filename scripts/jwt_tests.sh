#!/usr/bin/env bash
# JWT and pooling tests in the documented deployment: a throwaway cluster with
# tenant_guard in shared_preload_libraries (keys set with ALTER SYSTEM by the
# tests) and PgBouncer in transaction mode on 127.0.0.1, both started here
# and stopped on exit. Needs the extension installed (scripts/install.sh).
#
#   scripts/jwt_tests.sh
#
# Environment: TG_JWT_PORT (server, default 54371), TG_BOUNCER_PORT (default 64371).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
export PGBIN
PYTHON=${PYTHON:-/usr/bin/python3}
export TG_PORT=${TG_JWT_PORT:-54371}
export TG_BOUNCER_PORT=${TG_BOUNCER_PORT:-64371}
export TG_PG_OPTS="-c shared_preload_libraries=tenant_guard"
unset PGHOST PGPORT
# shellcheck source=scripts/cluster.sh
source "$ROOT/scripts/cluster.sh"

command -v pgbouncer >/dev/null || { echo "jwt_tests: pgbouncer is missing (bash scripts/setup.sh)" >&2; exit 1; }
"$PYTHON" -c 'import psycopg2, cryptography' 2>/dev/null ||
  { echo "jwt_tests: python3-psycopg2 and python3-cryptography are needed (bash scripts/setup.sh)" >&2; exit 1; }

cluster_start
cleanup() {
  local rc=$?
  bouncer_stop
  cluster_stop
  return "$rc"
}
trap cleanup EXIT

# One server connection: the two test clients must share it.
bouncer_start "$TG_BOUNCER_PORT" tg_pool 1 authenticator postgres

rc=0
for t in "$ROOT"/tests/jwt/test_*.py; do
  echo "=== $t"
  "$PYTHON" "$t" || rc=1
done
if [ "$rc" -ne 0 ]; then
  echo "--- pgbouncer.log (tail)"; tail -20 "$TG_DIR/pgbouncer.log" 2>/dev/null || true
  echo "jwt_tests: FAILED" >&2
  exit 1
fi
echo "jwt_tests: ok"
