"""Bearer-token authentication (contract §3): the only writer of `request.organization`."""
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission

from jobs.actors import set_actor, token_actor
from serviceengine.models import ApiToken, hash_token

from . import messages as msg
from .throttling import STATE_ATTR, AuthFailureThrottle, TokenRateThrottle, remember, throttled
from serviceengine.perf.compiled import CompiledQuery, Joined

SCHEME = "Bearer "
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None for any other form (contract §3):
    the scheme word is case-sensitive and followed by exactly one space; an empty token counts as missing."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith(SCHEME):
        return None
    return header[len(SCHEME):] or None


# The token, its organization (`request.organization`) and the token's team member (`request.user`: the author
# of messages, who completes tasks), in one row. The member loads its identity only; its other fields, and its
# role, load on first use (no API path uses them).
_TOKEN_ROW = Joined(
    ApiToken, {"organization": None, "user": ["id", "organization_id", "role_id", "email", "name_f", "name_l"]}
)
_TOKEN_QUERY = CompiledQuery(
    # unscoped: the token lookup is how the request learns its organization.
    ApiToken, lambda token_hash: ApiToken.unscoped.filter(token_hash=token_hash).order_by().values_list(*_TOKEN_ROW.columns)
)


def find_token(token_hash: str) -> ApiToken | None:
    """The token stored under `token_hash` with `organization` and `user` loaded, or None: one query, compiled
    once (the SQL of `select_related("organization", "user")` with the member's identity columns)."""
    _names, rows = _TOKEN_QUERY.tuples(token_hash)
    return _TOKEN_ROW.load(_TOKEN_QUERY.alias, rows[0]) if rows else None


_REMEMBERED = "_serviceengine_token"


def remember_token(request, token) -> None:
    """Hand a token already looked up (idempotency/middleware.py) to the authentication of the same request."""
    setattr(request, _REMEMBERED, token)


class BearerTokenAuthentication(BaseAuthentication):
    """Looks the token up by its SHA-256 hash, refuses revoked and expired tokens, and records use at most
    once a minute. Costs one query per request in the steady state.

    Rate limits (serviceengine/api/throttling.py) are applied here, as soon as the token is known: a refused
    token counts against its IP's failure limit (429 once over it), an accepted one against its own limit (429
    once over it, before any permission check or work)."""

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None  # → NotAuthenticated (401 Unauthorized) from the permission check
        token = getattr(request._request, _REMEMBERED, None) or find_token(hash_token(raw))
        if token is None or token.is_revoked:
            self.refuse(request, msg.UNAUTHORIZED)
        if token.is_expired():
            self.refuse(request, msg.TOKEN_EXPIRED)
        # Counted once per request: the idempotency middleware may have counted it already.
        window = getattr(request._request, STATE_ATTR, None) or TokenRateThrottle().check(request, token)
        if window.exceeded:
            raise throttled(window)
        token.touch()
        request.organization = token.organization
        set_actor(token_actor(token))  # events record this token as the actor of the request's changes
        return token.user, token

    @staticmethod
    def refuse(request, detail: str):
        window = AuthFailureThrottle().failed(request)
        if window.exceeded:
            remember(request, window)
            raise throttled(window)
        raise AuthenticationFailed(detail)

    def authenticate_header(self, request):
        # Without a WWW-Authenticate value DRF would turn every 401 into a 403.
        return "Bearer"


def uses_bearer_token(view_class) -> bool:
    """Whether a DRF view class authenticates with API tokens (Idempotency-Key and rate limits apply to it)."""
    classes = getattr(view_class, "authentication_classes", None) or []
    return any(isinstance(c, type) and issubclass(c, BearerTokenAuthentication) for c in classes)


class HasOrganization(BasePermission):
    """Every API view except health and the index needs an authenticated organization; a read-only token may
    only GET and HEAD (issue 14): any other method is refused here, right after authentication, before the body
    is read or the path's id looked up."""

    def has_permission(self, request, view):
        if getattr(request, "organization", None) is None or request.auth is None:
            return False
        if request.auth.is_read_only and request.method not in READ_ONLY_METHODS:
            raise PermissionDenied(msg.READ_ONLY_TOKEN)
        return True
