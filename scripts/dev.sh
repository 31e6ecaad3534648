#!/usr/bin/env bash
# Local development server with demo data: `bash scripts/dev.sh` (optional: PORT=8001, DATABASE_URL=...).
# Creates .venv (Python >= 3.11) if missing, installs requirements, migrates, seeds the demo organization,
# prints the demo token and a ready-to-paste curl command, then runs Django's dev server on 127.0.0.1 with a
# background worker (`manage.py db_worker`) beside it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-8000}"

. scripts/_venv.sh

echo "Installing requirements..."
"$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt

export DEBUG="${DEBUG:-true}"

echo "Applying migrations..."
"$VENV_PY" manage.py migrate --noinput

echo "Seeding demo data..."
seed_output="$("$VENV_PY" manage.py seed_demo)"
TOKEN="$(printf '%s\n' "$seed_output" | tail -n 1)"
if [ -z "$TOKEN" ]; then
    echo "error: seed_demo printed no token." >&2
    exit 1
fi

BASE="http://127.0.0.1:${PORT}"
cat <<INFO

============================================================
 Service Engine X development server
   API:   ${BASE}/api
   Docs:  ${BASE}/api/docs
   Demo token (organization "demo"):
     ${TOKEN}
   Try it:
     curl -H "Authorization: Bearer ${TOKEN}" ${BASE}/api/clients
============================================================

INFO

# A background worker beside the server (webhook deliveries, periodic jobs), stopped with it.
"$VENV_PY" manage.py db_worker --no-reload &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null || true' EXIT INT TERM

"$VENV_PY" manage.py runserver "127.0.0.1:${PORT}"
