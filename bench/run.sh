#!/usr/bin/env bash
# The API benchmark in one command: `bash bench/run.sh [--reseed]`. See bench/README.md.
# Seeds (once) a PostgreSQL database, serves the API with gunicorn and production settings, drives each endpoint
# with wrk at a fixed concurrency, and prints a table. Not part of CI.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sx_bench}"
BENCH_PORT="${BENCH_PORT:-8970}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-16}"
BENCH_WRK_THREADS="${BENCH_WRK_THREADS:-2}"
BENCH_DURATION="${BENCH_DURATION:-8}"
BENCH_WARMUP="${BENCH_WARMUP:-2}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-10}"
BENCH_WORKDIR="${BENCH_WORKDIR:-$(mktemp -d -t sx-bench.XXXXXX)}"
GUNICORN_WORKERS="${GUNICORN_WORKERS:-4}"
GUNICORN_THREADS="${GUNICORN_THREADS:-1}"
PYTHON="${PYTHON:-.venv/bin/python}"
RESEED=()
if [ "${1:-}" = "--reseed" ]; then
    RESEED=(--reseed)
fi

if [ ! -x "$PYTHON" ]; then
    echo "error: $PYTHON not found: run 'bash scripts/dev.sh' (or set PYTHON to an interpreter with requirements.txt)" >&2
    exit 1
fi

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing wrk (Debian package)..."
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        echo "error: wrk is not installed: 'sudo apt-get install wrk' (Debian/Ubuntu) or 'brew install wrk' (macOS)" >&2
        exit 1
    fi
fi

# Production settings; the only benchmark-specific one routes /bench/bare.
export DATABASE_URL="$BENCH_DATABASE_URL"
export DEBUG=false
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key-not-for-production}"
export ALLOWED_HOSTS=127.0.0.1
export BENCHMARK_ENDPOINTS=true
# The load comes from one token: raise its rate limit out of the way (a limited run would measure 429s). The
# counters stay in the cache production uses: Redis (README: production sets CACHE_URL), by default the local server's
# database 4 when it answers. Without Redis the file cache serves, which lists its directory on every write: about
# 1 ms per request that production does not pay, so the report says which cache the run used.
export API_RATE_LIMIT="${BENCH_API_RATE_LIMIT:-999999999/second}"
if [ -z "${BENCH_CACHE_URL:-}" ] && "${PYTHON}" -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1).close()" 2>/dev/null; then
    BENCH_CACHE_URL="redis://127.0.0.1:6379/4"
fi
if [ -n "${BENCH_CACHE_URL:-}" ]; then export CACHE_URL="$BENCH_CACHE_URL"; fi
export BENCH_CACHE="${BENCH_CACHE_URL:-file cache (no Redis)}"  # for the report
export GUNICORN_BIND="127.0.0.1:$BENCH_PORT"
export GUNICORN_WORKERS GUNICORN_THREADS
export BENCH_CONNECTIONS BENCH_WRK_THREADS BENCH_DURATION BENCH_WARMUP BENCH_TIMEOUT  # for the report
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

echo "Work directory: $BENCH_WORKDIR"
echo "== 1. Database ($BENCH_DATABASE_URL)"
"$PYTHON" bench/seed.py "$BENCH_WORKDIR" "${RESEED[@]}"
"$PYTHON" - "$BENCH_WORKDIR" <<'EOF'
import json, os, sys
from pathlib import Path
sys.path.insert(0, "bench")
from seed import VOLUMES
config = {
    "workers": os.environ["GUNICORN_WORKERS"], "threads": os.environ["GUNICORN_THREADS"],
    "connections": os.environ.get("BENCH_CONNECTIONS", "16"), "wrk_threads": os.environ.get("BENCH_WRK_THREADS", "2"),
    "duration": os.environ.get("BENCH_DURATION", "8"), "warmup": os.environ.get("BENCH_WARMUP", "2"),
    "timeout": os.environ.get("BENCH_TIMEOUT", "10"), "cache": os.environ.get("BENCH_CACHE", "?"),
    "volumes": ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in VOLUMES.items()),
    "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
}
Path(sys.argv[1], "config.json").write_text(json.dumps(config))
EOF

echo "== 2. Server: gunicorn, $GUNICORN_WORKERS workers x $GUNICORN_THREADS threads on $GUNICORN_BIND"
if ! "$PYTHON" -c "import socket, sys; socket.create_server(('127.0.0.1', int(sys.argv[1]))).close()" "$BENCH_PORT" 2>/dev/null; then
    echo "error: port $BENCH_PORT is already in use: set BENCH_PORT to a free port" >&2
    exit 1
fi
"$PYTHON" -m gunicorn serviceengine.wsgi >"$BENCH_WORKDIR/gunicorn.log" 2>&1 &
server_pid=$!
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 60); do
    if "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "http://$GUNICORN_BIND/api/health" 2>/dev/null; then
        ready=1
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: gunicorn exited; see $BENCH_WORKDIR/gunicorn.log" >&2
        tail -n 20 "$BENCH_WORKDIR/gunicorn.log" >&2
        exit 1
    fi
    sleep 0.5
done
if [ -z "${ready:-}" ]; then
    echo "error: the server did not answer /api/health within 30 s; see $BENCH_WORKDIR/gunicorn.log" >&2
    exit 1
fi

echo "== 3. SQL statements per request"
"$PYTHON" bench/queries.py "$BENCH_WORKDIR"
cat "$BENCH_WORKDIR/queries.json"; echo

echo "== 4. Load: wrk, $BENCH_CONNECTIONS connections, ${BENCH_WARMUP}s warm-up + ${BENCH_DURATION}s per endpoint"
token="$(cat "$BENCH_WORKDIR/token")"
measure() {  # measure RESULT_NAME REQUEST_FILE_NAME
    local requests="$BENCH_WORKDIR/$2.requests"
    wrk -t"$BENCH_WRK_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_WARMUP}s" --timeout "${BENCH_TIMEOUT}s" -s bench/wrk/replay.lua \
        "http://$GUNICORN_BIND" -- "$requests" "$token" >/dev/null
    wrk -t"$BENCH_WRK_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_DURATION}s" --timeout "${BENCH_TIMEOUT}s" -s bench/wrk/replay.lua \
        "http://$GUNICORN_BIND" -- "$requests" "$token" >"$BENCH_WORKDIR/$1.wrk.txt"
    grep '^BENCH_JSON ' "$BENCH_WORKDIR/$1.wrk.txt" | sed 's/^BENCH_JSON //' >"$BENCH_WORKDIR/$1.json"
    # Requests wrk gave up on at the end are still queued in the server: wait until it answers at once again, so
    # that a slow endpoint's backlog does not land on the next measurement.
    "$PYTHON" - "http://$GUNICORN_BIND/bench/bare" <<'PYEOF'
import sys, time, urllib.request
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    started = time.monotonic()
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5).read()
        if time.monotonic() - started < 0.05:
            break
    except OSError:
        pass
    time.sleep(0.2)
PYEOF
    printf '  %-16s %s\n' "$1" "$(grep -m1 'Requests/sec' "$BENCH_WORKDIR/$1.wrk.txt")"
}
# The bare view is measured before and after every endpoint: each endpoint's share is taken against the two bare
# runs around it, so that the machine's drift during the run does not land on one side of a ratio only.
# Writes last: the reads see the seeded data only.
sample=0
measure "bare_$sample" bare
# Every endpoint bench/seed.py wrote a request file for, in its order (reads first, writes last).
# BENCH_ONLY="tag_retrieve order_create" measures only those (a quick check of one change; not for RESULTS.md).
endpoints="$(cat "$BENCH_WORKDIR/endpoints")"
if [ -n "${BENCH_ONLY:-}" ]; then
    endpoints="$(printf '%s\n' $endpoints | grep -Fx -f <(printf '%s\n' $BENCH_ONLY) || true)"
    printf '%s\n' $endpoints >"$BENCH_WORKDIR/endpoints"  # what the report lists
fi
for endpoint in $endpoints; do
    measure "$endpoint" "$endpoint"
    sample=$((sample + 1))
    measure "bare_$sample" bare
done

echo "== 5. Report (also in $BENCH_WORKDIR/report.md)"
echo
"$PYTHON" bench/report.py "$BENCH_WORKDIR"
