"""The one place that turns exceptions into the contract's error bodies (README §7).

- field problems → `{"message": "The given data was invalid.", "errors": {"a.b.0": ["..."]}}` (400, or 422
  for references that do not resolve);
- everything else → `{"detail": "..."}` with 401/404/405/409/413/500/503.

No traceback, SQL or class name ever reaches a body: unexpected errors are logged with the request's id
(serviceengine/requestid.py), which the 500 body quotes and the `X-Request-Id` header carries, so an operator can
find the traceback.
"""
import logging
import math

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from serviceengine.core.errors import DomainError
from serviceengine.requestid import request_id_of

from . import messages as msg

logger = logging.getLogger("serviceengine.api")


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error structure into dotted keys: `address.city`, `items.0.price`, `employees.1`."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, (list, tuple)):
        if all(isinstance(item, str) for item in detail):
            if detail:
                out[prefix or "root"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "root"] = [str(detail)]
    return out


def validation_response(errors: dict[str, list[str]], status_code: int = 400) -> Response:
    return Response({"message": msg.INVALID_DATA, "errors": errors}, status=status_code)


def detail_response(detail: str, status_code: int, headers=None) -> Response:
    return Response({"detail": detail}, status=status_code, headers=headers)


def is_database_unavailable(exc: Exception) -> bool:
    """True for errors that mean the database cannot be reached (not for constraint or data errors)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def handle(exc, context):
    """DRF's EXCEPTION_HANDLER. Always returns a response; marks the request's transaction for rollback (reads of
    an `OrgViewSet` run in autocommit and have none: marking would reach an enclosing block, such as a test's)."""
    if getattr(context.get("view"), "request_transaction", True):
        set_rollback()
    if isinstance(exc, DomainError):
        if exc.errors is not None:
            return validation_response(exc.errors, exc.status)
        return detail_response(exc.detail, exc.status)
    if isinstance(exc, exceptions.ValidationError):
        return validation_response(flatten_errors(exc.detail), 400)
    if isinstance(exc, exceptions.ParseError):
        return validation_response({"root": [msg.JSON_DECODE]}, 400)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return validation_response({"root": [msg.OBJECT_TYPE]}, 400)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        detail = str(exc.detail) if str(exc.detail) in (msg.UNAUTHORIZED, msg.TOKEN_EXPIRED) else msg.UNAUTHORIZED
        return detail_response(detail, 401)
    if isinstance(exc, (Http404, exceptions.NotFound, DjangoValidationError)):
        # A Django ValidationError this far up comes from a lookup with a malformed value: not found.
        return detail_response(msg.NOT_FOUND, 404)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return detail_response(msg.METHOD_NOT_ALLOWED, 405)
    if isinstance(exc, RequestDataTooBig):
        return detail_response(msg.BODY_TOO_LARGE, 413)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail) == msg.READ_ONLY_TOKEN:
        return detail_response(msg.READ_ONLY_TOKEN, 403)
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        return detail_response("Forbidden", 403)
    if isinstance(exc, exceptions.Throttled):
        return detail_response(msg.TOO_MANY_REQUESTS, 429, headers={"Retry-After": str(max(1, math.ceil(exc.wait or 1)))})
    if isinstance(exc, exceptions.APIException):
        return detail_response(str(exc.detail), exc.status_code)
    return unexpected_error_response(exc, context.get("request"))


def unexpected_error_response(exc: Exception, request=None) -> Response:
    """500 (or 503 when the database is unreachable) with a generic body; the traceback goes to the log only."""
    request_id = request_id_of(request)
    method = getattr(request, "method", "?")
    path = getattr(request, "path", "?")
    if is_database_unavailable(exc):
        logger.error("database unavailable [%s] %s %s: %s", request_id, method, path, type(exc).__name__)
        return detail_response(msg.SERVICE_UNAVAILABLE, 503, headers={"X-Request-Id": request_id, "Retry-After": "5"})
    if isinstance(exc, DatabaseError):
        logger.error("database error [%s] %s %s", request_id, method, path, exc_info=exc)
    else:
        logger.error("unhandled error [%s] %s %s", request_id, method, path, exc_info=exc)
    return Response(
        internal_error_body(request_id), status=status.HTTP_500_INTERNAL_SERVER_ERROR, headers={"X-Request-Id": request_id}
    )


def internal_error_body(request_id: str) -> dict:
    """The 500 body (issue 14): generic, with the request id that finds the traceback in the log."""
    return {"detail": msg.INTERNAL_ERROR, "request_id": request_id}
