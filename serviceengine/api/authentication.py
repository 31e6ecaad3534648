"""Bearer-token authentication (contract §3): the only writer of `request.organization`."""
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from serviceengine.models import ApiToken, hash_token

from . import messages as msg

SCHEME = "Bearer "


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None for any other form (contract §3):
    the scheme word is case-sensitive and followed by exactly one space; an empty token counts as missing."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith(SCHEME):
        return None
    return header[len(SCHEME):] or None


class BearerTokenAuthentication(BaseAuthentication):
    """Looks the token up by its SHA-256 hash, refuses revoked and expired tokens, and records use at most
    once a minute. Costs one query per request in the steady state."""

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None  # → NotAuthenticated (401 Unauthorized) from the permission check
        token = (
            ApiToken.all_objects.select_related("organization", "user", "user__role")
            .filter(token_hash=hash_token(raw))
            .first()
        )
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
