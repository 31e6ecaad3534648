"""`orders.demo.seed` and `manage.py seed_demo`: demo orders with tasks, messages, employees and tags; idempotent."""
from io import StringIO

from django.core.management import call_command

from orders import demo
from orders.models import Order, OrderEmployee, OrderMessage, OrderTag, OrderTask, Tag
from serviceengine.models import Organization, User
from tests import factories


def counts():
    return [m.unscoped.count() if hasattr(m, "unscoped") else m.objects.count()
            for m in (Order, OrderTask, OrderMessage, OrderEmployee, OrderTag, Tag, User)]


def test_seed_creates_orders_with_children_and_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    orders = Order.unscoped.filter(organization=org)
    assert orders.count() == len(demo.DEMO_ORDERS)
    for order in orders:
        assert list(order.employee_links.values_list("user_id", flat=True)) == [owner.id]
        assert order.tag_links.exists() and order.tasks.exists() and order.messages.exists()
        assert order.last_message_at == order.messages.order_by("-created_at").first().created_at
        assert order.user.email.endswith(demo.DEMO_CLIENT_DOMAIN)
    assert OrderTask.unscoped.filter(organization=org, is_complete=True, completed_by=owner).exists()
    before = counts()
    demo.seed(organization=org, owner=owner)
    assert counts() == before


def test_seed_uses_existing_demo_clients_and_services(org, owner):
    existing = factories.make_client(org, email="zed@demo-client.example.com")
    service = factories.make_service(org, name="Catalog service")
    demo.seed(organization=org, owner=owner)
    assert set(Order.unscoped.values_list("user_id", flat=True)) == {existing.id}
    assert Order.unscoped.filter(service=service).count() == 2
    assert not User.unscoped.filter(email=demo.FALLBACK_CLIENT_EMAIL).exists()


def test_seed_demo_command_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    org = Organization.objects.get(slug="demo")
    assert Order.unscoped.filter(organization=org).count() >= len(demo.DEMO_ORDERS)
    before = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before
