#!/usr/bin/env bash
# Upgrade test: for every released version (sql/released/tenant_guard--X.sql),
# CREATE EXTENSION tenant_guard VERSION 'X' with the installed (current) build,
# build policies, a view, a function and a suppression on it
# (tests/upgrade/dependents.sql), check how they behave as `authenticated`,
# ALTER EXTENSION tenant_guard UPDATE, and check that
#   - the behaviour is unchanged and as expected (tests/upgrade/expected_check.out),
#   - every object that depended on the extension's objects still depends on
#     the same OIDs (nothing was dropped and recreated),
#   - the upgraded extension is exactly what a fresh install creates
#     (tests/upgrade/footprint.sql: definitions, owners, ACLs, comments, tables),
#   - pg_dump carries the users' suppressions.
# Needs the current build installed (scripts/install.sh). Cluster: as in
# scripts/regress.sh (PGHOST if it answers, else a throwaway one on TG_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export TG_PORT=${TG_PORT:-54355}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
export PGBIN
# shellcheck source=scripts/cluster.sh
source "$ROOT/scripts/cluster.sh"

current=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
released=()
for f in sql/released/tenant_guard--*.sql; do
  [ -e "$f" ] || continue
  v=${f##*--}; released+=("${v%.sql}")
done
if [ ${#released[@]} -eq 0 ]; then
  echo "upgrade_test: no released version in sql/released: nothing to upgrade from" >&2
  exit 1
fi

cluster_use_or_start upgrade_test || exit 1
work=$(mktemp -d /tmp/tg_upgrade.XXXXXX)
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then echo "upgrade_test: output kept in $work"; else rm -rf "$work"; fi
  if [ "$TG_STARTED" = 1 ]; then cluster_stop; fi
  return "$rc"
}
trap cleanup EXIT

q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -U postgres "$@"; }
fresh_db() {
  q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1
}
q -d postgres >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
END $$;
SQL

fresh_db tg_up_fresh
q -d tg_up_fresh -c "CREATE EXTENSION tenant_guard" >/dev/null
q -d tg_up_fresh -f tests/upgrade/footprint.sql >"$work/footprint_fresh.txt"

failed=0
fail() { echo "upgrade_test: FAIL ($1): $2" >&2; failed=1; }
for from in "${released[@]}"; do
  [ "$from" = "$current" ] && continue
  db=tg_up_${from//./_}
  fresh_db "$db"
  path=$(q -d "$db" -At -c "SELECT path FROM pg_extension_update_paths('tenant_guard') WHERE source = '$from' AND target = '$current'")
  if [ -z "$path" ]; then
    fail "$from" "no update path to $current (sql/tenant_guard--$from--….sql missing)"
    continue
  fi
  q -d "$db" -c "CREATE EXTENSION tenant_guard VERSION '$from'" >/dev/null
  q -d "$db" -f tests/upgrade/dependents.sql >/dev/null
  q -d "$db" -f tests/upgrade/check.sql >"$work/check_before_$from.txt"
  q -d "$db" -c "ALTER EXTENSION tenant_guard UPDATE" >/dev/null
  q -d "$db" -f tests/upgrade/check.sql >"$work/check_after_$from.txt"
  q -d "$db" -f tests/upgrade/footprint.sql >"$work/footprint_$from.txt"
  lost=$(q -d "$db" -At <<'SQL'
SELECT count(*) FROM app.deps_before b
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid::regclass::text = b.kind AND d.objid = b.objid AND d.refobjid = b.refobjid)
SQL
)
  kept=$(q -d "$db" -At -c "SELECT count(*) FROM app.deps_before")
  # suppressions are the user's rows: pg_dump of the database must carry them
  "$PGBIN/pg_dump" -U postgres -d "$db" >"$work/dump_$from.sql"
  grep -q 'upgrade-test:kept' "$work/dump_$from.sql" ||
    fail "$from" "pg_dump does not carry the rows of tenant_guard.suppressions after the update"

  diff -u tests/upgrade/expected_check.out "$work/check_before_$from.txt" >"$work/diff_before" ||
    fail "$from" "behaviour at $from differs from tests/upgrade/expected_check.out: $(cat "$work/diff_before")"
  diff -u tests/upgrade/expected_check.out "$work/check_after_$from.txt" >"$work/diff_after" ||
    fail "$from" "behaviour after the update differs: $(cat "$work/diff_after")"
  [ "$kept" -gt 0 ] || fail "$from" "no dependency on the extension was recorded (the test is not testing)"
  [ "$lost" -eq 0 ] || fail "$from" "$lost of $kept dependencies on the extension's objects were lost (dropped and recreated?)"
  diff -u "$work/footprint_fresh.txt" "$work/footprint_$from.txt" >"$work/diff_footprint" ||
    fail "$from" "the upgraded extension differs from a fresh install of $current (- fresh, + upgraded):
$(cat "$work/diff_footprint")"
  [ "$failed" -eq 0 ] && echo "upgrade_test: $from -> $current via $path: $kept dependent objects kept, behaviour unchanged, catalog equal to a fresh install, suppressions dumped"
  q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
done
q -d postgres -c "DROP DATABASE tg_up_fresh WITH (FORCE)" >/dev/null
[ "$failed" -eq 0 ]
