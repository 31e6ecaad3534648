"""Bearer-token authentication (contract §3): the only writer of `request.organization`."""
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from serviceengine.models import ApiToken, Organization, Role, User, hash_token

from . import messages as msg
from .compiled import CompiledQuery

SCHEME = "Bearer "


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None for any other form (contract §3):
    the scheme word is case-sensitive and followed by exactly one space; an empty token counts as missing."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith(SCHEME):
        return None
    return header[len(SCHEME):] or None


def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


# The token with its organization, its team member and the member's role: one row, four model instances.
_TOKEN_PARTS = (
    (ApiToken, ""),
    (Organization, "organization__"),
    (User, "user__"),
    (Role, "user__role__"),
)
_TOKEN_COLUMNS = [prefix + name for model, prefix in _TOKEN_PARTS for name in _attnames(model)]
_TOKEN_QUERY = CompiledQuery(
    ApiToken, lambda token_hash: ApiToken.all_objects.filter(token_hash=token_hash).order_by().values_list(*_TOKEN_COLUMNS)
)


def find_token(token_hash: str) -> ApiToken | None:
    """The token stored under `token_hash`, with `organization`, `user` and `user.role` loaded, or None.
    The same single query `select_related("organization", "user", "user__role")` runs, compiled once."""
    _names, rows = _TOKEN_QUERY.tuples(token_hash)
    if not rows:
        return None
    values, start, instances = rows[0], 0, []
    for model, _prefix in _TOKEN_PARTS:
        names = _attnames(model)
        instances.append(model.from_db(_TOKEN_QUERY.alias, names, values[start : start + len(names)]))
        start += len(names)
    token, organization, user, role = instances
    ApiToken.organization.field.set_cached_value(token, organization)
    ApiToken.user.field.set_cached_value(token, user)
    User.role.field.set_cached_value(user, role)
    return token


class BearerTokenAuthentication(BaseAuthentication):
    """Looks the token up by its SHA-256 hash, refuses revoked and expired tokens, and records use at most
    once a minute. Costs one query per request in the steady state."""

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None  # → NotAuthenticated (401 Unauthorized) from the permission check
        token = find_token(hash_token(raw))
        if token is None or token.is_revoked:
            raise AuthenticationFailed(msg.UNAUTHORIZED)
        if token.is_expired():
            raise AuthenticationFailed(msg.TOKEN_EXPIRED)
        token.touch()
        request.organization = token.organization
        return token.user, token

    def authenticate_header(self, request):
        # Without a WWW-Authenticate value DRF would turn every 401 into a 403.
        return "Bearer"


class HasOrganization(BasePermission):
    """Every API view except health and the index needs an authenticated organization."""

    def has_permission(self, request, view):
        return getattr(request, "organization", None) is not None and request.auth is not None
