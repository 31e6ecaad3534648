"""The Laravel-style list envelope: `data`, `links`, `meta` (contract §8.1–8.2)."""
import math
import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from . import messages as msg

PAGE_MAX = 2147483647
LIMIT_MAX = 100
DEFAULT_LIMIT = 20
_INT = re.compile(r"\s*[+-]?\d+\s*")


def _parse_bounded(raw: str | None, default: int, low: int, high: int) -> tuple[int | None, str | None]:
    if raw is None:
        return default, None
    if not _INT.fullmatch(raw) or len(raw) > 40:
        return None, msg.INT_PARSING
    value = int(raw)
    if value < low:
        return None, msg.GREATER_EQUAL.format(limit=low)
    if value > high:
        return None, msg.LESS_EQUAL.format(limit=high)
    return value, None


class EnvelopePagination(BasePagination):
    """Validates `page` and `limit` (400 envelope, never clamped), runs one COUNT and one page query, and renders
    the envelope. A page past the end is `data: []`, not an error. Subclasses may add `meta` keys."""

    def parse_params(self, request) -> tuple[int, int]:
        page, page_error = _parse_bounded(request.query_params.get("page"), 1, 1, PAGE_MAX)
        limit, limit_error = _parse_bounded(request.query_params.get("limit"), DEFAULT_LIMIT, 1, LIMIT_MAX)
        errors = {}
        if limit_error:
            errors["query.limit"] = [limit_error]
        if page_error:
            errors["query.page"] = [page_error]
        if errors:
            raise ValidationError(errors)
        return page, limit

    def paginate_queryset(self, queryset, request, view=None):
        """A page of `queryset`; the total is the view's `list_total(queryset)` when it has one, else a COUNT."""
        if not queryset.ordered:
            raise AssertionError("EnvelopePagination needs an ordered queryset: an unordered page is not stable")
        list_total = getattr(view, "list_total", None)
        return self.paginate_rows(
            request,
            (lambda: list_total(queryset)) if list_total else queryset.count,
            lambda limit, offset: (list(queryset[offset : offset + limit]), None),
        )

    def paginate_rows(self, request, count, fetch) -> list:
        """A page from callables: `fetch(limit, offset)` → (rows, total or None), `count()` → the total when the
        fetch did not bring it."""
        self.request = request
        self.page, self.limit = self.parse_params(request)
        rows, total = fetch(self.limit, (self.page - 1) * self.limit)
        self.total = count() if total is None else total
        return rows

    def path(self) -> str:
        return self.request.build_absolute_uri(self.request.path)

    def page_url(self, page: int) -> str:
        return f"{self.path()}?page={page}&limit={self.limit}"

    def get_envelope(self, data) -> dict:
        page, limit, total = self.page, self.limit, self.total
        last_page = max(1, math.ceil(total / limit))
        offset = (page - 1) * limit
        path = self.path()
        return {
            "data": data,
            "links": {
                "first": f"{path}?page=1&limit={limit}",
                "last": f"{path}?page={last_page}&limit={limit}",
                "prev": f"{path}?page={page - 1}&limit={limit}" if page > 1 else None,
                "next": f"{path}?page={page + 1}&limit={limit}" if page < last_page else None,
            },
            "meta": {
                "current_page": page,
                "from": offset + 1 if total > 0 else 0,
                "to": min(offset + limit, total),
                "last_page": last_page,
                "per_page": limit,
                "total": total,
                "path": path,
            },
        }

    def get_paginated_response(self, data):
        return Response(self.get_envelope(data))

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1. A page past the end returns `data: []`.",
                "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Rows per page (1–100); out-of-range values are a 400, never clamped.",
                "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": DEFAULT_LIMIT},
            },
        ]

    def get_paginated_response_schema(self, schema):
        nullable_url = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["data", "links", "meta"],
            "properties": {
                "data": schema,
                "links": {
                    "type": "object",
                    "required": ["first", "last", "prev", "next"],
                    "properties": {
                        "first": {"type": "string", "format": "uri"},
                        "last": {"type": "string", "format": "uri"},
                        "prev": nullable_url,
                        "next": nullable_url,
                    },
                },
                "meta": {
                    "type": "object",
                    "required": ["current_page", "from", "to", "last_page", "per_page", "total", "path"],
                    "properties": {
                        "current_page": {"type": "integer"},
                        "from": {"type": "integer"},
                        "to": {"type": "integer"},
                        "last_page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                        "path": {"type": "string", "format": "uri"},
                    },
                },
            },
        }


class PageLinksPagination(EnvelopePagination):
    """The envelope plus `meta.links`, the page-link array that only proposals carry (contract defect 22)."""

    MAX_PAGE_LINKS = 10

    def get_envelope(self, data) -> dict:
        envelope = super().get_envelope(data)
        meta, links = envelope["meta"], envelope["links"]
        page_links = [{"url": links["prev"], "label": "Previous", "active": False}]
        for number in range(1, min(meta["last_page"], self.MAX_PAGE_LINKS) + 1):
            page_links.append({"url": self.page_url(number), "label": str(number), "active": number == self.page})
        page_links.append({"url": links["next"], "label": "Next", "active": False})
        meta["links"] = page_links
        return envelope

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        meta = result["properties"]["meta"]
        meta["required"] = [*meta["required"], "links"]
        meta["properties"]["links"] = {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url", "label", "active"],
                "properties": {
                    "url": {"type": "string", "format": "uri", "nullable": True},
                    "label": {"type": "string"},
                    "active": {"type": "boolean"},
                },
            },
        }
        return result
