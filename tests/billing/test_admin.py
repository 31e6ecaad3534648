"""Billing admin: tenant scoping, workflow actions through the services, filters, search, restore, query counts."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Proposal, ProposalStatus
from orders.models import Order
from tests import factories
from tests.billing.factories import item, make_coupon, make_invoice, make_proposal
from tests.helpers import count_queries, staff_browser


@pytest.fixture
def my_staff(org):
    return staff_browser(org, "mine")


@pytest.fixture
def their_staff(other_org):
    return staff_browser(other_org, "theirs")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", ["proposal", "invoice", "coupon", "subscription"])
def test_changelist_and_change_page_are_scoped(my_staff, their_staff, org, other_org, model):
    def build(organization, marker):
        if model == "proposal":
            return make_proposal(organization, client_email=f"{marker}@example.com")
        if model == "invoice":
            return make_invoice(organization, note=marker, user=factories.make_client(organization, email=f"{marker}@example.com"))
        if model == "coupon":
            return make_coupon(organization, code=marker.upper())
        invoice = make_invoice(organization, recurring={"r_period_l": 1, "r_period_t": "M"},
                               user=factories.make_client(organization, email=f"{marker}@example.com"))
        from billing import services
        services.invoice_mark_paid(invoice=invoice)
        return invoice.subscriptions.get()

    mine, theirs = build(org, "minerow"), build(other_org, "theirrow")
    changelist = reverse(f"admin:billing_{model}_changelist")
    page = my_staff.get(changelist)
    assert page.status_code == 200
    assert b"minerow" in page.content.lower() and b"theirrow" not in page.content.lower()
    assert b"theirrow" in their_staff.get(changelist).content.lower()
    assert my_staff.get(reverse(f"admin:billing_{model}_change", args=[theirs.pk])).status_code in (302, 404)
    assert my_staff.get(reverse(f"admin:billing_{model}_change", args=[mine.pk])).status_code == 200


def test_change_pages_render_items_inline(my_staff, org):
    service = factories.make_service(org, name="Inline Service")
    proposal = make_proposal(org, services_=[service])
    assert b"Inline Service" in my_staff.get(reverse("admin:billing_proposal_change", args=[proposal.pk])).content
    invoice = make_invoice(org, items=[item(name="Inline line")])
    assert b"Inline line" in my_staff.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content


def test_proposals_and_invoices_cannot_be_added_in_the_admin(my_staff):
    assert my_staff.get(reverse("admin:billing_proposal_add")).status_code == 403
    assert my_staff.get(reverse("admin:billing_invoice_add")).status_code == 403


def test_send_action_uses_the_service_and_reports_refusals(my_staff, org):
    draft = make_proposal(org, client_email="draft@example.com")
    sent = make_proposal(org, status="sent", client_email="sent@example.com")
    response = my_staff.post(
        reverse("admin:billing_proposal_changelist"),
        {"action": "send_selected", "_selected_action": [str(draft.pk), str(sent.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == ProposalStatus.SENT and draft.sent_at is not None
    texts = messages_of(response)
    assert "sent@example.com: Cannot send proposal with status Sent" in texts
    assert "Sent 1 proposal(s)." in texts


def test_mark_paid_action_uses_the_service_and_reports_refusals(my_staff, org):
    service = factories.make_service(org)
    unpaid = make_invoice(org, items=[item(service_id=str(service.pk))])
    cancelled = make_invoice(org, status=InvoiceStatus.CANCELLED)
    response = my_staff.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "mark_paid_selected", "_selected_action": [str(unpaid.pk), str(cancelled.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.paysys) == (InvoiceStatus.PAID, "Manual")
    assert Order.unscoped.filter(invoice_id=unpaid.pk).count() == 1
    assert f"{cancelled.number}: Cannot mark Cancelled invoice as paid." in messages_of(response)


def test_filters_search_and_restore(my_staff, org):
    live = make_invoice(org, user=factories.make_client(org, email="findme@example.com"), status=InvoiceStatus.DRAFT)
    dead = make_invoice(org)
    Invoice.unscoped.filter(pk=dead.pk).update(deleted_at=timezone.now())
    url = reverse("admin:billing_invoice_changelist")
    assert live.number.encode() in my_staff.get(url, {"q": "findme@"}).content
    assert dead.number.encode() not in my_staff.get(url, {"q": "findme@"}).content
    assert dead.number.encode() in my_staff.get(url, {"q": dead.number}).content
    drafts = my_staff.get(url, {"status__exact": "0"}).content
    assert live.number.encode() in drafts and dead.number.encode() not in drafts
    deleted = my_staff.get(url, {"deleted": "yes"}).content
    assert dead.number.encode() in deleted and live.number.encode() not in deleted
    my_staff.post(url, {"action": "restore_selected", "_selected_action": [str(dead.pk)]})
    assert Invoice.unscoped.get(pk=dead.pk).deleted_at is None

    proposal = make_proposal(org, client_email="search.me@example.com", status="sent")
    proposals = reverse("admin:billing_proposal_changelist")
    assert b"search.me@example.com" in my_staff.get(proposals, {"q": "search.me"}).content
    assert b"search.me@example.com" in my_staff.get(proposals, {"status__exact": "1"}).content
    assert b"search.me@example.com" not in my_staff.get(proposals, {"status__exact": "0"}).content
    assert Proposal.unscoped.get(pk=proposal.pk).status == ProposalStatus.SENT


def test_bulk_hard_delete_is_not_offered(my_staff, org):
    make_invoice(org)
    page = my_staff.get(reverse("admin:billing_invoice_changelist")).content
    assert b'value="delete_selected"' not in page and b'value="soft_delete_selected"' in page


@pytest.mark.parametrize("model", ["proposal", "invoice"])
def test_changelist_query_count_is_constant(my_staff, org, model):
    def add_rows(count):
        for _ in range(count):
            if model == "proposal":
                make_proposal(org)
            else:
                make_invoice(org)

    url = reverse(f"admin:billing_{model}_changelist")
    add_rows(1)
    _r, one = count_queries(lambda: my_staff.get(url))
    add_rows(6)
    _r, many = count_queries(lambda: my_staff.get(url))
    assert len(one) == len(many), "\n".join(many)
