"""Signed, expiring client links (issue 15).

`issue()` stores a `ClientLink` and returns its URL: `PUBLIC_BASE_URL` (or the request's own origin) +
`/portal/<token>`, the token being `django.core.signing.dumps({"o": organization id, "l": link id})` with a
timestamp. `resolve()` answers the link only when the signature is intact, the token younger than
`CLIENT_LINK_MAX_AGE_DAYS`, the row not revoked nor past its `expires_at`, and looked up within the organization
the signature vouches for — so a forged or altered token can never name another client's data.
"""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from serviceengine.core.services import parse_uuid

from .models import ClientLink, LinkKind

SALT = "portal.client-link"


def max_age() -> timedelta:
    return timedelta(days=settings.CLIENT_LINK_MAX_AGE_DAYS)


def base_url(request=None) -> str:
    """The public origin of links: `PUBLIC_BASE_URL`, else the request's own origin, else localhost (a job with
    no request and no configuration; documented in README)."""
    configured = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    if configured:
        return configured
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return "http://localhost:8000"


def token_for(link: ClientLink) -> str:
    return signing.dumps({"o": str(link.organization_id), "l": str(link.pk)}, salt=SALT, compress=True)


def url_for(link: ClientLink, *, request=None, base: str | None = None) -> str:
    path = reverse("portal-page", kwargs={"token": token_for(link)})
    return f"{(base or base_url(request)).rstrip('/')}{path}"


def issue(*, organization, kind: str, object_id, request=None, base: str | None = None) -> tuple[ClientLink, str]:
    """A new link to the object (`kind` one of LinkKind) and its absolute URL."""
    now = timezone.now()
    link = ClientLink.objects.create(
        organization_id=getattr(organization, "pk", organization),
        kind=LinkKind(kind),
        object_id=object_id,
        created_at=now,
        expires_at=now + max_age(),
    )
    return link, url_for(link, request=request, base=base)


def resolve(token: str) -> ClientLink | None:
    """The live link a token names, or None (tampered, expired, revoked, unknown)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    org_id, link_id = parse_uuid(data.get("o")), parse_uuid(data.get("l"))
    if org_id is None or link_id is None:
        return None
    link = ClientLink.objects.for_org(org_id).select_related("organization").filter(pk=link_id).first()
    if link is None or not link.is_active:
        return None
    return link


def revoke(*, link: ClientLink) -> ClientLink:
    """Revoke a link: its token opens nothing from now on."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link
