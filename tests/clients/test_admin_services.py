"""The clients admin writes through `clients.services` (issue 12): events with the staff account as the actor,
a refused change is a form error that changes nothing."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from events.models import Event
from serviceengine.models import User
from tests import factories
from tests.helpers import staff_browser

CREATED = {"created_at_0": "2026-01-01", "created_at_1": "10:00:00"}


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def ada() -> dict:
    return {"type": "user", "id": str(get_user_model().objects.get(username="ada").pk), "name": "ada"}


def form(client, **over) -> dict:
    data = {"email": client.email, "name_f": client.name_f, "name_l": client.name_l, "status": str(client.status),
            "custom_fields": "{}", "initial-custom_fields": "{}", **CREATED}
    data.update(over)
    return data


def test_add_records_client_created_as_the_staff(staff, org):
    response = staff.post(reverse("admin:clients_client_add"), {
        "email": "New@Example.com", "name_f": "New", "name_l": "Client", "status": "1", "custom_fields": "{}",
        **CREATED})
    assert response.status_code == 302
    client = User.unscoped.get(email="new@example.com")
    [event] = Event.objects.for_org(org).filter(type="client.created")
    assert (event.object_id, event.actor) == (client.pk, ada())


def test_change_records_client_updated_with_the_previous_values(staff, org):
    client = factories.make_client(org, company="Old Co", created_at="2026-01-01T10:00:00Z")
    address = factories.make_address(org)
    response = staff.post(reverse("admin:clients_client_change", args=[client.pk]),
                          form(client, company="New Co", address=str(address.pk)))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    client.refresh_from_db()
    assert (client.company, client.address_id) == ("New Co", address.pk)
    [event] = Event.objects.for_org(org).filter(type="client.updated")
    assert event.actor == ada() and event.previous_attributes["company"] == "Old Co"


def test_taken_email_on_change_is_a_form_error_and_changes_nothing(staff, org, owner):
    client = factories.make_client(org, created_at="2026-01-01T10:00:00Z")
    response = staff.post(reverse("admin:clients_client_change", args=[client.pk]),
                          form(client, email=owner.email, company="Changed"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["The email has already been taken."]
    assert User.unscoped.get(pk=client.pk).company != "Changed"
    assert not Event.objects.for_org(org).exists()


def test_bulk_delete_records_client_deleted(staff, org):
    client = factories.make_client(org)
    staff.post(reverse("admin:clients_client_changelist"),
               {"action": "delete_clients", "_selected_action": [str(client.pk)]})
    assert not User.unscoped.filter(pk=client.pk).exists()
    [event] = Event.objects.for_org(org).filter(type="client.deleted")
    assert event.actor == ada()
