"""Real concurrency on PostgreSQL (issue 15): a Stripe event redelivered concurrently is processed once; the same
payment arriving as two different events at once pays once; two tabs signing at once sign once. Skipped on
SQLite."""
import json
import re

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceStatus, Payment, ProposalSignature, StripeEvent
from orders.models import Order
from portal.services import proposal_link
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal
from tests.helpers import run_in_threads
from tests.portal.test_stripe_webhook import SECRET, event, metadata, session, sign

THREADS = 8
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks and concurrent transactions")
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def post_event(body: dict):
    text = json.dumps(body)
    return APIClient().post("/api/stripe/webhook", data=text, content_type="application/json",
                            HTTP_STRIPE_SIGNATURE=sign(text))


@pytest.fixture
def invoice():
    org = factories.make_org()
    service = factories.make_service(org)
    return make_invoice(org, items=[item(amount=60, quantity=2, service_id=str(service.pk))])


def test_concurrent_redelivery_of_one_event_is_processed_once(invoice):
    body = event("checkout.session.completed", session(invoice), event_id="evt_concurrent")
    responses = run_in_threads(lambda i: post_event(body), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * (THREADS - 1)
    assert StripeEvent.objects.filter(stripe_id="evt_concurrent").count() == 1
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1


def test_the_same_payment_as_different_events_at_once_pays_once(invoice):
    intent = {"id": "pi_test_1", "object": "payment_intent", "amount_received": 12000, "currency": "usd",
              "metadata": metadata(invoice)}
    bodies = [event("checkout.session.completed", session(invoice)) if i % 2 else event("payment_intent.succeeded", intent)
              for i in range(THREADS)]
    responses = run_in_threads(lambda i: post_event(bodies[i]), THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1


def test_two_tabs_signing_at_once_sign_once():
    org = factories.make_org()
    proposal = make_proposal(org, status="sent")
    path = re.sub(r"^https?://[^/]+", "", proposal_link(proposal=proposal))
    responses = run_in_threads(
        lambda i: BrowserClient().post(f"{path}/sign", {"name": f"Signer {i}", "agree": "on"}), THREADS
    )
    assert sorted(r.status_code for r in responses) == [302] + [409] * (THREADS - 1)
    assert ProposalSignature.unscoped.filter(proposal_id=proposal.pk).count() == 1
    assert Order.unscoped.filter(organization_id=org.pk).count() == 1
