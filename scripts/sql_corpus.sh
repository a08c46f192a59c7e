#!/usr/bin/env bash
# Replays generated corpora in ONE backend and compares every answer with the
# pure-Rust core's: N claim documents (core/examples/claims_corpus.rs) through
# identity.get_current_org_id(), and N tokens (core/examples/token_corpus.rs:
# valid, tampered, hostile) through tenant_guard.verify_jwt(): the same verdict
# (valid, or SQLSTATE 28000 with the same rule) and, when valid, the same
# claims. Any mismatch, other error or crash fails.
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
cargo run -q -p tenant_guard_core --example token_corpus -- "$N" "$SEED" >"$work/tokens.tsv"
chmod 644 "$work/corpus.tsv" "$work/tokens.tsv"
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

CREATE TABLE tokens (n serial, token text, verdict text, claims jsonb);
\copy tokens (token, verdict, claims) FROM '$work/tokens.tsv'
-- The generator's rules: the test secret, no audience or issuer, 30 s leeway.
SET tenant_guard.jwt_secret = 'test-only-hmac-secret-0123456789abcdefgh';
SET tenant_guard.jwks = '';
SET tenant_guard.jwt_audience = '';
SET tenant_guard.jwt_issuer = '';
SET tenant_guard.jwt_leeway = 30;
CREATE FUNCTION pg_temp.replay_tokens(OUT total bigint, OUT valid bigint, OUT mismatches bigint, OUT first text)
LANGUAGE plpgsql AS \$\$
DECLARE r record; got jsonb; verdict text; st text; det text;
BEGIN
  total := 0; valid := 0; mismatches := 0;
  FOR r IN SELECT * FROM tokens ORDER BY n LOOP
    got := NULL;
    BEGIN
      got := tenant_guard.verify_jwt(r.token);
      verdict := 'valid';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
      -- every rejection is 28000 with DETAIL 'rule: <rule>'
      verdict := CASE WHEN st = '28000' AND det LIKE 'rule: %' THEN substr(det, 7) ELSE st || ' ' || det END;
    END;
    total := total + 1;
    IF verdict = 'valid' THEN valid := valid + 1; END IF;
    IF verdict IS DISTINCT FROM r.verdict OR got IS DISTINCT FROM r.claims THEN
      mismatches := mismatches + 1;
      IF first IS NULL THEN
        first := format('token %s: SQL %s %s, pure verifier %s %s: %s', r.n, verdict, left(got::text, 100),
                        r.verdict, left(r.claims::text, 100), left(r.token, 200));
      END IF;
    END IF;
  END LOOP;
  -- NULL in, NULL out
  IF tenant_guard.verify_jwt(NULL) IS NOT NULL THEN
    mismatches := mismatches + 1;
    first := coalesce(first, 'verify_jwt(NULL) is not NULL');
  END IF;
END \$\$;
SELECT total, valid, mismatches, coalesce(first, '-') FROM pg_temp.replay_tokens();
SQL
)
{ read -r total resolved mismatches first; read -r ttotal tvalid tmismatches tfirst; } <<<"$result"
"$PGBIN/psql" -X -q -d postgres -U "${PGUSER:-postgres}" -c "DROP DATABASE IF EXISTS tg_corpus WITH (FORCE)" >/dev/null 2>&1 || true
echo "sql_corpus: $total documents (seed $SEED) in one backend, $resolved resolved to a tenant, $mismatches mismatches"
echo "sql_corpus: $ttotal tokens (seed $SEED) in the same backend, $tvalid valid, $tmismatches mismatches"
rc=0
if [ "$total" != "$N" ] || [ "$mismatches" != 0 ]; then
  echo "sql_corpus: FAILED (claims): $first" >&2
  rc=1
fi
if [ "$ttotal" != "$N" ] || [ "$tmismatches" != 0 ]; then
  echo "sql_corpus: FAILED (tokens): $tfirst" >&2
  rc=1
fi
exit "$rc"
