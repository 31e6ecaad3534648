"""Client pages (issue 15): signed links, the proposal page and its signature, the invoice page and its payment,
the client's own page, and what a bad link gets."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.core import signing
from django.test import Client as BrowserClient
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice, InvoiceStatus, Payment, Proposal, ProposalSignature, ProposalStatus
from orders.models import Order
from portal import links
from portal.models import ClientLink
from portal.services import invoice_link, proposal_link
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal

NOT_FOUND_TEXT = "This link is not valid"


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


@pytest.fixture
def browser():
    return BrowserClient(HTTP_USER_AGENT="Mozilla/5.0 (Phone) TestBrowser/1.0", REMOTE_ADDR="203.0.113.7")


@pytest.fixture
def sent_proposal(org):
    service = factories.make_service(org, name="Monthly SEO Package", description="Keyword research")
    return make_proposal(org, status="sent", services_=[service], client_email="pat@prospect.example.com",
                         client_name_f="Pat", client_name_l="Prospect", notes="Valid for 30 days")


def test_proposal_page_shows_org_items_total_and_form(browser, org, sent_proposal):
    url = proposal_link(proposal=sent_proposal)
    assert url.startswith("http://localhost:8000/portal/")  # no PUBLIC_BASE_URL, no request: the documented default
    response = browser.get(path_of(url))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Agency" in html and "Monthly SEO Package" in html and "100.00" in html
    assert 'name="viewport"' in html and 'name="agree"' in html
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_public_base_url_builds_links(settings, sent_proposal):
    settings.PUBLIC_BASE_URL = "https://app.example.com/"
    assert proposal_link(proposal=sent_proposal).startswith("https://app.example.com/portal/")


def test_sign_on_the_page_records_evidence_and_api_shows_it(browser, api, org, sent_proposal):
    path = path_of(proposal_link(proposal=sent_proposal))
    page = browser.get(path).content.decode()
    shown_sha = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page).group(1)
    response = browser.post(f"{path}/sign", {"name": "  Pat   Prospect ", "agree": "on", "document_sha256": shown_sha})
    assert response.status_code == 302 and response["Location"] == path
    proposal = Proposal.unscoped.get(pk=sent_proposal.pk)
    assert proposal.status == ProposalStatus.SIGNED and proposal.converted_order_id is not None
    signature = ProposalSignature.unscoped.get(proposal=proposal)
    assert signature.name == "Pat Prospect" and signature.email == "pat@prospect.example.com"
    assert signature.ip_address == "203.0.113.7" and "TestBrowser" in signature.user_agent
    assert signature.document_sha256 == shown_sha
    import hashlib
    assert hashlib.sha256(signature.document_html.encode()).hexdigest() == shown_sha
    assert signature.document_html in page  # the stored snapshot is exactly what the page showed

    body = api.get(f"/api/proposals/{proposal.pk}").json()
    assert body["signature"] == {
        "name": "Pat Prospect",
        "email": "pat@prospect.example.com",
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Phone) TestBrowser/1.0",
        "signed_at": body["signed_at"],
        "document_sha256": shown_sha,
    }
    after = browser.get(path).content.decode()
    assert "Signed" in after and shown_sha in after and 'name="agree"' not in after
    pdf = browser.get(f"{path}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Signed by: Pat Prospect" in text and shown_sha in text


def test_signature_is_null_until_signed_and_api_sign_records_one(api, sent_proposal):
    assert api.get(f"/api/proposals/{sent_proposal.pk}").json()["signature"] is None
    response = api.post(f"/api/proposals/{sent_proposal.pk}/sign", HTTP_USER_AGENT="agency-crm/2")
    assert response.status_code == 200
    signature = api.get(f"/api/proposals/{sent_proposal.pk}").json()["signature"]
    assert signature["email"] == "pat@prospect.example.com" and signature["name"] == "Pat Prospect"
    assert signature["user_agent"] == "agency-crm/2" and re.fullmatch(r"[0-9a-f]{64}", signature["document_sha256"])


def test_sign_form_requires_name_and_agreement(browser, sent_proposal):
    path = path_of(proposal_link(proposal=sent_proposal))
    response = browser.post(f"{path}/sign", {"name": "   "})
    assert response.status_code == 400
    assert "Please type your full name." in response.content.decode()
    assert "I agree" in response.content.decode()
    assert Proposal.unscoped.get(pk=sent_proposal.pk).status == ProposalStatus.SENT


def test_double_signing_from_two_tabs_signs_once(browser, sent_proposal):
    path = path_of(proposal_link(proposal=sent_proposal))
    first = browser.post(f"{path}/sign", {"name": "Pat Prospect", "agree": "on"})
    second = browser.post(f"{path}/sign", {"name": "Someone Else", "agree": "on"})
    assert first.status_code == 302
    assert second.status_code == 409 and "already been signed" in second.content.decode()
    assert ProposalSignature.unscoped.filter(proposal_id=sent_proposal.pk).count() == 1
    assert ProposalSignature.unscoped.get(proposal_id=sent_proposal.pk).name == "Pat Prospect"
    assert Order.unscoped.filter(organization_id=sent_proposal.organization_id).count() == 1


def test_a_different_document_hash_signs_nothing(browser, sent_proposal):
    path = path_of(proposal_link(proposal=sent_proposal))
    response = browser.post(f"{path}/sign", {"name": "Pat", "agree": "on", "document_sha256": "0" * 64})
    assert response.status_code == 409
    assert Proposal.unscoped.get(pk=sent_proposal.pk).status == ProposalStatus.SENT


def test_tampered_expired_revoked_and_deleted_links_are_404(browser, settings, sent_proposal):
    url = proposal_link(proposal=sent_proposal)
    path = path_of(url)
    token = path.rsplit("/", 1)[1]
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (tampered, "/portal/garbage", "/portal/" + token[::-1]):
        response = browser.get(bad)
        assert response.status_code == 404 and NOT_FOUND_TEXT in response.content.decode()
        assert browser.post(f"{bad}/sign", {"name": "x", "agree": "on"}).status_code == 404

    link = links.resolve(token)
    ClientLink.unscoped.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert browser.get(path).status_code == 404
    ClientLink.unscoped.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert browser.get(path).status_code == 200
    settings.CLIENT_LINK_MAX_AGE_DAYS = 0  # the signed timestamp is older than the allowed age
    assert browser.get(path).status_code == 404
    settings.CLIENT_LINK_MAX_AGE_DAYS = 30
    links.revoke(link=link)
    assert browser.get(path).status_code == 404

    other = path_of(proposal_link(proposal=sent_proposal))
    assert browser.get(other).status_code == 200
    Proposal.unscoped.filter(pk=sent_proposal.pk).update(deleted_at=timezone.now())
    assert browser.get(other).status_code == 404


def test_a_forged_token_for_another_organization_opens_nothing(browser, org, other_org, sent_proposal):
    link = links.resolve(path_of(proposal_link(proposal=sent_proposal)).rsplit("/", 1)[1])
    # Properly signed, but naming the link under the other organization: the lookup is scoped, nothing found.
    forged = signing.dumps({"o": str(other_org.pk), "l": str(link.pk)}, salt=links.SALT, compress=True)
    assert browser.get(f"/portal/{forged}").status_code == 404
    # Signed with another key: refused.
    foreign = signing.dumps({"o": str(org.pk), "l": str(link.pk)}, key="another-secret", salt=links.SALT)
    assert browser.get(f"/portal/{foreign}").status_code == 404


def test_invoice_page_pay_in_simulated_mode(browser, simulated, org):
    client = factories.make_client(org, email="ada@example.com")
    invoice = make_invoice(org, user=client, items=[item(name="Consulting", quantity=2)], status=0)
    path = path_of(invoice_link(invoice=invoice))
    page = browser.get(path).content.decode()
    assert "Acme Agency" in page and "Consulting" in page and "100.00" in page and 'id="pay-button"' in page
    go = browser.post(f"{path}/pay")
    assert go.status_code == 302 and go["Location"] == f"{path}/pay/simulated"
    assert "Complete payment" in browser.get(f"{path}/pay/simulated").content.decode()
    done = browser.post(f"{path}/pay/simulated")
    assert done.status_code == 302
    invoice = Invoice.unscoped.get(pk=invoice.pk)
    assert invoice.status == InvoiceStatus.PAID and invoice.transaction_id.startswith("txn_")
    assert invoice.ip_address == "203.0.113.7"
    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    receipt = browser.get(path).content.decode()
    assert 'id="receipt"' in receipt and invoice.transaction_id in receipt
    text = pdf_text(browser.get(f"{path}/pdf").content)
    assert invoice.number in text and "Receipt" in text and "100.00" in text
    # Paying again changes nothing.
    assert browser.post(f"{path}/pay/simulated").status_code == 302
    assert Payment.unscoped.filter(invoice=invoice).count() == 1


def test_simulated_checkout_is_404_when_stripe_is_configured(browser, stripe_mode, org):
    invoice = make_invoice(org)
    path = path_of(invoice_link(invoice=invoice))
    assert browser.post(f"{path}/pay/simulated").status_code == 404


def test_pay_without_payment_configuration_explains(browser, payments_off, org):
    invoice = make_invoice(org)
    path = path_of(invoice_link(invoice=invoice))
    assert 'id="pay-button"' not in browser.get(path).content.decode()
    assert browser.post(f"{path}/pay").status_code == 503


def test_a_proposal_link_does_not_open_invoice_actions(browser, simulated, sent_proposal):
    path = path_of(proposal_link(proposal=sent_proposal))
    assert browser.post(f"{path}/pay").status_code == 404
    assert browser.post(f"{path}/pay/simulated").status_code == 404


def test_magic_link_lists_the_clients_own_records(api, browser, org, other_org, other_api):
    client = factories.make_client(org, email="ada@example.com", name_f="Ada", name_l="Lovelace")
    stranger = factories.make_client(org, email="bob@example.com")
    mine = make_invoice(org, user=client)
    theirs = make_invoice(org, user=stranger)
    make_proposal(org, client_email="ada@example.com")
    response = api.post(f"/api/clients/{client.pk}/magic_link")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"url", "expires_at"} and body["url"].startswith("http://testserver/portal/")
    assert body["expires_at"].endswith("+00:00")
    page = browser.get(path_of(body["url"])).content.decode()
    assert "Ada Lovelace" in page and mine.number in page and theirs.number not in page
    assert 'id="proposals"' in page and "No proposals." not in page
    assert other_api.post(f"/api/clients/{client.pk}/magic_link").status_code == 404
    assert api.post("/api/clients/not-a-uuid/magic_link").status_code == 404


def test_pay_with_stripe_opens_a_checkout_session_with_the_invoice_metadata(browser, stripe_mode, org):
    client = factories.make_client(org, email="ada@example.com")
    invoice = make_invoice(org, user=client, items=[item(name="Audit", quantity=2, amount=60)])
    path = path_of(invoice_link(invoice=invoice))
    response = browser.post(f"{path}/pay")
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.test/c/pay/cs_fake_")
    (request,) = stripe_mode.requests
    params = request["params"]
    assert request["path"] == "/v1/checkout/sessions"
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "12000"
    assert params["line_items[0][price_data][currency]"] == "usd"
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert params[f"{prefix}[organization_id]"] == str(org.pk)
        assert params[f"{prefix}[invoice_id]"] == str(invoice.pk)
    assert params["success_url"] == f"http://testserver{path}?paid=1"
    assert params["customer_email"] == "ada@example.com"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.UNPAID  # paid only by Stripe's event
    back = browser.get(f"{path}?paid=1").content.decode()
    assert "being confirmed" in back


def test_pay_with_stripe_down_explains(browser, stripe_mode, org):
    stripe_mode.mode = "error"
    invoice = make_invoice(org)
    response = browser.post(f"{path_of(invoice_link(invoice=invoice))}/pay")
    assert response.status_code == 503 and "unavailable" in response.content.decode()
