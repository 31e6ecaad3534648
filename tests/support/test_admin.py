"""Ticket admin: tenant scoping, fixed changelist queries, inline messages through the service, filters, restore."""
import pytest
from django.test import Client

from support.models import Ticket, TicketMessage
from tests import factories
from tests.helpers import count_queries
from tests.support.factories import add_employee, add_message, add_tag, make_staff_account, make_ticket

CHANGELIST = "/admin/support/ticket/"


def change_url(ticket):
    return f"/admin/support/ticket/{ticket.pk}/change/"


def login(account) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


@pytest.fixture
def browser(org):
    return login(make_staff_account(org))


def listed(response) -> set:
    assert response.status_code == 200, response.content[:500]
    return {t.pk for t in response.context["cl"].result_list}


def test_staff_sees_only_their_organizations_tickets(browser, org, other_org):
    mine = make_ticket(org)
    theirs = make_ticket(other_org)
    assert listed(browser.get(CHANGELIST)) == {mine.pk}
    assert browser.get(change_url(mine)).status_code == 200
    assert browser.get(change_url(theirs)).status_code in (302, 404)


def test_other_organizations_staff_cannot_see_or_open(org, other_org):
    ticket = make_ticket(org)
    outsider = login(make_staff_account(other_org))
    assert listed(outsider.get(CHANGELIST)) == set()
    assert outsider.get(change_url(ticket)).status_code in (302, 404)
    assert outsider.post(change_url(ticket), {"subject": "hijack"}).status_code in (302, 404)
    ticket.refresh_from_db()
    assert ticket.subject != "hijack"


def test_superuser_sees_every_organization(org, other_org):
    make_ticket(org)
    make_ticket(other_org)
    assert len(listed(login(make_staff_account(None, superuser=True)).get(CHANGELIST))) == 2


def test_changelist_queries_do_not_grow_with_rows(browser, org):
    def add():
        ticket = make_ticket(org, order=factories.make_order(org))
        add_message(ticket)
        add_employee(ticket)
        add_tag(ticket)

    add()
    _, one = count_queries(lambda: browser.get(CHANGELIST))
    for _ in range(4):
        add()
    response, five = count_queries(lambda: browser.get(CHANGELIST))
    assert len(listed(response)) == 5
    assert len(one) == len(five), "\n".join(five)


def test_change_page_renders_inlines(browser, org):
    ticket = make_ticket(org)
    add_message(ticket, message="visible message")
    add_employee(ticket)
    add_tag(ticket, None)
    response = browser.get(change_url(ticket))
    assert response.status_code == 200
    assert b"visible message" in response.content


def test_search_by_subject_and_client_email(browser, org):
    ada = make_ticket(org, factories.make_client(org, email="ada@engines.example.com"), subject="Printer on fire")
    other = make_ticket(org, subject="Something else")
    assert listed(browser.get(CHANGELIST, {"q": "engines.example"})) == {ada.pk}
    assert listed(browser.get(CHANGELIST, {"q": "else"})) == {other.pk}


def test_filters_by_status_and_deleted(browser, org):
    open_ticket = make_ticket(org, status=1)
    closed = make_ticket(org, status=3)
    deleted = make_ticket(org)
    deleted.soft_delete()
    assert listed(browser.get(CHANGELIST, {"status__exact": 3})) == {closed.pk}
    assert listed(browser.get(CHANGELIST, {"deleted": "yes"})) == {deleted.pk}
    assert listed(browser.get(CHANGELIST, {"deleted": "no"})) == {open_ticket.pk, closed.pk}


def test_restore_action(browser, org):
    ticket = make_ticket(org)
    ticket.soft_delete()
    response = browser.post(CHANGELIST, {"action": "restore_selected", "_selected_action": [str(ticket.pk)]})
    assert response.status_code == 302
    assert Ticket.objects.for_org(org).filter(pk=ticket.pk).exists()


def post_data(response) -> dict:
    """The change form as the browser would submit it unchanged (main form, inline management forms, rows)."""
    data = {}

    def put(form, name):
        value = form[name].value()
        if value is None or value is False:
            return
        data[form.add_prefix(name)] = "on" if value is True else value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(formset.management_form, name)
        for row in formset.forms:
            for name in row.fields:
                put(row, name)
    return data


def test_new_inline_message_goes_through_the_service(browser, org, owner):
    ticket = make_ticket(org)
    Ticket.unscoped.filter(pk=ticket.pk).update(updated_at=ticket.created_at)
    data = post_data(browser.get(change_url(ticket)))
    index = int(data["messages-TOTAL_FORMS"])
    data["messages-TOTAL_FORMS"] = str(index + 1)
    data.update({f"messages-{index}-user": str(owner.pk), f"messages-{index}-message": "From the admin",
                 f"messages-{index}-files": "[]"})
    response = browser.post(change_url(ticket), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    message = TicketMessage.unscoped.get(ticket=ticket)
    assert (message.message, message.user_id, message.organization_id) == ("From the admin", owner.pk, org.id)
    assert Ticket.unscoped.get(pk=ticket.pk).last_message_at == message.created_at


def test_status_change_in_the_admin_applies_the_date_closed_rule(browser, org):
    ticket = make_ticket(org)
    data = post_data(browser.get(change_url(ticket)))
    data["status"] = "3"
    assert browser.post(change_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == 3 and ticket.date_closed is not None
    data["status"] = "1"
    assert browser.post(change_url(ticket), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == 1 and ticket.date_closed is None


def test_client_of_another_organization_is_not_a_choice(browser, org, other_org):
    data = post_data(browser.get("/admin/support/ticket/add/"))
    data.update({"subject": "Foreign", "status": "1", "user": str(factories.make_client(other_org).pk)})
    response = browser.post("/admin/support/ticket/add/", data)
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not Ticket.unscoped.exists()


def test_client_is_fixed_once_the_ticket_exists(browser, org, other_org):
    ticket = make_ticket(org)
    data = post_data(browser.get(change_url(ticket)))
    data["user"] = str(factories.make_client(org).pk)
    assert browser.post(change_url(ticket), data).status_code == 302
    assert Ticket.unscoped.get(pk=ticket.pk).user_id == ticket.user_id


@pytest.mark.parametrize("field_name", ["user", "order"])
def test_autocomplete_offers_only_the_organizations_rows(browser, org, other_org, field_name):
    mine = factories.make_order(org, factories.make_client(org, email="mine@example.com"))
    theirs = factories.make_order(other_org, factories.make_client(other_org, email="theirs@example.com"))
    response = browser.get(
        "/admin/autocomplete/", {"app_label": "support", "model_name": "ticket", "field_name": field_name, "term": ""}
    )
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    pick = (lambda o: str(o.user_id)) if field_name == "user" else (lambda o: str(o.pk))
    assert pick(mine) in ids and pick(theirs) not in ids
