# Convenience targets; the scripts are the source of truth.
.PHONY: run test ci migrate check-deploy

PYTHON ?= .venv/bin/python
# Environment file checked by `make check-deploy` (the production template by default).
ENV_FILE ?= .env.example

run:  ## development server with demo data on 127.0.0.1:$${PORT:-8000}
	bash scripts/dev.sh

test:  ## test suite; pass pytest arguments with ARGS="-k clients"
	bash scripts/test.sh $(ARGS)

ci:  ## what CI runs: tests on SQLite and on PostgreSQL
	bash .ci/run

migrate:  ## apply migrations to DATABASE_URL (DEBUG defaults to true, as in scripts/dev.sh)
	DEBUG="$${DEBUG:-true}" $(PYTHON) manage.py migrate --noinput

check-deploy:  ## Django deploy checks against $(ENV_FILE), warnings are errors
	set -a; . ./$(ENV_FILE); set +a; DATABASE_URL=sqlite:////tmp/sx-check-deploy.sqlite3 $(PYTHON) manage.py check --deploy --fail-level WARNING
