"""Request ids (issue 14): every response carries `X-Request-Id`, every log line of the request names it, and a
500 body quotes it so support can find the traceback.

`RequestIdMiddleware` runs first. It keeps the caller's `X-Request-Id` when it is sane (1–200 characters of
`[A-Za-z0-9._-]`), else generates one (32 hex digits), and writes the chosen id back into
`request.META["HTTP_X_REQUEST_ID"]`, so django-structlog's `RequestMiddleware` (next in the chain) binds exactly
this id to the log context of the request, and `request.request_id` for code that answers errors.
"""
import re
import uuid

import structlog

HEADER = "X-Request-Id"
META_KEY = "HTTP_X_REQUEST_ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value) -> str | None:
    """The caller's id if it is 1–200 characters of `[A-Za-z0-9._-]`, else None."""
    if isinstance(value, str) and SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def request_id_of(request) -> str:
    """The id of `request` (a Django or DRF request): the one the middleware chose, else a fresh one (requests
    built without the middleware, such as RequestFactory's in unit tests)."""
    request_id = getattr(request, "request_id", None)
    if request_id is None:
        inner = getattr(request, "_request", None)
        request_id = getattr(inner, "request_id", None) if inner is not None else None
    return request_id or current_request_id() or new_request_id()


def current_request_id() -> str | None:
    """The id bound to the log context of the request being served, if any."""
    return structlog.contextvars.get_contextvars().get("request_id")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane_request_id(request.META.get(META_KEY)) or new_request_id()
        request.META[META_KEY] = request_id
        request.request_id = request_id
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def add_request_id_of_record(logger, method_name, event_dict):
    """structlog processor for standard-library records: Django logs a request's 4xx/5xx line (`django.request`)
    after the middleware has left, with the request attached; the id comes from there."""
    if "request_id" not in event_dict:
        request = getattr(event_dict.get("_record"), "request", None)
        request_id = getattr(request, "request_id", None)
        if request_id:
            event_dict["request_id"] = request_id
    return event_dict
