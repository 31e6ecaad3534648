"""`IdempotencyMiddleware`: `Idempotency-Key` on every write under /api (issue 14; the rules: services.py).

It runs outside the view, so outside the request's transaction: the claim is committed before the view starts
(another worker sees it at once), and the answer is stored after the view's transaction has committed.
Requests it does not handle pass through untouched: other methods, other paths, no header, and requests the
API refuses before any work (no or unknown token, revoked, expired, read-only token: the view answers
401/403 as usual). The request is counted against its token's rate limit here (once: authentication sees it),
so an answer given here — replay, 409, 422 — is limited like any other. A 401, 429 or 5xx is never stored."""
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from serviceengine.api import messages as msg
from serviceengine.api.authentication import bearer_token, find_token, remember_token, uses_bearer_token
from serviceengine.api.exceptions import is_database_unavailable
from serviceengine.api.throttling import TokenRateThrottle
from serviceengine.models import hash_token

from . import services

logger = logging.getLogger("serviceengine.api")
NOT_STORED = frozenset({401, 429})
# Not API-token writes: Stripe signs its events, and each event id is processed once (billing.stripe_events).
EXEMPT_PATHS = frozenset({"/api/stripe/webhook"})


def _token_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return uses_bearer_token(getattr(match.func, "cls", None))


def _key_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"message": msg.INVALID_DATA, "errors": {services.HEADER: [detail]}}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(services.META_KEY)
        if key is None or request.method not in services.METHODS or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        if request.path_info in EXEMPT_PATHS:
            return self.get_response(request)
        if not _token_view(request.path_info):
            return self.get_response(request)  # e.g. the Stripe webhook: authenticated otherwise, keys do not apply
        raw = bearer_token(request)
        try:
            token = find_token(hash_token(raw)) if raw is not None else None
        except Exception as exc:  # noqa: BLE001 - the view answers 503/500 for the same failure
            if is_database_unavailable(exc):
                return self.get_response(request)
            raise
        if token is None or token.is_revoked or token.is_expired() or token.is_read_only:
            return self.get_response(request)  # refused by the view before anything runs
        remember_token(request, token)  # authentication reuses it: no second lookup
        window = TokenRateThrottle().check(request, token)  # counted here once; authentication sees it
        if window.exceeded:
            response = JsonResponse({"detail": msg.TOO_MANY_REQUESTS}, status=429)
            response["Retry-After"] = str(window.reset)
            return response
        if not services.valid_key(key):
            return _key_error(services.INVALID_KEY, 400)
        try:
            body = request.body
        except RequestDataTooBig:
            return self.get_response(request)  # 413 from the view; nothing ran
        identity = services.Request(request.method, request.get_full_path_info(), services.fingerprint(body))
        try:
            outcome = services.claim(organization=token.organization, key=key, request=identity)
        except Exception as exc:
            if is_database_unavailable(exc):
                response = JsonResponse({"detail": msg.SERVICE_UNAVAILABLE}, status=503)
                response["Retry-After"] = "5"
                return response
            raise
        if outcome.kind == "mismatch":
            return _key_error(services.KEY_REUSED, 422)
        if outcome.kind == "in_progress":
            response = JsonResponse({"detail": services.IN_PROGRESS}, status=409)
            response["Retry-After"] = "1"
            return response
        if outcome.kind == "replay":
            row = outcome.row
            response = HttpResponse(bytes(row.body), status=row.status_code, content_type=row.content_type or None)
            response["Idempotent-Replayed"] = "true"
            return response
        return self._run(request, outcome.row)

    def _run(self, request, row):
        try:
            response = self.get_response(request)
        except BaseException:
            services.release(row)
            raise
        try:
            if response.status_code >= 500 or response.status_code in NOT_STORED or response.streaming:
                services.release(row)
            else:
                services.complete(
                    row, status_code=response.status_code, content_type=response.get("Content-Type", ""),
                    body=response.content,
                )
        except Exception:  # the answer stands; the claim expires (LOCK_TIMEOUT) and the key can be retried then
            logger.exception("idempotency key %s could not be stored", row.pk)
        return response
