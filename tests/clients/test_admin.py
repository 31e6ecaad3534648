"""The clients admin: scoped to the staff account's organization, constant queries, API-equivalent writes."""
import pytest
from django.urls import reverse

from serviceengine.models import Role, User
from tests import factories
from tests.helpers import count_queries, staff_browser

CHANGELIST = reverse("admin:clients_client_changelist")


@pytest.fixture
def browser(org):
    return staff_browser(org)


def test_changelist_shows_only_the_organizations_clients(browser, org, other_org, owner):
    mine = factories.make_client(org, email="mine@example.com", address=factories.make_address(org, city="Oslo"))
    factories.make_client(other_org, email="theirs@example.com")
    response = browser.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    content = response.content.decode()
    assert "mine@example.com" in content and "theirs@example.com" not in content
    assert owner.email not in content  # team members are not clients
    assert "Oslo" in content  # the address summary column


def test_other_organizations_client_cannot_be_opened(browser, other_org):
    theirs = factories.make_client(other_org)
    response = browser.get(reverse("admin:clients_client_change", args=[theirs.pk]))
    assert response.status_code in (302, 404)
    assert browser.get(reverse("admin:clients_client_delete", args=[theirs.pk])).status_code in (302, 404)


def test_search_by_name_email_and_company(browser, org):
    factories.make_client(org, email="ada@example.com", name_f="Ada", company="Engines")
    factories.make_client(org, email="bob@example.com", name_f="Bob", company="Builders")
    for term in ("ada@", "Ada", "Engines"):
        rows = browser.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert [c.email for c in rows] == ["ada@example.com"]


def test_changelist_query_count_is_constant(browser, org):
    def add(n):
        for _ in range(n):
            factories.make_client(org, address=factories.make_address(org))

    add(1)
    _, one = count_queries(lambda: browser.get(CHANGELIST))
    add(30)
    response, many = count_queries(lambda: browser.get(CHANGELIST))
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 31
    assert len(one) == len(many), "\n".join(many)


def test_add_client_gets_the_client_role_and_an_affiliate_link(browser, org):
    address = factories.make_address(org)
    response = browser.post(reverse("admin:clients_client_add"), {
        "email": " New@Example.com ", "name_f": "New", "name_l": "Client", "address": str(address.pk),
        "status": "1", "custom_fields": "{}", "created_at_0": "2026-01-01", "created_at_1": "10:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    client = User.unscoped.get(email="new@example.com")
    assert client.organization == org and client.role == Role.objects.client_role()
    assert client.aff_id and client.aff_link and client.address == address


def test_add_client_with_a_taken_email_is_a_form_error(browser, org, owner):
    response = browser.post(reverse("admin:clients_client_add"), {
        "email": owner.email.upper(), "name_f": "New", "name_l": "Client", "status": "1", "custom_fields": "{}",
        "created_at_0": "2026-01-01", "created_at_1": "10:00:00",
    })
    assert response.status_code == 200
    assert "The email has already been taken." in response.content.decode()


def test_address_choices_are_scoped(browser, org, other_org):
    mine = factories.make_address(org)
    theirs = factories.make_address(other_org)
    response = browser.post(reverse("admin:clients_client_add"), {
        "email": "x@example.com", "name_f": "X", "name_l": "Y", "address": str(theirs.pk), "status": "1",
        "custom_fields": "{}", "created_at_0": "2026-01-01", "created_at_1": "10:00:00",
    })
    assert response.status_code == 200 and not User.unscoped.filter(email="x@example.com").exists()
    autocomplete = browser.get(reverse("admin:autocomplete"), {
        "app_label": "clients", "model_name": "client", "field_name": "address", "term": "",
    })
    assert autocomplete.status_code == 200
    assert str(mine.pk) in autocomplete.content.decode()
    assert str(theirs.pk) not in autocomplete.content.decode()


def test_delete_from_the_admin_follows_the_api_guard(browser, org):
    from tests.clients.factories import make_invoice

    guarded = factories.make_client(org)
    make_invoice(org, guarded)
    address = factories.make_address(org)
    free = factories.make_client(org, address=address)
    response = browser.get(reverse("admin:clients_client_delete", args=[guarded.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:clients_client_change", args=[guarded.pk])
    response = browser.post(reverse("admin:clients_client_delete", args=[free.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.unscoped.filter(pk=free.pk).exists()
    assert User.unscoped.filter(pk=guarded.pk).exists()


def test_bulk_delete_action_reports_refusals(browser, org):
    from tests.clients.factories import make_order

    guarded = factories.make_client(org)
    make_order(org, guarded)
    free = factories.make_client(org)
    page = browser.get(CHANGELIST).content
    assert b'value="delete_selected"' not in page and b'value="delete_clients"' in page
    response = browser.post(CHANGELIST, {"action": "delete_clients", "_selected_action": [guarded.pk, free.pk]},
                            follow=True)
    assert "Cannot delete client with existing orders" in response.content.decode()
    assert User.unscoped.filter(pk=guarded.pk).exists() and not User.unscoped.filter(pk=free.pk).exists()
