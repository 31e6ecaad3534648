"""What the client loop e-mails, and to whom (issue 15). Called by the billing services inside the change's
transaction; each message goes out from a job after the commit (`portal.emails.queue`)."""
from serviceengine.models import User

from . import emails
from .links import issue
from .models import LinkKind


def _client_name(first, last, fallback="") -> str:
    return f"{first or ''} {last or ''}".strip() or fallback


def team_addresses(organization) -> list[str]:
    members = User.objects.for_org(organization).team_members().exclude(email__isnull=True).exclude(email="")
    return list(members.order_by("email").values_list("email", flat=True))


def proposal_sent(*, proposal, organization, base: str | None = None) -> str | None:
    """The client gets a link to read and sign the proposal."""
    link, url = issue(organization=organization, kind=LinkKind.PROPOSAL, object_id=proposal.pk, base=base)
    return emails.queue(
        organization=organization,
        to=[proposal.client_email],
        template="proposal_sent",
        context={"proposal": proposal, "url": url, "expires_at": link.expires_at,
                 "client_name": _client_name(proposal.client_name_f, proposal.client_name_l, proposal.client_email)},
        kind="proposal.sent",
        object_id=proposal.pk,
    )


def invoice_sent(*, invoice, organization, base: str | None = None) -> str | None:
    """The client gets a link to view and pay the invoice."""
    user = invoice.user
    link, url = issue(organization=organization, kind=LinkKind.INVOICE, object_id=invoice.pk, base=base)
    return emails.queue(
        organization=organization,
        to=[user.email],
        template="invoice_sent",
        context={"invoice": invoice, "url": url, "expires_at": link.expires_at,
                 "client_name": _client_name(user.name_f, user.name_l, user.email)},
        kind="invoice.sent",
        object_id=invoice.pk,
    )


def invoice_paid(*, invoice, organization, base: str | None = None) -> None:
    """A receipt to the client (with a link to the invoice page and its PDF), a notice to the team."""
    user = invoice.user
    name = _client_name(user.name_f, user.name_l, user.email) if user else ""
    if user is not None and user.email:
        _link, url = issue(organization=organization, kind=LinkKind.INVOICE, object_id=invoice.pk, base=base)
        emails.queue(organization=organization, to=[user.email], template="invoice_receipt",
                     context={"invoice": invoice, "url": url, "client_name": name},
                     kind="invoice.receipt", object_id=invoice.pk)
    emails.queue(organization=organization, to=team_addresses(organization), template="team_invoice_paid",
                 context={"invoice": invoice, "client_name": name, "client_email": user.email if user else ""},
                 kind="invoice.paid.team", object_id=invoice.pk)


def proposal_signed(*, proposal, signature, order, organization) -> None:
    """A notice to the team: which proposal, which client, who signed, which order was opened."""
    emails.queue(
        organization=organization,
        to=team_addresses(organization),
        template="team_proposal_signed",
        context={"proposal": proposal, "signature": signature, "order": order,
                 "client_name": _client_name(proposal.client_name_f, proposal.client_name_l, proposal.client_email)},
        kind="proposal.signed.team",
        object_id=proposal.pk,
    )
