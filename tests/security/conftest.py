"""Two fully populated tenants, A (`org`) and B (`other_org`), and snapshots of the whole database.

`tenant_a` / `tenant_b` hold one row of every org-owned model (and the junction rows between them), built with
the project's factories. `snapshot()` captures every row of every concrete model of the project, so a test can
prove that a refused request wrote nothing at all.
"""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps

from billing.models import Payment, Subscription
from catalog.services import set_service_employees
from serviceengine.models import ApiToken
from events.services import record_event
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create
from tests import factories
from tests.billing.factories import make_coupon, make_invoice, make_proposal
from tests.catalog.factories import make_folder
from tests.engagements.conftest import make_conversation, make_engagement, make_project, post_message
from tests.orders.factories import make_message, make_order, make_task
from subscriptions.services import subscription_pause
from tests.subscriptions.factories import make_subscription
from tests.support import factories as support

PROJECT_APPS = {"serviceengine", "clients", "catalog", "orders", "billing", "support", "engagements", "subscriptions"}
# Columns a request legitimately writes while being refused: the token's throttled last-use stamp.
VOLATILE = {ApiToken: {"last_used_at"}}


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS and not m._meta.proxy]


def snapshot() -> dict:
    """Every row of every concrete project model, volatile columns left out."""
    state = {}
    for model in project_models():
        skip = VOLATILE.get(model, set())
        rows = model._base_manager.order_by("pk").values()
        state[model._meta.label] = [{k: v for k, v in row.items() if k not in skip} for row in rows]
    return state


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in project_models()}


def assert_same_snapshot(before: dict, after: dict):
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"rows changed in {changed}"


def build_tenant(org, tag: str) -> SimpleNamespace:
    """One of everything in `org`; `tag` makes names and emails unique to the tenant."""
    member = factories.make_team_member(org, email=f"member@{tag}.example.com")
    address = factories.make_address(org)
    client = factories.make_client(org, email=f"client@{tag}.example.com", address=address)
    folder = make_folder(org, name=f"Folder {tag}")
    service = factories.make_service(org, name=f"Service {tag}", folder=folder)
    set_service_employees(service, [member])
    coupon = make_coupon(org, code=f"{tag.upper()}10")
    order = make_order(org, client, employees=[member], tags=[f"tag-of-{tag}"], service=service)
    task = make_task(order, employees=[member])
    message = make_message(order, member)
    invoice = make_invoice(org, user=client, items=[{"name": "Work", "quantity": 1, "amount": Decimal("10.00"),
                                                      "service_id": str(service.pk)}])
    paid_invoice = make_invoice(org, user=client)
    Payment.unscoped.create(organization=org, invoice=paid_invoice, provider="manual", amount=Decimal("10.00"),
                               currency="USD")
    proposal = make_proposal(org, services_=[service], client_email=f"prospect@{tag}.example.com")
    sent_proposal = make_proposal(org, status="sent", services_=[service])
    ticket = support.make_ticket(org, client, order=order)
    support.add_employee(ticket, member)
    support.add_tag(ticket, order.tag_links.first().tag)
    ticket_message = support.add_message(ticket, member)
    subscription = Subscription.unscoped.create(organization=org, user=client, invoice=invoice)
    # /api/subscriptions (issue 16): one that has issued its first invoice, with a line naming the service.
    billing_plan = make_subscription(
        org, client=client, items=[{"service_id": str(service.pk), "name": "Plan", "quantity": 1, "price": Decimal("9.00")}]
    )
    paused_plan = subscription_pause(subscription=make_subscription(org, client=client))
    engagement = make_engagement(org, client, name=f"Engagement {tag}")
    project = make_project(org, engagement, service=service, name=f"Project {tag}")
    conversation = make_conversation(org, project, subject=f"Thread {tag}")
    conversation_message = post_message(conversation, member, f"Message {tag}")
    token, raw = factories.make_token(org, member)
    endpoint = webhook_endpoint_create(organization=org, url=f"https://93.184.216.34/{tag}", enabled_events=["*"])
    event = record_event("client.created", client, object_type="client")  # delivered to the endpoint
    return SimpleNamespace(
        org=org, member=member, address=address, client=client, folder=folder, service=service, coupon=coupon,
        order=order, task=task, message=message, invoice=invoice, paid_invoice=paid_invoice, proposal=proposal,
        sent_proposal=sent_proposal, ticket=ticket, tag=order.tag_links.first().tag, subscription=subscription,
        billing_plan=billing_plan, paused_plan=paused_plan,
        ticket_message=ticket_message,
        engagement=engagement, project=project, conversation=conversation, conversation_message=conversation_message,
        token=token, raw_token=raw, event=event, endpoint=endpoint,
        delivery=WebhookDelivery.unscoped.get(event=event, endpoint=endpoint),
    )


@pytest.fixture
def tenant_a(org):
    return build_tenant(org, "alpha")


@pytest.fixture
def tenant_b(other_org):
    return build_tenant(other_org, "bravo")


@pytest.fixture
def api_b(tenant_b):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant_b.raw_token}")
    return client


@pytest.fixture
def payments_simulated(settings):
    """Charges would succeed: a leak across tenants would show as a paid invoice, not hide behind a 503."""
    settings.PAYMENTS_SIMULATED = True
    settings.STRIPE_SECRET_KEY = ""

