#!/usr/bin/env bash
# The main job: set up, build and install tenant_guard, start a throwaway
# cluster, load demo/schema.sql (the seed incidents), show what the helpers
# return for several requests and what the audit finds, and stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install.sh
export TG_PORT=${TG_PORT:-54330}
source scripts/cluster.sh
cluster_start
echo "demo: cluster on socket $TG_DIR port $TG_PORT"
psql_tg -f demo/schema.sql
"$PGBIN/psql" -X -q -f demo/requests.sql
"$PGBIN/psql" -X -q -f demo/audit.sql
echo "demo: done; stopping the cluster"
