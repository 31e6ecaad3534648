"""Portal workflows: the links the API and e-mails hand out."""
from .links import issue
from .models import LinkKind


def client_magic_link(*, client, request=None, base: str | None = None) -> tuple[str, object]:
    """`POST /api/clients/{id}/magic_link`: a link to the client's own page (their proposals, invoices and orders,
    read-only). Returns (url, expires_at)."""
    link, url = issue(organization=client.organization_id, kind=LinkKind.CLIENT, object_id=client.pk,
                      request=request, base=base)
    return url, link.expires_at


def proposal_link(*, proposal, base: str | None = None) -> str:
    _link, url = issue(organization=proposal.organization_id, kind=LinkKind.PROPOSAL, object_id=proposal.pk, base=base)
    return url


def invoice_link(*, invoice, base: str | None = None) -> str:
    _link, url = issue(organization=invoice.organization_id, kind=LinkKind.INVOICE, object_id=invoice.pk, base=base)
    return url
