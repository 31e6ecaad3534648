"""Gunicorn settings for Service Engine X, read from the environment.

Gunicorn loads this file automatically when started from the project directory: `gunicorn serviceengine.wsgi`.
Every variable is listed, with a comment, in `.env.example`. An empty variable counts as unset.
"""
import os


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _cpu_count() -> int:
    # Respect the CPU affinity mask (containers, taskset) where the platform has one.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


# Where to listen: GUNICORN_BIND (comma-separated for several addresses), else 0.0.0.0:$PORT, else 0.0.0.0:8000.
_bind = _env("GUNICORN_BIND")
if _bind is None:
    _port = _env_int("PORT", 8000, minimum=1)
    _bind = f"0.0.0.0:{_port}"
bind = [address.strip() for address in _bind.split(",") if address.strip()]

# Worker processes: 2 × CPUs + 1 by default, capped so a large host does not exhaust database connections
# (every worker keeps its own persistent connection, see CONN_MAX_AGE).
workers = _env_int("GUNICORN_WORKERS", min(2 * _cpu_count() + 1, 12), minimum=1)
# Threads per worker; above 1 gunicorn switches to the gthread worker class.
threads = _env_int("GUNICORN_THREADS", 1, minimum=1)

# A worker silent for longer than `timeout` seconds is killed and replaced; on shutdown or reload, workers get
# `graceful_timeout` seconds to finish their requests.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds to hold an idle keep-alive connection (behind a load balancer, keep this below the balancer's own).
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Recycle each worker after this many requests (0 = never), with jitter so workers do not restart together.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max(max_requests // 10, 1) if max_requests else 0

# Request limits: request line (method + URL) and header count/size. Bodies are limited by Django
# (MAX_REQUEST_BODY_BYTES).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Trust X-Forwarded-* headers only from these proxy addresses (comma-separated; "*" trusts every peer).
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS") or "127.0.0.1"

# Worker heartbeat files in memory, not on a possibly slow container filesystem.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Logging: access log to stdout, errors to stderr. The access log format names no request header beyond
# Referer and User-Agent (never Authorization or Cookie); %(M)s is the response time in milliseconds, pid= the
# worker that answered, rid= the response's X-Request-Id (the id in the application's log lines of the request).
loglevel = (_env("GUNICORN_LOG_LEVEL") or "info").lower()
if loglevel not in {"debug", "info", "warning", "error", "critical"}:
    raise ValueError(f"GUNICORN_LOG_LEVEL must be debug, info, warning, error or critical, got {loglevel!r}")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms pid=%(p)s rid=%({x-request-id}o)s'

proc_name = "serviceengine"

# Gunicorn's control socket (for `gunicornc`) defaults to one path per user, which two servers of the same user
# on one host would share; it is off unless GUNICORN_CONTROL_SOCKET names a path for this server.
_control_socket = _env("GUNICORN_CONTROL_SOCKET")
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True
