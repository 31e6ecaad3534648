"""Request plumbing that must run outside DRF views."""
import logging

from django.http import JsonResponse

from .api import messages as msg
from .api.exceptions import internal_error_body, is_database_unavailable
from .requestid import request_id_of

logger = logging.getLogger("serviceengine.api")


class ApiPathMiddleware:
    """Serve `/api/clients/` as `/api/clients` (contract §2 leaves redirect-or-serve to us; serving is one
    round trip fewer). Only API paths are touched; the admin keeps its slashes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/") and request.path_info.endswith("/"):
            request.path_info = request.path_info.rstrip("/")
            request.path = request.path.rstrip("/")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Errors raised outside DRF's handler (for example when ATOMIC_REQUESTS cannot open its transaction because
    the database is down) become JSON: 503 when the database is unreachable, 500 otherwise, no traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        request_id = request_id_of(request)
        if is_database_unavailable(exception):
            logger.error("database unavailable [%s] %s %s: %s", request_id, request.method, request.path, type(exception).__name__)
            response = JsonResponse({"detail": msg.SERVICE_UNAVAILABLE}, status=503)
            response["Retry-After"] = "5"
        elif request.path.startswith("/api"):
            logger.error("unhandled error [%s] %s %s", request_id, request.method, request.path, exc_info=exception)
            response = JsonResponse(internal_error_body(request_id), status=500)
        else:
            return None
        response["X-Request-Id"] = request_id
        return response
