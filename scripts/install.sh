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
echo "install: tenant_guard installed into $("$PG_CONFIG" --pkglibdir)"
