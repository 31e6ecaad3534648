"""The ticket admin writes through `support.services` (issue 12): add/change are `ticket_create` /
`ticket_update` with the staff account as the events' actor, the close action is `ticket_close` (one
`ticket.closed` per ticket, an already closed ticket reported and left alone), soft delete is `ticket_delete`."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from events.models import Event
from support.models import Ticket, TicketEmployee, TicketMessage, TicketStatus, TicketTag
from tests import factories
from tests.helpers import staff_browser
from tests.support.factories import add_message, make_ticket
from tests.support.test_admin import post_data

CHANGELIST = "/admin/support/ticket/"


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def ada() -> dict:
    return {"type": "user", "id": str(get_user_model().objects.get(username="ada").pk), "name": "ada"}


def types(org) -> list[str]:
    return list(Event.objects.for_org(org).order_by("created_at", "id").values_list("type", flat=True))


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_add_form_creates_the_ticket_through_the_service(staff, org, owner):
    client = factories.make_client(org)
    add = reverse("admin:support_ticket_add")
    data = post_data(staff.get(add))
    data.update({"user": str(client.pk), "subject": "Broken link", "status": "1", "metadata": "{}",
                 "assigned_employees": [str(owner.pk)], "tag_names": "urgent"})
    response = staff.post(add, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    ticket = Ticket.unscoped.get(organization=org)
    assert (ticket.subject, ticket.source, ticket.user_id) == ("Broken link", "Admin", client.pk)
    assert [link.user_id for link in TicketEmployee.unscoped.filter(ticket=ticket)] == [owner.pk]
    assert [link.tag.name for link in TicketTag.unscoped.filter(ticket=ticket)] == ["urgent"]
    [event] = Event.objects.for_org(org).filter(type="ticket.created")
    assert (event.object_id, event.actor) == (ticket.pk, ada())


def test_change_to_closed_records_updated_and_closed_as_the_staff(staff, org):
    ticket = make_ticket(org)
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    data = post_data(staff.get(url))
    data.update({"status": str(TicketStatus.CLOSED), "initial-metadata": "{}", "metadata": "{}"})
    assert staff.post(url, data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.date_closed == ticket.updated_at
    assert types(org) == ["ticket.updated", "ticket.closed"]
    assert {e.actor["id"] for e in Event.objects.for_org(org)} == {ada()["id"]}


def test_close_action_closes_each_ticket_once(staff, org):
    open_ticket = make_ticket(org, subject="Open one")
    closed = make_ticket(org, subject="Closed one", status=TicketStatus.CLOSED)
    response = staff.post(CHANGELIST, {"action": "close_selected",
                                       "_selected_action": [str(open_ticket.pk), str(closed.pk)]}, follow=True)
    assert "Closed 1 ticket(s)." in texts(response)
    assert "Closed one: Ticket is already closed" in texts(response)
    open_ticket.refresh_from_db()
    assert open_ticket.status == TicketStatus.CLOSED and open_ticket.date_closed is not None
    [event] = Event.objects.for_org(org).filter(type="ticket.closed")
    assert (event.object_id, event.actor) == (open_ticket.pk, ada())


def test_close_action_on_a_closed_ticket_changes_nothing(staff, org):
    closed = make_ticket(org, subject="Closed one", status=TicketStatus.CLOSED)
    before = Ticket.unscoped.filter(pk=closed.pk).values().get()
    response = staff.post(CHANGELIST, {"action": "close_selected", "_selected_action": [str(closed.pk)]}, follow=True)
    assert response.status_code == 200
    assert texts(response) == ["Closed one: Ticket is already closed"]
    assert Ticket.unscoped.filter(pk=closed.pk).values().get() == before
    assert types(org) == []


def test_refused_change_is_a_form_error_and_changes_nothing(staff, org, other_org):
    ticket = make_ticket(org, subject="Before")
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    data = post_data(staff.get(url))
    data.update({"subject": "After", "tag_names": "x" * 256})
    response = staff.post(url, data)
    assert response.status_code == 200 and "tag_names" in response.context["adminform"].form.errors
    assert Ticket.unscoped.get(pk=ticket.pk).subject == "Before" and types(org) == []


def test_existing_messages_are_read_only_and_deletable(staff, org, owner):
    ticket = make_ticket(org)
    keep, drop = add_message(ticket, owner, message="Keep me"), add_message(ticket, owner, message="Drop me")
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    data = post_data(staff.get(url))
    data.update({"metadata": "{}", "initial-metadata": "{}"})  # unchanged, as a browser posts it
    rows = {str(data[f"messages-{i}-id"]): i for i in range(2)}
    data[f"messages-{rows[str(keep.pk)]}-message"] = "Edited"
    data[f"messages-{rows[str(drop.pk)]}-DELETE"] = "on"
    assert staff.post(url, data).status_code == 302
    assert [m.message for m in TicketMessage.unscoped.filter(ticket=ticket)] == ["Keep me"]
    assert Ticket.unscoped.get(pk=ticket.pk).last_message_at == keep.created_at
    [event] = Event.objects.for_org(org)  # the edit of "Keep me" was ignored: only the deletion is an event
    assert (event.type, event.object_id, event.actor) == ("ticket_message.deleted", drop.pk, ada())


def test_soft_delete_action_goes_through_the_service(staff, org):
    ticket = make_ticket(org)
    staff.post(CHANGELIST, {"action": "soft_delete_selected", "_selected_action": [str(ticket.pk)]})
    assert Ticket.unscoped.get(pk=ticket.pk).deleted_at is not None
    [event] = Event.objects.for_org(org).filter(type="ticket.deleted")
    assert event.actor == ada()
