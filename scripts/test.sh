#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (installs what it needs first):
# formatting and lints, pure-Rust core tests, a short fuzzing run; then, on PostgreSQL 15 and on 18,
# the #[pg_test]s and, against a throwaway cluster with the release build
# installed, pg_regress, the PostgREST-style driver test, the SQL corpus and
# the upgrade test;
# then JWT verification and pooling safety on a preloaded cluster behind
# PgBouncer.
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
# shellcheck source=scripts/pg_versions.sh
source scripts/pg_versions.sh

step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo clippy (PostgreSQL 18 build)" \
  cargo clippy -p tenant_guard --all-targets --no-default-features --features pg18 --quiet -- -D warnings
step "core unit tests" cargo test -p tenant_guard_core --quiet
step "audit corpus: reviewed EXPECT lines match the expected findings" \
  python3 tests/corpus/check_expectations.py --strict tests/pg_regress/expected/audit_corpus.out
step "fuzzing (cargo-fuzz): claim resolution, tokens, signed payloads, JWKS, 20 s each" bash scripts/fuzz.sh

# Everything that needs a server, once per PostgreSQL version (the catalog and
# API differences between versions live in src/ behind the pgNN features).
server_suites() {
  local pg=$1 port=$2 pgrx_data
  export PG_CONFIG PGBIN TG_PORT
  PG_CONFIG=$(pg_config_for "$pg")
  PGBIN=$("$PG_CONFIG" --bindir)
  TG_PORT=$port
  pgrx_data=$(mktemp -d /tmp/tenant_guard_pgrx.XXXXXX)
  chown postgres:postgres "$pgrx_data" 2>/dev/null || true
  step "pg_test (cargo pgrx test pg$pg)" cargo pgrx test "pg$pg" --runas postgres --pgdata "$pgrx_data/data"
  rm -rf "$pgrx_data"

  step "install (release build, PostgreSQL $pg)" bash scripts/install.sh
  source scripts/cluster.sh
  cluster_start
  step "pg_regress (PostgreSQL $pg)" bash scripts/regress.sh
  step "driver tests: PostgREST per-request transaction (PostgreSQL $pg)" bash scripts/driver_tests.sh
  step "SQL corpus: 100,000 generated claim documents through identity.* agree with the pure resolver (PostgreSQL $pg)" \
    bash scripts/sql_corpus.sh
  step "upgrade: every released version, ALTER EXTENSION UPDATE keeps dependent policies and equals a fresh install (PostgreSQL $pg)" \
    bash scripts/upgrade_test.sh
  cluster_stop
  step "JWT and pooling tests: preloaded cluster, PgBouncer in transaction mode (PostgreSQL $pg)" \
    env TG_JWT_PORT=$((port + 1)) bash scripts/jwt_tests.sh
}

base_port=${TG_PORT:-54331}
for pg in "${TG_PG_VERSIONS[@]}"; do
  server_suites "$pg" $((base_port + 10 * (pg - 15)))
done

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
