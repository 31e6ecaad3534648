"""Billing's admin actions go through the services (issue 12): sign on the client's behalf, charge, mark paid, the
soft delete; each records exactly one event of its type with the staff account as actor, a refused row is
reported and changes nothing, and the change pages are read-only."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from billing import stripe_gateway
from billing.models import Invoice, InvoiceStatus, Payment, Proposal, ProposalSignature, ProposalStatus
from events.models import Event
from orders.models import Order
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal
from tests.helpers import staff_browser

PROPOSALS = "admin:billing_proposal_changelist"
INVOICES = "admin:billing_invoice_changelist"


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def ada() -> dict:
    account = get_user_model().objects.get(username="ada")
    return {"type": "user", "id": str(account.pk), "name": "ada"}


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def events(org, event_type):
    return list(Event.objects.for_org(org).filter(type=event_type))


def act(browser, changelist, action, rows, **extra):
    data = {"action": action, "_selected_action": [str(row.pk) for row in rows], **extra}
    return browser.post(reverse(changelist), data, follow=True)


def test_sign_asks_for_confirmation_first(staff, org):
    sent = make_proposal(org, status="sent")
    page = act(staff, PROPOSALS, "sign_selected", [sent])
    assert page.status_code == 200 and b"The client agreed to these proposals" in page.content
    unconfirmed = act(staff, PROPOSALS, "sign_selected", [sent], apply="yes")
    assert unconfirmed.status_code == 200 and b"This field is required" in unconfirmed.content
    assert Proposal.unscoped.get(pk=sent.pk).status == ProposalStatus.SENT
    assert not events(org, "proposal.signed")


def test_sign_on_behalf_signs_opens_the_order_and_stores_the_evidence(staff, org):
    sent = make_proposal(org, status="sent", client_email="pat@example.com")
    response = act(staff, PROPOSALS, "sign_selected", [sent], apply="yes", confirm="on", signer_name="Pat Prospect",
                   )
    assert response.status_code == 200
    assert "Signed 1 proposal(s)." in texts(response)
    signed = Proposal.unscoped.get(pk=sent.pk)
    assert signed.status == ProposalStatus.SIGNED and signed.converted_order_id is not None
    assert Order.unscoped.filter(pk=signed.converted_order_id, organization=org).exists()
    evidence = ProposalSignature.unscoped.get(proposal=signed)
    assert (evidence.name, evidence.email, evidence.method, evidence.ip_address) == (
        "Pat Prospect", "pat@example.com", "admin", "127.0.0.1")
    assert len(evidence.document_sha256) == 64
    [event] = events(org, "proposal.signed")
    assert (event.object_id, event.actor) == (signed.pk, ada())


def test_sign_without_a_name_uses_the_clients(staff, org):
    sent = make_proposal(org, status="sent", client_name_f="Kim", client_name_l="Client")
    act(staff, PROPOSALS, "sign_selected", [sent], apply="yes", confirm="on")
    assert ProposalSignature.unscoped.get(proposal=sent).name == "Kim Client"


def test_sign_reports_a_refused_row_and_signs_the_others(staff, org):
    draft = make_proposal(org, client_email="draft@example.com")
    sent = make_proposal(org, status="sent")
    response = act(staff, PROPOSALS, "sign_selected", [draft, sent], apply="yes", confirm="on")
    assert "draft@example.com: Cannot sign proposal with status Draft" in texts(response)
    assert "Signed 1 proposal(s)." in texts(response)
    assert Proposal.unscoped.get(pk=draft.pk).status == ProposalStatus.DRAFT
    assert not ProposalSignature.unscoped.filter(proposal=draft).exists()
    assert [e.object_id for e in events(org, "proposal.signed")] == [sent.pk]


def test_sign_of_only_refused_rows_changes_nothing(staff, org):
    draft = make_proposal(org, client_email="draft@example.com")
    before = Event.objects.for_org(org).count()
    response = act(staff, PROPOSALS, "sign_selected", [draft], apply="yes", confirm="on")
    assert response.status_code == 200
    assert texts(response) == ["draft@example.com: Cannot sign proposal with status Draft"]
    assert Event.objects.for_org(org).count() == before
    assert not Order.unscoped.filter(organization=org).exists()


def test_mark_paid_records_one_paid_event_as_the_staff(staff, org):
    invoice = make_invoice(org, status=InvoiceStatus.UNPAID)
    act(staff, INVOICES, "mark_paid_selected", [invoice])
    [event] = events(org, "invoice.paid")
    assert (event.object_id, event.actor) == (invoice.pk, ada())


def test_mark_paid_refusal_changes_nothing(staff, org):
    cancelled = make_invoice(org, status=InvoiceStatus.CANCELLED)
    before = Event.objects.for_org(org).count()
    response = act(staff, INVOICES, "mark_paid_selected", [cancelled])
    assert texts(response) == [f"{cancelled.number}: Cannot mark Cancelled invoice as paid."]
    assert Invoice.unscoped.get(pk=cancelled.pk).status == InvoiceStatus.CANCELLED
    assert Event.objects.for_org(org).count() == before and not Payment.unscoped.exists()


def test_charge_asks_for_a_payment_method(staff, org, settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    invoice = make_invoice(org)
    page = act(staff, INVOICES, "charge_selected", [invoice])
    assert page.status_code == 200 and b"payment_method_id" in page.content
    missing = act(staff, INVOICES, "charge_selected", [invoice], apply="yes")
    assert missing.status_code == 200 and b"This field is required" in missing.content
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_charge_pays_through_the_gateway_and_records_one_event(staff, org, settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    service = factories.make_service(org)
    invoice = make_invoice(org, items=[item(service_id=str(service.pk))])
    response = act(staff, INVOICES, "charge_selected", [invoice], apply="yes", payment_method_id="pm_card_visa")
    assert "Charged 1 invoice(s)." in texts(response)
    paid = Invoice.unscoped.get(pk=invoice.pk)
    assert (paid.status, paid.paysys, paid.charge_attempts) == (InvoiceStatus.PAID, "Stripe", 1)
    assert Payment.unscoped.get(invoice=invoice).provider == "simulated"
    assert Order.unscoped.filter(invoice_id=invoice.pk).count() == 1
    [event] = events(org, "invoice.paid")
    assert (event.object_id, event.actor) == (invoice.pk, ada())


def test_charge_reports_unconfigured_payments_and_changes_nothing(staff, org, settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", False
    invoice = make_invoice(org)
    before = Event.objects.for_org(org).count()
    response = act(staff, INVOICES, "charge_selected", [invoice], apply="yes", payment_method_id="pm_card_visa")
    assert response.status_code == 200
    assert texts(response) == [f"{invoice.number}: Payments are not configured."]
    fresh = Invoice.unscoped.get(pk=invoice.pk)
    assert (fresh.status, fresh.charge_attempts, fresh.charge_claimed_at) == (InvoiceStatus.UNPAID, 0, None)
    assert Event.objects.for_org(org).count() == before


def test_charge_decline_is_reported_per_row_and_the_others_are_charged(staff, org, settings, monkeypatch):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    declined, fine = make_invoice(org), make_invoice(org)
    real = stripe_gateway.SimulatedGateway.charge

    def decline_first(self, **kwargs):
        if str(declined.pk) in kwargs["idempotency_key"]:
            raise stripe_gateway.PaymentDeclined("Your card was declined.")
        return real(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", decline_first)
    response = act(staff, INVOICES, "charge_selected", [declined, fine], apply="yes", payment_method_id="pm_x")
    assert f"{declined.number}: Your card was declined." in texts(response)
    assert "Charged 1 invoice(s)." in texts(response)
    assert Invoice.unscoped.get(pk=declined.pk).status == InvoiceStatus.UNPAID
    assert Invoice.unscoped.get(pk=fine.pk).status == InvoiceStatus.PAID
    assert [e.object_id for e in events(org, "invoice.payment_failed")] == [declined.pk]


@pytest.mark.django_db(transaction=True)
def test_charge_calls_the_provider_outside_any_transaction(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    org = factories.make_org()
    browser = staff_browser(org, "ada")
    invoice = make_invoice(org)
    seen = {}
    real = stripe_gateway.SimulatedGateway.charge

    def spy(self, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        seen["claimed"] = Invoice.unscoped.get(pk=invoice.pk).charge_claimed_at
        return real(self, **kwargs)

    monkeypatch.setattr(stripe_gateway.SimulatedGateway, "charge", spy)
    act(browser, INVOICES, "charge_selected", [invoice], apply="yes", payment_method_id="pm_card_visa")
    assert seen == {"in_transaction": False, "claimed": seen["claimed"]} and seen["claimed"] is not None
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.PAID


def test_soft_delete_of_invoices_goes_through_the_service(staff, org):
    invoice = make_invoice(org)
    response = act(staff, INVOICES, "soft_delete_selected", [invoice])
    assert "Deleted 1 row(s)." in texts(response)
    assert Invoice.unscoped.get(pk=invoice.pk).deleted_at is not None
    [event] = events(org, "invoice.deleted")
    assert event.actor == ada()


@pytest.mark.parametrize("model", ["proposal", "invoice"])
def test_change_pages_are_read_only(staff, org, model):
    row = make_proposal(org) if model == "proposal" else make_invoice(org, note="keep")
    url = reverse(f"admin:billing_{model}_change", args=[row.pk])
    page = staff.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert staff.post(url, {"note": "changed", "notes": "changed", "client_email": "x@example.com"}).status_code == 403
    assert not Event.objects.for_org(org).filter(type__endswith=".updated").exists()
