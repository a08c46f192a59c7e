#!/usr/bin/env bash
# Installs everything tenant_guard needs on Debian 12, idempotently:
# apt packages, cargo-pgrx 0.18.0 and its PostgreSQL 15 configuration.
set -euo pipefail

PGRX_VERSION=0.18.0
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libclang-dev clang pkg-config sudo python3-psycopg2
  python3-cryptography pgbouncer postgresql-15-pgtap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's packages start a system cluster and PgBouncer we do not use; tests run their own.
$SUDO pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
$SUDO service pgbouncer stop >/dev/null 2>&1 || true

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is required (rustup toolchain)" >&2
  exit 1
fi
if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
  echo "setup: installing cargo-pgrx $PGRX_VERSION (about 3 minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet
fi
if ! grep -qs "^pg15 = \"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
  cargo pgrx init --pg15 "$PG_CONFIG" >/dev/null
fi
echo "setup: ok ($(cargo pgrx --version), $("$PG_CONFIG" --version))"
