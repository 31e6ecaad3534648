# syntax=docker/dockerfile:1
# Service Engine X API image: `docker build -t service-engine-x .`
# Runs gunicorn (settings in gunicorn.conf.py, configuration from the environment, see .env.example).
# Migrations are a separate release step: `docker run --rm --env-file .env service-engine-x python manage.py migrate --noinput`.

# ---- Build stage: install the requirements into a virtualenv ------------------------------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# All requirements ship as wheels (psycopg[binary] included), so no compiler or headers are needed.
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# ---- Final stage: the venv and the project, run as a non-root user ----------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . .

# Static files (admin, API docs) are collected into /app/staticfiles and served by WhiteNoise. The SECRET_KEY
# here is a throwaway that exists only for this command; the real one is given at run time.
RUN SECRET_KEY=build-only-collectstatic DEBUG=false python manage.py collectstatic --noinput

# The code stays owned by root (read-only for the app user).
USER app

EXPOSE 8000

# Probes /api/health (which also checks the database). Django answers 400 to a Host it does not allow, so the
# probe sends the first plain host name from ALLOWED_HOSTS (wildcard entries skipped; default 127.0.0.1).
# It calls port 8000, or $PORT when set (a custom GUNICORN_BIND needs a matching HEALTHCHECK).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; hosts = [h.strip() for h in os.environ.get('ALLOWED_HOSTS', '').split(',')]; host = next((h for h in hosts if h and h != '*' and not h.startswith('.')), '127.0.0.1'); port = os.environ.get('PORT') or '8000'; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:' + port + '/api/health', headers={'Host': host}), timeout=4)"]

CMD ["gunicorn", "serviceengine.wsgi"]
