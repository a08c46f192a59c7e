#!/usr/bin/env bash
# A throwaway PostgreSQL cluster under a temp dir, listening only on a Unix
# socket in that dir, run as the postgres OS user (initdb refuses root).
# PG_CONFIG picks the server (default Debian's 15; scripts/pg.sh 18 for 18).
# TG_PG_OPTS adds server options (e.g. "-c shared_preload_libraries=tenant_guard").
#   source scripts/cluster.sh; cluster_start; psql_tg -c 'select 1'; cluster_stop
PGBIN=${PGBIN:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)}
TG_PORT=${TG_PORT:-54329}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_start() {
  TG_DIR=$(mktemp -d /tmp/tenant_guard.XXXXXX)
  chmod 755 "$TG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$TG_DIR"
  export TG_DIR PGHOST="$TG_DIR" PGPORT="$TG_PORT" PGUSER=postgres PGDATABASE=postgres
  as_pg "$PGBIN/initdb" -D "$TG_DIR/data" -A trust -U postgres --no-sync >"$TG_DIR/initdb.log" 2>&1 ||
    { cat "$TG_DIR/initdb.log"; return 1; }
  as_pg "$PGBIN/pg_ctl" -D "$TG_DIR/data" -l "$TG_DIR/server.log" -w start \
    -o "-k $TG_DIR -c listen_addresses='' -p $TG_PORT -c fsync=off -c shared_buffers=512MB ${TG_PG_OPTS:-}" >/dev/null ||
    { cat "$TG_DIR/server.log"; return 1; }
  trap cluster_stop EXIT
}

cluster_stop() {
  if [ -n "${TG_DIR:-}" ] && [ -d "$TG_DIR/data" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$TG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$TG_DIR"
  fi
  TG_DIR=""
}

psql_tg() {
  "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -q "$@"
}

# Uses the server the PG* variables (or a calling script's TG_DIR) point at,
# else starts a throwaway one; sets TG_STARTED=1 when this call started it.
cluster_use_or_start() {
  local who=$1
  TG_STARTED=0
  if [ -z "${PGHOST:-}" ] && [ -n "${TG_DIR:-}" ] && [ -d "$TG_DIR/data" ]; then
    export PGHOST=$TG_DIR PGPORT=${PGPORT:-$TG_PORT}
  fi
  if [ -n "${PGHOST:-}" ] && "$PGBIN/psql" -X -q -At -d postgres -U "${PGUSER:-postgres}" -c 'select 1' >/dev/null 2>&1; then
    export PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
    echo "$who: using the running server at host=$PGHOST port=$PGPORT"
  else
    cluster_start || { cluster_stop; return 1; }
    TG_STARTED=1
    echo "$who: started a throwaway cluster in $TG_DIR (port $PGPORT)"
  fi
}

# PgBouncer in transaction mode on 127.0.0.1:$1 in front of database $2 of the
# cluster, $3 server connections per pool, trusting the users named after
# that. It refuses to run as root: it runs as postgres, its files in TG_DIR.
bouncer_start() {
  local port=$1 db=$2 pool=$3 user
  shift 3
  cat >"$TG_DIR/pgbouncer.ini" <<INI
[databases]
$db = host=$TG_DIR port=$TG_PORT dbname=$db
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $TG_DIR/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 200
server_reset_query =
logfile = $TG_DIR/pgbouncer.log
pidfile = $TG_DIR/pgbouncer.pid
INI
  : >"$TG_DIR/userlist.txt"
  for user in "$@"; do printf '"%s" ""\n' "$user" >>"$TG_DIR/userlist.txt"; done
  chown postgres:postgres "$TG_DIR/pgbouncer.ini" "$TG_DIR/userlist.txt" 2>/dev/null || true
  as_pg pgbouncer -d -q "$TG_DIR/pgbouncer.ini" || return 1
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bouncer_start: PgBouncer is not listening on 127.0.0.1:$port" >&2
  return 1
}

bouncer_stop() {
  local pidfile="${TG_DIR:-}/pgbouncer.pid" _
  [ -s "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
}
