"""The catalog admin writes services through `catalog.services` (issue 12): events with the staff account as the
actor, team members and folder through the same service call, a refused write changes nothing."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog.models import Service, ServiceEmployee
from events.models import Event
from tests import factories
from tests.catalog.factories import make_folder
from tests.helpers import staff_browser


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def ada() -> dict:
    return {"type": "user", "id": str(get_user_model().objects.get(username="ada").pk), "name": "ada"}


BASE = {"recurring": "0", "currency": "USD", "metadata": "{}", "initial-metadata": "{}"}


def test_add_records_service_created_with_its_team(staff, org, owner):
    folder = make_folder(org)
    response = staff.post(reverse("admin:catalog_service_add"), {
        **BASE, "name": "Logo design", "price": "250.00", "folder": str(folder.pk),
        "assigned_employees": [str(owner.pk)]})
    assert response.status_code == 302
    service = Service.unscoped.get(name="Logo design")
    assert (service.folder_id, service.sort_order, str(service.price)) == (folder.pk, 0, "250.00")
    assert list(ServiceEmployee.unscoped.filter(service=service).values_list("user_id", flat=True)) == [owner.pk]
    [event] = Event.objects.for_org(org).filter(type="service.created")
    assert (event.object_id, event.actor) == (service.pk, ada())


def test_change_records_service_updated(staff, org):
    service = factories.make_service(org, name="Old", price="10.00")
    response = staff.post(reverse("admin:catalog_service_change", args=[service.pk]), {
        **BASE, "name": "New", "price": "10.00", "sort_order": "3"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name, service.sort_order) == ("New", 3)
    [event] = Event.objects.for_org(org).filter(type="service.updated")
    assert event.actor == ada() and event.previous_attributes["name"] == "Old"


def test_delete_action_records_service_deleted(staff, org):
    service = factories.make_service(org)
    staff.post(reverse("admin:catalog_service_changelist"),
               {"action": "soft_delete_selected", "_selected_action": [str(service.pk)]})
    assert Service.unscoped.get(pk=service.pk).deleted_at is not None
    assert Event.objects.for_org(org).get(type="service.deleted").actor == ada()
