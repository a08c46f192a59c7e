#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (installs what it needs first):
# formatting and lints, pure-Rust core tests, #[pg_test]s, then against a
# throwaway cluster with the release build installed: pg_regress and the
# PostgREST-style driver test; then JWT verification and pooling safety on a
# preloaded cluster behind PgBouncer.
set -euo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
step() {
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "=== FAILED: $name"
  fi
}

bash scripts/setup.sh

step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "core unit tests" cargo test -p tenant_guard_core --quiet
step "audit corpus: reviewed EXPECT lines match the expected findings" \
  python3 tests/corpus/check_expectations.py --strict tests/pg_regress/expected/audit_corpus.out

pgrx_data=$(mktemp -d /tmp/tenant_guard_pgrx.XXXXXX)
chown postgres:postgres "$pgrx_data" 2>/dev/null || true
step "pg_test (cargo pgrx test pg15)" cargo pgrx test pg15 --runas postgres --pgdata "$pgrx_data/data"
rm -rf "$pgrx_data"

step "install (release build)" bash scripts/install.sh
export TG_PORT=${TG_PORT:-54331}
source scripts/cluster.sh
cluster_start
step "pg_regress" bash scripts/regress.sh
step "driver tests (PostgREST per-request transaction)" bash scripts/driver_tests.sh
step "SQL corpus: 100,000 generated claim documents through identity.* agree with the pure resolver" \
  bash scripts/sql_corpus.sh
cluster_stop
step "JWT and pooling tests (preloaded cluster, PgBouncer in transaction mode)" \
  env TG_JWT_PORT=$((TG_PORT + 1)) bash scripts/jwt_tests.sh

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
