#!/usr/bin/env bash
# Run the API test directories through a real pgbouncer in transaction mode (docs/scaling.md, "pgbouncer"):
# `bash scripts/test_pgbouncer.sh [pytest arguments]`. Installs Debian's `pgbouncer` package when it is missing,
# starts it on a free port with a generated configuration (pool_mode = transaction, in front of the PostgreSQL at
# PG_HOST:PG_PORT), runs pytest with DB_PREPARED_STATEMENTS=false and DB_SERVER_SIDE_CURSORS=false, then stops it
# and drops the test database. Called by .ci/run as its third stage.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"

pgbouncer_bin() { command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true; }

if [ -z "$(pgbouncer_bin)" ]; then
    echo "pgbouncer is not installed; installing Debian's package..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer
fi
PGBOUNCER="$(pgbouncer_bin)"
if [ -z "$PGBOUNCER" ]; then
    echo "error: pgbouncer is not available" >&2
    exit 1
fi

. scripts/_venv.sh
port="$("$VENV_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
workdir="$(mktemp -d)"
db_name="sx_bouncer_$$_$(date +%s)"

cleanup() {
    if [ -f "$workdir/pgbouncer.pid" ]; then
        kill "$(cat "$workdir/pgbouncer.pid")" 2>/dev/null || true
        sleep 1
    fi
    # pytest runs with --reuse-db (pgbouncer keeps pooled server connections open, so a DROP through it would
    # fail); the test database is dropped here, directly on PostgreSQL.
    PGOPTIONS="-c client_min_messages=warning" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -w -X -q \
        -c "DROP DATABASE IF EXISTS \"test_${db_name}\" WITH (FORCE)" || echo "warning: could not drop test_${db_name}" >&2
    rm -rf "$workdir"
}
trap cleanup EXIT

cat >"$workdir/pgbouncer.ini" <<EOF
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $workdir/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 40
ignore_startup_parameters = extra_float_digits,options
logfile = $workdir/pgbouncer.log
pidfile = $workdir/pgbouncer.pid
EOF
printf '"%s" ""\n' "$PG_USER" >"$workdir/userlist.txt"

# pgbouncer refuses to run as root: drop to the postgres account when CI runs as root.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$workdir"
    as_user=(-u postgres)
fi
"$PGBOUNCER" -d "${as_user[@]}" "$workdir/pgbouncer.ini"
for _ in $(seq 1 20); do
    pg_isready -h 127.0.0.1 -p "$port" -q && break
    sleep 0.5
done
echo "pgbouncer (transaction mode) on 127.0.0.1:$port in front of $PG_HOST:$PG_PORT"

# The API tests: every app's test directory. Not the fuzzing, reliability (a real outage), performance (EXPLAIN
# plans, prepared statements) or safety suites, which the two full runs already cover.
api_dirs=()
for dir in tests/*/; do
    case "$dir" in
        tests/fuzz/ | tests/reliability/ | tests/perf/ | tests/safety/ | tests/core/ | tests/security/ | tests/__pycache__/) ;;
        *) api_dirs+=("${dir%/}") ;;
    esac
done

export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production}"
DATABASE_URL="postgres://${PG_USER}@127.0.0.1:${port}/${db_name}" \
    DB_PREPARED_STATEMENTS=false DB_SERVER_SIDE_CURSORS=false \
    "$VENV_PY" -m pytest --reuse-db -p no:cacheprovider "${api_dirs[@]}" "$@"
