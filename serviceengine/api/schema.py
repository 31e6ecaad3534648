"""OpenAPI generation: the bearer scheme, the error envelopes each operation really answers with, and request
schemas that state what the contract fields accept (null, blank and whitespace strings, patterns, bounds), so
that a request valid against the document passes the API's own validation (tests/fuzz proves it)."""
from decimal import Decimal

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.serializers import Serializer

from .fields import ContractFieldMixin, EmailField, ListOf, StrField
from .serializers import ErrorDetailSerializer, ValidationErrorSerializer

EMAIL_MAX_LENGTH = 254  # email-validator refuses longer addresses, whatever the column allows
EMAIL_DESCRIPTION = (
    "An email address as `email-validator` accepts it without a deliverability check (contract §5): special-use "
    "domains such as `.test`, `.local` or `.invalid` are refused. Stored trimmed and lower-cased."
)
# Defaults for the error responses of authenticated operations (contract §3, §7); an operation whose code means
# something more specific (409, 500, the 400 of state errors, the 503 of charge) says so in its view.
ERROR_DESCRIPTIONS = {
    "400": "The body or the query string is invalid, or a business rule refused the request (contract §7.1, §7.2).",
    "401": "Missing, malformed, unknown or revoked token (`Unauthorized`), or an expired one (`Token expired`).",
    "404": "No such id in the organization: unknown, not a UUID, another organization's, or deleted (`Not Found`).",
    "413": "The body is larger than the configured limit (`Request body too large.`).",
    "422": "A referenced id does not exist in the organization (contract §7.2).",
    "503": "The database is unreachable (`Service temporarily unavailable.`, with `Retry-After`); retry later.",
}
# Client safety (issue 14): headers and answers shared by every operation of their kind.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes a retry safe: the first request with a key runs, and for `IDEMPOTENCY_KEY_TTL_HOURS` (24) a repeat "
        "with the same key, method, path and body (compared as parsed JSON) answers the stored status and body "
        "again with `Idempotent-Replayed: true`, doing nothing. Keys are per organization; 1–255 printable ASCII "
        "characters (else 400). Another request with a used key: 422; while the first is still running: 409 with "
        "`Retry-After`. A 5xx is not stored: the key can be retried."
    ),
)
REQUEST_ID = OpenApiParameter(
    "X-Request-Id",
    {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[A-Za-z0-9._-]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description="Your id for this request (≤ 200 of `A-Z a-z 0-9 . _ -`), echoed in the response's `X-Request-Id`; "
    "anything else is replaced by a generated id.",
)
RESPONSE_HEADERS = [
    OpenApiParameter(
        "X-Request-Id", str, OpenApiParameter.HEADER, response=True, required=True,
        description="The request's id: yours when sane, else generated. Every log line of the request carries it; "
        "quote it to support (a 500 body repeats it).",
    ),
    OpenApiParameter(
        "RateLimit-Limit", int, OpenApiParameter.HEADER, response=True,
        description="Requests the token may make per window (`API_RATE_LIMIT`, 1200/minute, or the token's own).",
    ),
    OpenApiParameter(
        "RateLimit-Remaining", int, OpenApiParameter.HEADER, response=True,
        description="Requests left in the current window after this one.",
    ),
    OpenApiParameter(
        "RateLimit-Reset", int, OpenApiParameter.HEADER, response=True,
        description="Seconds until the current window ends and the count starts again.",
    ),
    OpenApiParameter(
        "Retry-After", int, OpenApiParameter.HEADER, response=["409", "429", "503"],
        description="Seconds to wait before retrying (409: 1; 429: until the window ends; 503: 5).",
    ),
]
TOO_MANY_429 = (
    "Rate limit reached (`Too many requests.`): the token's requests in this window, or, for refused tokens, the "
    "failed authentications of this client IP. Nothing was done; retry after `Retry-After` seconds."
)
WRITE_RESPONSE_HEADERS = [
    OpenApiParameter(
        "Idempotent-Replayed", {"type": "string", "enum": ["true"]}, OpenApiParameter.HEADER, response=True,
        description="`true` when this answer is the stored one of an earlier request with the same Idempotency-Key.",
    ),
]
IN_PROGRESS_409 = (
    "A request with this Idempotency-Key is in progress (`A request with this Idempotency-Key is in progress.`, "
    "with `Retry-After: 1`); nothing was done."
)
KEY_REUSED_422 = "The Idempotency-Key was already used for another method, path or body (key `Idempotency-Key`)."
READ_ONLY_403 = "The token is read-only (`This token is read-only.`): it may only GET and HEAD; nothing was done."
REFERENCE_FIELDS = {"user_id", "service_id", "order_id", "coupon_id", "folder_id", "employees", "employee_ids",
                    "client_id", "proposal_id", "engagement_id", "project_id"}
MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1500.00"}


def error_response(description: str) -> OpenApiResponse:
    """A `{"detail": "..."}` response, described with what it means for one operation (for `@extend_schema`)."""
    return OpenApiResponse(ErrorDetailSerializer, description=description)


# Clients endpoints, proposal sign and invoice creation by email need the client role (contract §10.3).
CLIENT_ROLE_MISSING = error_response(
    "Configuration error: no client role exists (`Client role not configured`); the migrations create one."
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "serviceengine.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization's API token: `Authorization: Bearer <token>` (create one with "
            "`python manage.py create_api_token ORG_SLUG`).",
        }


def money_string_pattern(low: Decimal, high: Decimal) -> str:
    """A numeric string inside [low, high] for bounds of the form ±99…9.99 or 0: its sign and digit counts."""
    digits = len(str(int(max(abs(low), abs(high)))))
    sign = "-?" if low < 0 else ""
    return rf"^\s*{sign}\d{{1,{digits}}}(\.\d{{1,2}})?\s*$"


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """Money is sent as a JSON number or numeric string within the field's bounds (contract §5; ±999,999,999.99
    unless narrower) and returned as a two-decimal string."""

    target_class = "serviceengine.api.fields.MoneyField"

    def map_serializer_field(self, auto_schema, direction):
        if direction != "request":
            return dict(MONEY_OUT)
        low, high = self.target.min_value, self.target.max_value
        number = {**build_basic_type(OpenApiTypes.NUMBER), "minimum": float(low), "maximum": float(high)}
        return {"oneOf": [number, {"type": "string", "pattern": money_string_pattern(low, high)}]}


class MoneyOutFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "serviceengine.api.fields.MoneyOutField"

    def map_serializer_field(self, auto_schema, direction):
        return dict(MONEY_OUT)


def names_references(serializer) -> bool:
    """True when a request body has a field naming other rows by id: the only inputs that answer 422 (§7.2)."""
    serializer = force_instance(serializer)
    for name, field in getattr(serializer, "fields", {}).items():
        child = getattr(field, "child", field)
        if name in REFERENCE_FIELDS or (child is not field and names_references(child)) or (
            isinstance(field, Serializer) and names_references(field)
        ):
            return True
    return False


class ContractAutoSchema(AutoSchema):
    """Adds the contract's error responses (README §7) to every operation that can produce them (503 included:
    every authenticated route answers it while the database is unreachable), and describes the contract fields'
    input rules (`serviceengine.api.fields`) in request schemas."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "request" and isinstance(field, ContractFieldMixin) and not field.read_only:
            # contract §5: an optional field sent as null is the same as absent, unless marked not nullable.
            accepts_null = field.nullable is True or (field.nullable is None and not field.required)
            if accepts_null:
                meta["nullable"] = True
            else:
                meta.pop("nullable", None)
        return meta

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if isinstance(field, StrField):
            self._describe_string(field, schema)
        elif isinstance(field, ListOf):
            if field.min_items is not None:
                schema["minItems"] = field.min_items
            if field.max_items is not None:
                schema["maxItems"] = field.max_items

    @staticmethod
    def _describe_string(field, schema):
        # drf-spectacular offers "" as an alternative for fields that allow blanks; StrField allows blanks only
        # to word the error itself, so "" is valid only where it means "absent" or no minimum length applies.
        alternatives = schema.get("oneOf")
        if alternatives and alternatives[-1] == {"type": "string", "maxLength": 0} and not field.empty_as_absent:
            schema.update(schema.pop("oneOf")[0])
        target = schema["oneOf"][0] if "oneOf" in schema else schema
        patterns = []
        if field.pattern is not None:
            patterns.append(f"^(?:{field.pattern.pattern.removeprefix('^').removesuffix('$')})$")
        if field.trim and field.min_length:
            # Trimmed before the length check, so whitespace alone is empty: at least one character that is not
            # whitespace to Python's str.strip() (JSON Schema's \s lacks \x1c-\x1f and \x85).
            patterns.append(r"[^\s\u001c-\u001f\u0085]")
        if isinstance(field, EmailField):
            target["format"] = "email"
            schema.setdefault("description", EMAIL_DESCRIPTION)
            target["maxLength"] = min(target.get("maxLength", EMAIL_MAX_LENGTH), EMAIL_MAX_LENGTH)
        if len(patterns) == 1:
            target["pattern"] = patterns[0]
        elif patterns:
            target["allOf"] = [{"pattern": p} for p in patterns]

    def _is_open(self) -> bool:
        from .views import OpenView

        return isinstance(self.view, OpenView)

    def _uses_token(self) -> bool:
        from .authentication import uses_bearer_token

        return uses_bearer_token(type(self.view))

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_open() or not self._uses_token():
            return parameters
        parameters += [REQUEST_ID, *RESPONSE_HEADERS]
        if self.method.upper() in WRITE_METHODS:
            parameters += [IDEMPOTENCY_KEY, *WRITE_RESPONSE_HEADERS]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_open():
            return responses
        method = self.method.upper()
        is_detail = "{" in self.path
        # Actions without a request body (send, sign, mark_paid, complete) never parse one: no 400/413/422 for it.
        reads_body = method in ("POST", "PUT") and self.get_request_serializer() is not None
        codes = ["401"]
        # A paginated nested list (`/tickets/{id}/messages`) validates `page`/`limit` like a top-level list.
        paginated = method == "GET" and self._get_paginator() is not None and self._is_list_view()
        if reads_body or (method == "GET" and not is_detail) or paginated:
            codes.append("400")
        if reads_body:
            codes.append("413")
            if names_references(self.get_request_serializer()):
                codes.append("422")
        if is_detail:
            codes.append("404")
        writes = method in WRITE_METHODS and self._uses_token()
        if writes:
            codes += ["400", "403", "409", "422"]  # the Idempotency-Key's answers, and read-only tokens
        codes += ["429", "503"] if self._uses_token() else ["503"]
        # What the view itself declared (a 409 of its own, a 403 of a role rule...) keeps its description.
        declared = {code for code, response in responses.items() if response.get("description")}
        refers = reads_body and names_references(self.get_request_serializer())
        for code in dict.fromkeys(codes):
            serializer = ValidationErrorSerializer if code in ("400", "422") else ErrorDetailSerializer
            responses.setdefault(code, self._get_response_for_code(serializer, code))
        if writes:
            safety = {
                "400": "The `Idempotency-Key` header is not 1–255 printable ASCII characters (key `Idempotency-Key`).",
                "403": READ_ONLY_403,
                "409": IN_PROGRESS_409,
                "422": KEY_REUSED_422,
            }
            if "400" in declared and not reads_body:
                # A body-less action's own 400 is `{"detail"}`; the Idempotency-Key's is the envelope: either.
                envelope = self._get_response_for_code(ValidationErrorSerializer, "400")
                content = responses["400"].get("content", {}).get("application/json")
                new = envelope.get("content", {}).get("application/json", {}).get("schema")
                if content and "schema" in content and new and content["schema"] != new:
                    content["schema"] = {"oneOf": [content["schema"], new]}
            for code, text in safety.items():
                base = responses[code].get("description") or ""
                if code in declared or (code == "400" and reads_body) or (code == "422" and refers):
                    base = base or ERROR_DESCRIPTIONS.get(code, "")
                    responses[code]["description"] = f"{base} Or: {text}" if base else text
                else:
                    responses[code]["description"] = text
        if "429" in responses and "429" not in declared:
            responses["429"]["description"] = TOO_MANY_429
        for code, response in responses.items():
            if not response.get("description") and code in ERROR_DESCRIPTIONS:
                response["description"] = ERROR_DESCRIPTIONS[code]
        return responses

    def _get_request_body(self, direction="request"):
        # Every operation that reads a body refuses a missing one (contract §7.1: `root: Field required`), even
        # when all of its fields are optional (PUT).
        request_body = super()._get_request_body(direction)
        if request_body is not None:
            request_body["required"] = True
        return request_body
