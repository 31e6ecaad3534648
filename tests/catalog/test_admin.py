"""The catalog admin: scoped to the staff account's organization, soft-deleted services restorable, constant
queries on the changelists."""
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.urls import reverse

from catalog.models import Service, ServiceEmployee
from tests import factories
from tests.catalog.factories import make_folder
from tests.helpers import count_queries, staff_browser

SERVICES = reverse("admin:catalog_service_changelist")
FOLDERS = reverse("admin:catalog_servicefolder_changelist")
DELETED_AT = datetime(2025, 1, 1, tzinfo=dt_timezone.utc)


@pytest.fixture
def browser(org):
    return staff_browser(org)


def test_services_changelist_is_scoped_and_shows_deleted_rows(browser, org, other_org):
    live = factories.make_service(org, name="Live one")
    deleted = factories.make_service(org, name="Deleted one", deleted_at=DELETED_AT)
    factories.make_service(other_org, name="Their service")
    rows = set(browser.get(SERVICES).context["cl"].result_list)
    assert rows == {live, deleted}
    assert list(browser.get(SERVICES, {"deleted": "yes"}).context["cl"].result_list) == [deleted]
    assert list(browser.get(SERVICES, {"q": "Live"}).context["cl"].result_list) == [live]


def test_services_filters(browser, org):
    one_time = factories.make_service(org, recurring=0, currency="USD", public=True)
    recurring = factories.make_service(org, recurring=1, currency="EUR", public=False)
    assert list(browser.get(SERVICES, {"recurring__exact": "1"}).context["cl"].result_list) == [recurring]
    assert list(browser.get(SERVICES, {"currency": "USD"}).context["cl"].result_list) == [one_time]
    assert list(browser.get(SERVICES, {"public__exact": "0"}).context["cl"].result_list) == [recurring]


def test_folder_filter_offers_only_the_organizations_folders(browser, org, other_org):
    mine = make_folder(org, name="Mine folder")
    make_folder(other_org, name="Their folder")
    factories.make_service(org, folder=mine)
    factories.make_service(other_org, folder=make_folder(other_org, name="Their used folder"))
    content = browser.get(SERVICES).content.decode()
    assert "Mine folder" in content and "Their" not in content


def test_other_organizations_service_cannot_be_opened(browser, other_org):
    theirs = factories.make_service(other_org)
    assert browser.get(reverse("admin:catalog_service_change", args=[theirs.pk])).status_code in (302, 404)
    folder = make_folder(other_org)
    assert browser.get(reverse("admin:catalog_servicefolder_change", args=[folder.pk])).status_code in (302, 404)


def test_restore_action_undoes_a_soft_delete(browser, org, other_org):
    deleted = factories.make_service(org, deleted_at=DELETED_AT)
    theirs = factories.make_service(other_org, deleted_at=DELETED_AT)
    response = browser.post(SERVICES, {
        "action": "restore_selected", "_selected_action": [str(deleted.pk), str(theirs.pk)],
    })
    assert response.status_code == 302
    deleted.refresh_from_db()
    theirs.refresh_from_db()
    assert deleted.deleted_at is None and theirs.deleted_at is not None


def test_change_page_shows_assigned_team_members(browser, org, owner):
    service = factories.make_service(org)
    ServiceEmployee.unscoped.create(service=service, user=owner)
    response = browser.get(reverse("admin:catalog_service_change", args=[service.pk]))
    assert response.status_code == 200
    assert owner.email in response.content.decode()


def test_add_service_is_stamped_with_the_organization(browser, org, other_org):
    folder = make_folder(org)
    response = browser.post(reverse("admin:catalog_service_add"), {
        "name": "Admin made", "recurring": "0", "currency": "USD", "multi_order": "on", "public": "on",
        "metadata": "{}", "folder": str(folder.pk),
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.unscoped.get(name="Admin made")
    assert service.organization == org and service.folder == folder
    theirs = make_folder(other_org)
    response = browser.post(reverse("admin:catalog_service_add"), {
        "name": "Bad folder", "recurring": "0", "currency": "USD", "metadata": "{}",
        "folder": str(theirs.pk),
    })
    assert response.status_code == 200 and not Service.unscoped.filter(name="Bad folder").exists()


@pytest.mark.parametrize("url", [SERVICES, FOLDERS])
def test_changelist_query_count_is_constant(browser, org, url):
    def add(n):
        for _ in range(n):
            factories.make_service(org, folder=make_folder(org))

    add(1)
    _, one = count_queries(lambda: browser.get(url))
    add(30)
    response, many = count_queries(lambda: browser.get(url))
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 31
    assert len(one) == len(many), "\n".join(many)


def test_form_assigns_team_members_only(browser, org, owner):
    service = factories.make_service(org, name="S")
    client = factories.make_client(org)
    url = reverse("admin:catalog_service_change", args=[service.pk])
    base = {"name": "S", "recurring": "0", "currency": "USD", "sort_order": "0", "metadata": "{}"}
    response = browser.post(url, {**base, "assigned_employees": [str(client.pk)]})
    assert response.status_code == 200 and not ServiceEmployee.unscoped.exists()
    response = browser.post(url, {**base, "assigned_employees": [str(owner.pk)]})
    assert response.status_code == 302
    assert list(ServiceEmployee.unscoped.values_list("user_id", flat=True)) == [owner.pk]


def test_admin_delete_is_a_soft_delete(browser, org):
    service = factories.make_service(org)
    page = browser.get(SERVICES).content
    assert b'value="delete_selected"' not in page and b'value="soft_delete_selected"' in page
    response = browser.post(reverse("admin:catalog_service_delete", args=[service.pk]), {"post": "yes"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.deleted_at is not None
