"""Demo tickets for `seed_demo`: one per status, with messages. Idempotent: tickets are looked up by subject and
the demo client by email, so a second run creates nothing."""
from clients.services import client_create, user_by_email
from orders.models import Order
from serviceengine.models import User

from .models import Ticket, TicketStatus
from .services import ticket_create, ticket_message_create, ticket_update

DEMO_CLIENT_EMAIL = "support.client@demo.example.com"

DEMO_TICKETS = [
    {
        "subject": "Cannot access the monthly report",
        "status": TicketStatus.OPEN,
        "tags": ["reports", "urgent"],
        "metadata": {"channel": "email"},
        "messages": [
            ("client", "The report link returns an error since this morning.", False),
            ("owner", "Thanks, we are looking into it.", False),
        ],
    },
    {
        "subject": "Question about the invoice total",
        "status": TicketStatus.PENDING,
        "tags": ["billing"],
        "metadata": {"channel": "chat"},
        "messages": [
            ("client", "Why does the invoice include two setup fees?", False),
            ("owner", "Check with accounting before answering.", True),
        ],
    },
    {
        "subject": "Please update the company address",
        "status": TicketStatus.CLOSED,
        "tags": ["account"],
        "metadata": {},
        "messages": [
            ("client", "Our office moved, please update the address on file.", False),
            ("owner", "Done, the new address is on your account.", False),
        ],
    },
]


def _demo_client(organization) -> User:
    """The organization's oldest client, or our own demo client (found by email, created once)."""
    client = User.objects.for_org(organization).clients().order_by("created_at", "id").first()
    if client is not None:
        return client
    return user_by_email(organization=organization, email=DEMO_CLIENT_EMAIL) or client_create(
        organization=organization, email=DEMO_CLIENT_EMAIL, name_f="Sam", name_l="Support", company="Demo Client Co"
    )


def seed(*, organization, owner) -> None:
    client = _demo_client(organization)
    order = Order.objects.for_org(organization).filter(user=client).order_by("created_at", "id").first()
    authors = {"client": client, "owner": owner}
    for spec in DEMO_TICKETS:
        # with_deleted: a demo ticket deleted through the API stays deleted rather than being re-created.
        if Ticket.with_deleted.for_org(organization).filter(subject=spec["subject"]).exists():
            continue
        ticket = ticket_create(
            organization=organization,
            user_id=str(client.pk),
            subject=spec["subject"],
            order_id=str(order.pk) if order and spec["status"] == TicketStatus.OPEN else None,
            employee_ids=[str(owner.pk)],
            tag_names=spec["tags"],
            metadata=spec["metadata"],
        )
        for author, text, staff_only in spec["messages"]:
            ticket_message_create(ticket=ticket, user=authors[author], message=text, staff_only=staff_only)
        if spec["status"] != TicketStatus.OPEN:
            ticket_update(ticket=ticket, status=spec["status"])  # the API's path, so Closed gets date_closed
