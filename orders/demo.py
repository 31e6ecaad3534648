"""Demo orders for `python manage.py seed_demo`: a few orders of the demo clients, with tasks, messages, the
owner as employee and tags. Idempotent: orders are looked up by their fixed demo numbers, and the fallback
client and service (used only when the clients/catalog seeders created none) by email and name."""
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Service
from serviceengine.models import Address, Role, User

from .models import Order, OrderStatus
from .services import (
    order_create,
    order_message_create,
    order_task_complete,
    order_task_create,
)

DEMO_CLIENT_DOMAIN = "@demo-client.example.com"
FALLBACK_CLIENT_EMAIL = "orders-demo" + DEMO_CLIENT_DOMAIN
FALLBACK_SERVICE_NAME = "Website Audit (demo)"

DEMO_ORDERS = [
    {
        "number": "DEMO0001",
        "status": OrderStatus.IN_PROGRESS,
        "note": "Kick-off scheduled for Monday.",
        "tags": ["priority", "seo"],
        "metadata": {"source": "demo", "channel": "referral"},
        "due_in_days": 14,
        "tasks": [
            {"name": "Kick-off call", "sort_order": 0, "is_public": True, "deadline": 24},
            {"name": "Send brief", "sort_order": 1, "for_client": True, "is_public": True},
            {"name": "First draft", "sort_order": 2, "employees": True},
        ],
        "messages": [
            {"message": "Welcome aboard! We will start with a short kick-off call.", "is_public": True},
            {"message": "Internal: client prefers email over calls.", "is_public": False},
        ],
        "complete_first_task": True,
    },
    {
        "number": "DEMO0002",
        "status": OrderStatus.UNPAID,
        "note": None,
        "tags": ["new"],
        "metadata": {"source": "demo"},
        "due_in_days": 30,
        "tasks": [{"name": "Collect requirements", "sort_order": 0, "employees": True}],
        "messages": [{"message": "Your order is waiting for payment.", "is_public": True}],
        "complete_first_task": False,
    },
    {
        "number": "DEMO0003",
        "status": OrderStatus.COMPLETED,
        "note": "Delivered and approved.",
        "tags": ["seo", "done"],
        "metadata": {},
        "due_in_days": -7,
        "custom_service": "Custom landing page",
        "tasks": [{"name": "Deliver files", "sort_order": 0, "is_public": True}],
        "messages": [{"message": "All files delivered, thank you!", "is_public": True}],
        "complete_first_task": True,
    },
]


def _demo_clients(organization) -> list[User]:
    clients = list(
        User.objects.for_org(organization).clients().filter(email__endswith=DEMO_CLIENT_DOMAIN).order_by("email", "id")[:3]
    )
    if clients:
        return clients
    # Built from the models directly: the clients app's own helpers may change independently of this seeder.
    address = Address.all_objects.create(
        organization=organization, line_1="1 Demo Street", city="London", postcode="N1 1AA", country="GB"
    )
    aff_id, aff_link = User.new_affiliate()
    client = User.all_objects.create(
        organization=organization,
        email=FALLBACK_CLIENT_EMAIL,
        name_f="Ola",
        name_l="Orders",
        company="Demo Orders Ltd",
        role=Role.objects.client_role(),
        aff_id=aff_id,
        aff_link=aff_link,
        address=address,
    )
    return [client]


def _demo_service(organization) -> Service:
    service = Service.objects.for_org(organization).order_by("created_at", "id").first()
    if service is not None:
        return service
    return Service.all_objects.create(
        organization=organization, name=FALLBACK_SERVICE_NAME, price=Decimal("499.00"), currency="USD"
    )


@transaction.atomic
def seed(*, organization, owner) -> None:
    """Create the demo orders that do not exist yet (by number); running twice creates nothing new."""
    # all_objects: a demo order soft-deleted by someone playing with the demo still counts as seeded.
    existing = set(
        Order.all_objects.filter(organization=organization, number__in=[o["number"] for o in DEMO_ORDERS])
        .values_list("number", flat=True)
    )
    todo = [spec for spec in DEMO_ORDERS if spec["number"] not in existing]
    if not todo:
        return
    clients = _demo_clients(organization)
    service = _demo_service(organization)
    now = timezone.now()
    for index, spec in enumerate(todo):
        custom = spec.get("custom_service")
        order = order_create(
            organization=organization,
            user=clients[index % len(clients)],
            service=None if custom else service,
            service_name=custom or service.name,
            price=Decimal("0.00") if custom else (service.price or Decimal("0.00")),
            currency="USD" if custom else (service.currency or "USD"),
            status=spec["status"],
            number=spec["number"],
            note=spec["note"],
            metadata=spec["metadata"],
            date_started=now - timedelta(days=3),
            date_completed=now if spec["status"] == OrderStatus.COMPLETED else None,
            date_due=now + timedelta(days=spec["due_in_days"]),
            employees=[owner],
            tag_names=spec["tags"],
        )
        tasks = []
        for task_spec in spec["tasks"]:
            fields = {k: v for k, v in task_spec.items() if k != "employees"}
            employee_ids = [str(owner.id)] if task_spec.get("employees") else None
            tasks.append(order_task_create(order=order, employee_ids=employee_ids, **fields))
        if spec["complete_first_task"] and tasks:
            order_task_complete(task=tasks[0], user=owner)
        for message_spec in spec["messages"]:
            order_message_create(order=order, author=owner, **message_spec)
