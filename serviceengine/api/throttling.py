"""Rate limits (issue 14): per API token, and on failed authentication per client IP, counted in the configured
cache (`CACHE_URL`: Redis in production, so every worker and host shares one count).

- `TokenRateThrottle` (a DRF throttle) allows `API_RATE_LIMIT` requests per token and window, or the token's own
  `rate_limit`. Windows are fixed (aligned on the clock: a minute window resets at every full minute), counted
  atomically: on Redis by one small script per request (INCRBY, and EXPIRE for a new window), with other caches by
  `add`/`incr`. It runs inside authentication, right after the token is known, so every authenticated request is
  counted once, before any permission check or work; over the limit it raises
  `Throttled` (429 `{"detail": "Too many requests."}` + `Retry-After`) and nothing runs.
- `AuthFailureThrottle` counts invalid, revoked and expired tokens per client IP (`AUTH_FAILURE_RATE_LIMIT`);
  once over, every request from that IP that presents a token answers 429 until the window ends, whether the
  token is right or not (a brute force learns nothing).
- `RateLimitHeadersMiddleware` writes `RateLimit-Limit`, `RateLimit-Remaining` (after this request) and
  `RateLimit-Reset` (seconds until the window ends) on every response whose request was counted, 429s included.

The client IP is `REMOTE_ADDR`, or with `NUM_PROXIES` set, the address that many proxies back in
`X-Forwarded-For` (DRF's rule; with the default 0, `X-Forwarded-For` is ignored so it cannot be forged).
"""
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from serviceengine.core.rates import parse_rate

STATE_ATTR = "rate_limit_state"
logger = logging.getLogger("serviceengine.api")


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends (at least 1)

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset),
        }


def count(key: str, rate: str, *, add: int = 1, now: float | None = None) -> Window:
    """Add `add` to the counter of `key` in the current window of `rate` and return the window's state
    (`add=0` only reads it). Atomic on Redis and in-process caches (`add` then `incr`)."""
    limit, duration = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // duration)
    reset = max(1, math.ceil((window + 1) * duration - now))
    cache_key = f"rl:{key}:{duration}:{window}"
    try:
        used = _add(cache_key, add, duration)
    except Exception:  # noqa: BLE001 - the cache is down: serve unlimited rather than fail every request
        logger.warning("rate limit cache unavailable; request not counted", exc_info=True)
        used = None
    if not isinstance(used, int):
        used = 0
    return Window(limit=limit, remaining=limit - used, reset=reset)


# On Redis a window is counted in one round trip: INCRBY, and EXPIRE when the key has no expiry yet (a new window,
# or a key some crash left without one). django-redis's add()+incr() took two to four round trips per request, which
# every API request paid (~0.2 ms of a ~2 ms retrieve). Keys and stored values are the cache's own (`make_key`,
# plain integers), so `cache.get()` reads the count as before.
_COUNT_SCRIPT = """
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return used
"""
_script = None


def _redis_client():
    """The raw redis-py client of the default cache when it is django-redis's default client, else None."""
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    if get_client is None or not type(cache).__module__.startswith("django_redis"):
        return None
    return get_client(write=True)


def _add(cache_key: str, add: int, duration: int):
    if add == 0:
        return cache.get(cache_key, 0)
    client = _redis_client()
    if client is not None:
        global _script
        if _script is None:
            _script = client.register_script(_COUNT_SCRIPT)
        return int(_script(keys=[cache.make_key(cache_key)], args=[add, duration + 1], client=client))
    if cache.add(cache_key, add, timeout=duration + 1):
        return add
    try:
        return cache.incr(cache_key, add)
    except ValueError:  # expired between add and incr: this request opens the window again
        cache.set(cache_key, add, timeout=duration + 1)
        return add


def remember(request, window: Window) -> None:
    """Keep the window on the Django request for the headers middleware (DRF requests pass their inner one)."""
    setattr(getattr(request, "_request", request), STATE_ATTR, window)


class TokenRateThrottle(BaseThrottle):
    """Requests per API token: the token's `rate_limit`, else `API_RATE_LIMIT`."""

    def __init__(self):
        self._wait = None

    @staticmethod
    def rate_of(token) -> str:
        return token.rate_limit or settings.API_RATE_LIMIT

    def check(self, request, token) -> Window:
        window = count(f"token:{token.pk}", self.rate_of(token))
        remember(request, window)
        self._wait = window.reset if window.exceeded else None
        return window

    def allow_request(self, request, view):
        token = getattr(request, "auth", None)
        if token is None:
            return True
        return not self.check(request, token).exceeded

    def wait(self):
        return self._wait


class AuthFailureThrottle(BaseThrottle):
    """Failed authentications per client IP (`AUTH_FAILURE_RATE_LIMIT`)."""

    def key(self, request) -> str:
        return f"authfail:{self.get_ident(request)}"

    def blocked(self, request) -> Window | None:
        """The IP's window when it is already over its limit (checked before the token is looked up), else None."""
        window = count(self.key(request), settings.AUTH_FAILURE_RATE_LIMIT, add=0)
        if window.remaining > 0:
            return None
        return window

    def failed(self, request) -> Window:
        """Count one failed authentication of the request's IP."""
        return count(self.key(request), settings.AUTH_FAILURE_RATE_LIMIT)


def throttled(window: Window) -> Throttled:
    return Throttled(wait=window.reset)


class RateLimitHeadersMiddleware:
    """Adds the RateLimit-* headers of the request's counted window to its response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        window = getattr(request, STATE_ATTR, None)
        if window is not None:
            for name, value in window.headers().items():
                response[name] = value
        return response
