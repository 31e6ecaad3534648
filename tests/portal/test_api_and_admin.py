"""The API side of the client loop (issue 15): PDFs, invoice send; and the admin: send actions, signature
evidence, PDF links, stored Stripe events."""
import json
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing import services
from billing.models import InvoiceStatus, StripeEvent
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal
from tests.helpers import staff_browser


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


def test_proposal_pdf_has_items_and_signature_block(api, org):
    service = factories.make_service(org, name="Łódź Branding Sprint")
    proposal = make_proposal(org, status="sent", services_=[service], client_name_f="Zoë", client_name_l="Ångström")
    response = api.get(f"/api/proposals/{proposal.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Acme Agency" in text and "Zoë Ångström" in text and "Lódz Branding Sprint" in text and "100.00" in text
    assert "Signature" not in text
    services.proposal_sign(proposal=proposal)
    text = pdf_text(api.get(f"/api/proposals/{proposal.pk}/pdf").content)
    assert "Signed by: Zoë Ångström" in text and "Document SHA-256" in text


def test_invoice_pdf(api, org):
    invoice = make_invoice(org, items=[item(name="Consulting", quantity=3, amount=40)], tax=5, tax_type=1)
    response = api.get(f"/api/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert invoice.number in text and "Consulting" in text and "120.00" in text and "125.00" in text


def test_pdfs_are_tenant_scoped_and_need_a_token(api, other_api, anon, org):
    proposal, invoice = make_proposal(org), make_invoice(org)
    for url in (f"/api/proposals/{proposal.pk}/pdf", f"/api/invoices/{invoice.pk}/pdf"):
        assert other_api.get(url).status_code == 404
        assert anon.get(url).status_code == 401
    assert api.get("/api/invoices/nope/pdf").status_code == 404


@pytest.mark.parametrize("start, expected", [(0, 1), (1, 1), (7, 7)])
def test_invoice_send_moves_draft_to_unpaid(api, org, start, expected):
    invoice = make_invoice(org, status=start)
    response = api.post(f"/api/invoices/{invoice.pk}/send")
    assert response.status_code == 200, response.content
    assert response.json()["status_id"] == expected and response.json()["id"] == str(invoice.pk)


@pytest.mark.parametrize("start, label", [(3, "Paid"), (4, "Refunded"), (5, "Cancelled")])
def test_invoice_send_refuses_closed_invoices(api, org, start, label):
    invoice = make_invoice(org, status=start)
    response = api.post(f"/api/invoices/{invoice.pk}/send")
    assert response.status_code == 400
    assert response.json() == {"detail": f"Cannot send invoice with status {label}"}


def test_invoice_send_other_org_is_404(other_api, org):
    assert other_api.post(f"/api/invoices/{make_invoice(org).pk}/send").status_code == 404


# --- admin ----------------------------------------------------------------------------------------------------


def test_admin_shows_signature_evidence_and_pdf_links(org, other_org):
    staff = staff_browser(org, "mine")
    proposal = make_proposal(org, status="sent")
    services.proposal_sign(proposal=proposal, signer=services.Signer(name="Pat Signer", ip_address="198.51.100.4",
                                                                     user_agent="UA/1", method="client_page"))
    page = staff.get(reverse("admin:billing_proposal_change", args=[proposal.pk])).content.decode()
    assert "Pat Signer" in page and "198.51.100.4" in page and "signature evidence" in page.lower()
    pdf_url = reverse("admin:billing_proposal_pdf", args=[proposal.pk])
    assert pdf_url in page
    response = staff.get(pdf_url)
    assert response["Content-Type"] == "application/pdf" and "Pat Signer" in pdf_text(response.content)
    theirs = make_invoice(other_org)
    assert staff.get(reverse("admin:billing_invoice_pdf", args=[theirs.pk])).status_code in (302, 404)
    mine = make_invoice(org)
    assert staff.get(reverse("admin:billing_invoice_pdf", args=[mine.pk])).status_code == 200


def test_admin_send_action(org):
    staff = staff_browser(org, "mine")
    draft, paid = make_invoice(org, status=0), make_invoice(org, status=3)
    response = staff.post(reverse("admin:billing_invoice_changelist"),
                          {"action": "send_selected", "_selected_action": [draft.pk, paid.pk]}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.UNPAID
    assert "Cannot send invoice with status Paid" in response.content.decode()


def test_admin_lists_stripe_events_scoped(org, other_org):
    StripeEvent.objects.create(stripe_id="evt_mine", type="checkout.session.completed", payload={},
                               status="processed", organization_ref=org.pk)
    StripeEvent.objects.create(stripe_id="evt_theirs", type="charge.refunded", payload={}, organization_ref=other_org.pk)
    page = staff_browser(org, "mine").get(reverse("admin:billing_stripeevent_changelist")).content.decode()
    assert "evt_mine" in page and "evt_theirs" not in page
    everything = staff_browser(org, "root", superuser=True).get(reverse("admin:billing_stripeevent_changelist"))
    assert "evt_theirs" in everything.content.decode()
    json.dumps({})


def test_invoice_send_records_invoice_sent(api, org):
    from events.models import Event

    invoice = make_invoice(org, status=0)
    assert api.post(f"/api/invoices/{invoice.pk}/send").status_code == 200
    (event,) = Event.unscoped.filter(organization=org, type="invoice.sent")
    assert event.object_id == invoice.pk and event.data["status"] == "Unpaid"
    assert event.previous_attributes["status"] == "Draft" and event.actor_type == "api_token"
    assert api.post(f"/api/invoices/{make_invoice(org, status=3).pk}/send").status_code == 400
    assert Event.unscoped.filter(organization=org, type="invoice.sent").count() == 1  # no event on refusal
