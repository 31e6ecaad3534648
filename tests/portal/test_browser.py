"""A real browser on the client pages (issue 15): Playwright drives the system's Chromium (installed by `.ci/run`
from Debian's packages) against a live server: open a proposal link and sign it, open an invoice link and pay it
in simulated mode. Skipped, saying why, where no Chromium is installed."""
import os
import shutil

import pytest

from billing.models import Invoice, InvoiceStatus, Proposal, ProposalSignature, ProposalStatus
from portal.services import invoice_link, proposal_link
from tests import factories
from tests.billing.factories import item, make_invoice, make_proposal

CHROMIUM = next(
    (path for path in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser"))
     if path),
    None,
)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium; .ci/run does)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes between page actions
    # are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, user_agent="PlaywrightPhone/1.0")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def test_sign_a_proposal_then_pay_an_invoice_in_a_browser(live_server, browser_page, settings):
    settings.STRIPE_SECRET_KEY, settings.PAYMENTS_SIMULATED = "", True
    org = factories.make_org(slug="browser-co", name="Browser Co")
    service = factories.make_service(org, name="Website Redesign")
    proposal = make_proposal(org, status="sent", services_=[service], client_email="pat@prospect.example.com")
    page = browser_page

    page.goto(proposal_link(proposal=proposal, base=live_server.url))
    assert page.locator("header").inner_text().strip() == "Browser Co"
    assert "Website Redesign" in page.content()
    page.fill("#name", "Pat Prospect")
    page.check("#agree")
    page.click("#sign-button")
    page.wait_for_selector("#signature")
    assert page.locator("#status").inner_text() == "Signed"
    proposal = Proposal.unscoped.get(pk=proposal.pk)
    assert proposal.status == ProposalStatus.SIGNED
    signature = ProposalSignature.unscoped.get(proposal=proposal)
    assert signature.name == "Pat Prospect" and signature.user_agent == "PlaywrightPhone/1.0"
    assert signature.ip_address == "127.0.0.1"

    client = factories.make_client(org, email="ada@example.com")
    invoice = make_invoice(org, user=client, items=[item(name="Hosting", amount=80)])
    page.goto(invoice_link(invoice=invoice, base=live_server.url))
    assert "Hosting" in page.content() and "80.00" in page.locator("#total").inner_text()
    page.click("#pay-button")
    page.wait_for_selector("#complete-payment")
    page.click("#complete-payment")
    page.wait_for_selector("#receipt")
    assert page.locator("#status").inner_text() == "Paid"
    assert Invoice.unscoped.get(pk=invoice.pk).status == InvoiceStatus.PAID
