"""`search_everything`: the organization's clients, orders, proposals, invoices and tickets matching a query, at
most `HITS_PER_KIND` of each, as `type`/`id`/`title`/`snippet` hits. One query per kind plus one for the ticket
messages that matched, whatever the data size; every query is narrowed with `for_org` first."""
from django.db.models import Q

from billing.filters import INVOICE_SEARCH_FIELDS, PROPOSAL_SEARCH_FIELDS
from billing.models import Invoice, Proposal
from clients.models import Client
from orders.filters import ORDER_SEARCH_FIELDS
from orders.models import Order
from serviceengine.api.search import matching, narrow, search_words
from support.filters import TICKET_SEARCH_FIELDS
from support.models import Ticket, TicketMessage

HITS_PER_KIND = 20
SNIPPET_LENGTH = 120
CLIENT_SEARCH_FIELDS = ("name_f", "name_l", "email", "company")  # the clients list's `search_fields`


def snippet(texts, words) -> str:
    """A short excerpt of the first text that contains one of `words` (case-insensitive), centred on it; else the
    start of the first non-empty text."""
    lowered = [word.lower() for word in words]
    for text in texts:
        if not text:
            continue
        haystack = text.lower()
        for word in lowered:
            at = haystack.find(word)
            if at >= 0:
                start = max(0, at - SNIPPET_LENGTH // 3)
                excerpt = text[start : start + SNIPPET_LENGTH]
                return ("…" if start else "") + excerpt + ("…" if start + SNIPPET_LENGTH < len(text) else "")
    first = next((text for text in texts if text), "")
    return first[:SNIPPET_LENGTH] + ("…" if len(first) > SNIPPET_LENGTH else "")


def _name(first, last) -> str:
    return " ".join(part for part in (first, last) if part)


def search_everything(*, organization, query: str) -> list[dict]:
    """Hits for `query` (validated by the caller: 1–200 characters), clients first, then orders, proposals,
    invoices and tickets, each kind newest first. A query without any word finds nothing."""
    words = search_words(query)
    if not words:
        return []
    hits: list[dict] = []

    clients = (
        narrow(Client.objects.for_org(organization), CLIENT_SEARCH_FIELDS, words)
        .order_by("-created_at", "id")
        .only("id", *CLIENT_SEARCH_FIELDS)[:HITS_PER_KIND]
    )
    for client in clients:
        hits.append(
            {
                "type": "client",
                "id": client.id,
                "title": _name(client.name_f, client.name_l) or client.email,
                "snippet": snippet([client.email, _name(client.name_f, client.name_l), client.company], words),
            }
        )

    orders = (
        narrow(Order.objects.for_org(organization), ORDER_SEARCH_FIELDS, words)
        .order_by("-created_at", "id")
        .only("id", *ORDER_SEARCH_FIELDS)[:HITS_PER_KIND]
    )
    for order in orders:
        hits.append(
            {
                "type": "order",
                "id": order.id,
                "title": f"{order.number} · {order.service_name}",
                "snippet": snippet([order.number, order.service_name, order.note], words),
            }
        )

    proposals = (
        narrow(Proposal.objects.for_org(organization), PROPOSAL_SEARCH_FIELDS, words)
        .order_by("-created_at", "id")
        .only("id", *PROPOSAL_SEARCH_FIELDS)[:HITS_PER_KIND]
    )
    for proposal in proposals:
        name = _name(proposal.client_name_f, proposal.client_name_l)
        hits.append(
            {
                "type": "proposal",
                "id": proposal.id,
                "title": f"Proposal for {name or proposal.client_email}",
                "snippet": snippet([proposal.client_email, name, proposal.client_company], words),
            }
        )

    # An invoice matches by its own number/note, or by its client's name, e-mail or company.
    all_invoices = Invoice.objects.for_org(organization)
    matching_clients = matching(Client.objects.for_org(organization), CLIENT_SEARCH_FIELDS, words)
    invoices = (
        all_invoices.filter(
            Q(pk__in=matching(all_invoices, INVOICE_SEARCH_FIELDS, words)) | Q(user_id__in=matching_clients)
        )
        .select_related("user")
        .order_by("-created_at", "id")
        .only("id", *INVOICE_SEARCH_FIELDS, "user__name_f", "user__name_l", "user__email", "user__company")[
            :HITS_PER_KIND
        ]
    )
    for invoice in invoices:
        client = invoice.user
        client_texts = [client.email, _name(client.name_f, client.name_l), client.company] if client else []
        hits.append(
            {
                "type": "invoice",
                "id": invoice.id,
                "title": invoice.number + (f" · {client_texts[1] or client.email}" if client else ""),
                "snippet": snippet([invoice.number, *client_texts, invoice.note], words),
            }
        )

    # A ticket matches by its subject/note or by one of its messages; the matching messages feed the snippet.
    messages = TicketMessage.objects.for_org(organization)
    all_tickets = Ticket.objects.for_org(organization)
    tickets = list(
        all_tickets.filter(
            Q(pk__in=matching(all_tickets, TICKET_SEARCH_FIELDS, words))
            | Q(pk__in=matching(messages, ("message",), words, column="ticket_id"))
        )
        .order_by("-created_at", "id")
        .only("id", *TICKET_SEARCH_FIELDS)[:HITS_PER_KIND]
    )
    first_message = {}
    if tickets:
        for ticket_id, message in (
            narrow(messages.filter(ticket__in=[ticket.id for ticket in tickets]), ("message",), words)
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "message")
        ):
            first_message.setdefault(ticket_id, message)
    for ticket in tickets:
        hits.append(
            {
                "type": "ticket",
                "id": ticket.id,
                "title": ticket.subject,
                "snippet": snippet([ticket.subject, ticket.note, first_message.get(ticket.id)], words),
            }
        )
    return hits
