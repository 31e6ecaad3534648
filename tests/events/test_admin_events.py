"""Changes made in the admin through services record their events with the admin user as the actor (issue 13)."""
from django.contrib.auth import get_user_model
from django.urls import reverse

from billing.models import InvoiceStatus
from events.models import Event
from tests.billing.factories import make_invoice, make_proposal
from tests import factories
from tests.helpers import staff_browser


def actor_of(account) -> dict:
    return {"type": "user", "id": str(account.pk), "name": account.get_username()}


def test_admin_actions_record_events_as_the_admin_user(org):
    browser = staff_browser(org, "ada")
    ada = get_user_model().objects.get(username="ada")
    draft = make_proposal(org, client_email="draft@example.com")
    invoice = make_invoice(org, status=InvoiceStatus.UNPAID)
    browser.post(reverse("admin:billing_proposal_changelist"),
                 {"action": "send_selected", "_selected_action": [str(draft.pk)]})
    browser.post(reverse("admin:billing_invoice_changelist"),
                 {"action": "mark_paid_selected", "_selected_action": [str(invoice.pk)]})
    sent = Event.objects.for_org(org).get(type="proposal.sent")
    paid = Event.objects.for_org(org).get(type="invoice.paid")
    assert (sent.object_id, sent.actor) == (draft.pk, actor_of(ada))
    assert (paid.object_id, paid.actor) == (invoice.pk, actor_of(ada))


def test_admin_delete_records_the_deleted_event(org):
    browser = staff_browser(org, "ada")
    service = factories.make_service(org, name="SEO")
    resp = browser.post(reverse("admin:catalog_service_delete", args=[service.pk]), {"post": "yes"})
    assert resp.status_code == 302
    event = Event.objects.for_org(org).get(type="service.deleted")
    assert event.data["name"] == "SEO" and event.actor["type"] == "user"


def test_an_api_request_after_an_admin_request_is_the_tokens(org, api, token):
    staff_browser(org, "ada").get(reverse("admin:index"))
    api.post("/api/clients", {"name_f": "A", "name_l": "B", "email": "ab@example.com"}, format="json")
    assert Event.objects.for_org(org).get(type="client.created").actor["type"] == "api_token"
