#!/usr/bin/env bash
# Run the test suite: `bash scripts/test.sh [pytest arguments]` (set DATABASE_URL to test on PostgreSQL).
# Creates .venv (Python >= 3.11) if missing and installs requirements first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."


. scripts/_venv.sh

"$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt

export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production}"

exec "$VENV_PY" -m pytest "$@"
