"""OpenAPI generation: the bearer scheme, and the error envelopes each operation really answers with."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from .serializers import ErrorDetailSerializer, ValidationErrorSerializer


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


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """Money is sent as a JSON number or numeric string and returned as a two-decimal string."""

    target_class = "serviceengine.api.fields.MoneyField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {"oneOf": [build_basic_type(OpenApiTypes.NUMBER), {"type": "string", "pattern": r"^\s*-?\d+(\.\d+)?\s*$"}]}
        return {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1500.00"}


class MoneyOutFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "serviceengine.api.fields.MoneyOutField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1500.00"}


class ContractAutoSchema(AutoSchema):
    """Adds the contract's error responses (README §7) to every operation that can produce them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        from .views import OpenView

        if isinstance(self.view, OpenView):
            return responses
        method = self.method.upper()
        is_detail = "{" in self.path
        # Actions without a request body (send, sign, mark_paid, complete) never parse one: no 400/413/422 for it.
        reads_body = method in ("POST", "PUT") and self.get_request_serializer() is not None
        envelope = self._get_response_for_code(ValidationErrorSerializer, "400")
        detail = self._get_response_for_code(ErrorDetailSerializer, "401")
        extra = {"401": detail}
        if reads_body or (method == "GET" and not is_detail):
            extra["400"] = envelope
        if reads_body:
            extra["422"] = self._get_response_for_code(ValidationErrorSerializer, "422")
            extra["413"] = self._get_response_for_code(ErrorDetailSerializer, "413")
        if is_detail:
            extra["404"] = self._get_response_for_code(ErrorDetailSerializer, "404")
        for code, response in extra.items():
            responses.setdefault(code, response)
        return responses
