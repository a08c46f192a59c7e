#!/usr/bin/env bash
# Replays a generated corpus of claim documents (core/examples/claims_corpus.rs:
# N documents, default 100,000) through identity.get_current_org_id() in ONE
# backend, and compares every answer with the pure-Rust resolver's. Any
# mismatch, error or crash fails.
#
#   scripts/sql_corpus.sh            # N=100000 SEED=42
#
# Cluster: as scripts/regress.sh (the running one from PG* variables, or a
# throwaway one). Needs the extension installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-100000}
SEED=${SEED:-42}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export TG_PORT=${TG_PORT:-54351}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
export PGBIN
# shellcheck source=scripts/cluster.sh
source "$ROOT/scripts/cluster.sh"

work=$(mktemp -d)
chmod 755 "$work"
cargo run -q -p tenant_guard_core --example claims_corpus -- "$N" "$SEED" >"$work/corpus.tsv"
chmod 644 "$work/corpus.tsv"
cluster_use_or_start sql_corpus || exit 1
cleanup() {
  local rc=$?
  rm -rf "$work"
  if [ "$TG_STARTED" = 1 ]; then cluster_stop; fi
  return "$rc"
}
trap cleanup EXIT

"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -U "${PGUSER:-postgres}" <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS tg_corpus WITH (FORCE);
CREATE DATABASE tg_corpus;
SQL
result=$("$PGBIN/psql" -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d tg_corpus -U "${PGUSER:-postgres}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION tenant_guard;
CREATE TABLE corpus (n serial, claims text, worker text, expected uuid);
\copy corpus (claims, worker, expected) FROM '$work/corpus.tsv'
CREATE FUNCTION pg_temp.replay(OUT total bigint, OUT resolved bigint, OUT mismatches bigint, OUT first text)
LANGUAGE plpgsql AS \$\$
DECLARE r record; got uuid;
BEGIN
  total := 0; resolved := 0; mismatches := 0;
  FOR r IN SELECT * FROM corpus ORDER BY n LOOP
    PERFORM set_config('request.jwt.claims', r.claims, true), set_config('app.tenant_id', r.worker, true);
    got := identity.get_current_org_id();
    total := total + 1;
    IF got IS NOT NULL THEN resolved := resolved + 1; END IF;
    IF got IS DISTINCT FROM r.expected THEN
      mismatches := mismatches + 1;
      IF first IS NULL THEN
        first := format('document %s: SQL %s, pure resolver %s: %s', r.n, got, r.expected, left(r.claims, 300));
      END IF;
    END IF;
  END LOOP;
END \$\$;
SELECT total, resolved, mismatches, coalesce(first, '-') FROM pg_temp.replay();
SQL
)
read -r total resolved mismatches first <<<"$result"
"$PGBIN/psql" -X -q -d postgres -U "${PGUSER:-postgres}" -c "DROP DATABASE IF EXISTS tg_corpus WITH (FORCE)" >/dev/null 2>&1 || true
echo "sql_corpus: $total documents (seed $SEED) in one backend, $resolved resolved to a tenant, $mismatches mismatches"
if [ "$total" != "$N" ] || [ "$mismatches" != 0 ]; then
  echo "sql_corpus: FAILED: $first" >&2
  exit 1
fi
