#!/usr/bin/env bash
# Builds (release) and installs the extension into the PostgreSQL that
# PG_CONFIG names (default Debian's 15; see scripts/pg_versions.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
flags=()
[ "$(id -u)" -eq 0 ] || flags+=(--sudo)
log=$(mktemp)
if ! cargo pgrx install --release --pg-config "$PG_CONFIG" "${flags[@]}" >"$log" 2>&1; then
  cat "$log"
  echo "install: cargo pgrx install failed" >&2
  exit 1
fi
rm -f "$log"
# The install scripts of released versions (cargo pgrx installs only the
# current one and the upgrade scripts): CREATE EXTENSION ... VERSION 'x' works
# for each, which is how scripts/upgrade_test.sh starts from them.
ext_dir="$("$PG_CONFIG" --sharedir)/extension"
for f in sql/released/tenant_guard--*.sql; do
  [ -e "$f" ] || continue
  if [ "$(id -u)" -eq 0 ]; then cp "$f" "$ext_dir/"; else sudo cp "$f" "$ext_dir/"; fi
done
echo "install: tenant_guard installed into $("$PG_CONFIG" --pkglibdir)"
