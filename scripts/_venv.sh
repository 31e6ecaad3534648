# Sourced by scripts/dev.sh and scripts/test.sh: sets VENV_PY, creating .venv with Python >= 3.11 if missing.
VENV_PY=.venv/bin/python
if [ ! -x "$VENV_PY" ]; then
    python_bin=""
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python_bin="$candidate"
            break
        fi
    done
    if [ -z "$python_bin" ]; then
        echo "error: Python 3.11 or newer is required (python3 not found or too old)." >&2
        exit 1
    fi
    echo "Creating .venv with $python_bin ($("$python_bin" --version 2>&1))..."
    "$python_bin" -m venv .venv
fi
