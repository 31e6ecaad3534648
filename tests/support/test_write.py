"""PUT and DELETE /api/tickets/{id}: partial update rules, date_closed, replacement of sets, soft delete."""
import uuid
import pytest

from orders.models import Tag
from serviceengine.api.fields import format_datetime
from support.models import Ticket, TicketEmployee, TicketMessage, TicketStatus, TicketTag
from tests import factories
from tests.helpers import assert_detail, assert_envelope
from tests.support.conftest import TICKET_KEYS, employee_body
from tests.support.factories import add_employee, add_message, add_tag, at, make_tag, make_ticket

URL = "/api/tickets"
ORDER_MISSING = {"order_id": ["The specified order does not exist."]}
EMPLOYEE_MISSING = {"employees": ["The specified employee does not exist."]}
LONG_AGO = at("2020-01-01T00:00:00")


def put(api, ticket, body):
    return api.put(f"{URL}/{ticket.id}", data=body, format="json")


@pytest.fixture
def ticket(org, client_user, staff):
    ticket = make_ticket(org, client_user, subject="Original", note="keep", metadata={"a": 1})
    add_employee(ticket, staff)
    add_tag(ticket, make_tag(org, "old"))
    Ticket.unscoped.filter(pk=ticket.pk).update(updated_at=LONG_AGO)
    ticket.refresh_from_db()
    return ticket


def test_empty_body_only_bumps_updated_at(api, ticket):
    before = api.get(f"{URL}/{ticket.id}").json()
    response = put(api, ticket, {})
    assert response.status_code == 200, response.content
    after = response.json()
    assert list(after) == TICKET_KEYS
    assert after["updated_at"] > before["updated_at"]
    del after["updated_at"], before["updated_at"]
    assert after == before


def test_nulls_leave_everything_unchanged(api, ticket, staff):
    body = {k: None for k in ("subject", "status", "order_id", "employees", "tags", "note", "metadata")}
    data = put(api, ticket, body).json()
    assert (data["subject"], data["status_id"], data["note"], data["metadata"]) == ("Original", 1, "keep", {"a": 1})
    assert data["tags"] == ["old"] and data["employees"] == [employee_body(staff)]


def test_update_fields(api, ticket):
    body = {"subject": "  New subject ", "note": "changed", "metadata": {"b": [1, {"c": None}]}}
    data = put(api, ticket, body).json()
    assert data["subject"] == "New subject"
    assert data["note"] == "changed"
    assert data["metadata"] == {"b": [1, {"c": None}]}  # replaced, not merged


def test_user_id_and_read_only_fields_are_ignored(api, ticket, org):
    other_client = factories.make_client(org)
    data = put(api, ticket, {"user_id": str(other_client.id), "source": "x", "form_data": {"a": 1},
                             "date_closed": "2020-01-01", "last_message_at": "2020-01-01"}).json()
    assert data["user_id"] == str(ticket.user_id)
    assert (data["source"], data["form_data"], data["date_closed"], data["last_message_at"]) == ("API", {}, None, None)


def test_closing_stamps_date_closed_with_updated_at(api, ticket):
    data = put(api, ticket, {"status": 3}).json()
    assert data["status"] == "Closed" and data["status_id"] == 3
    assert data["date_closed"] is not None
    assert data["date_closed"] == data["updated_at"]
    ticket.refresh_from_db()
    assert ticket.date_closed == ticket.updated_at


def test_closed_to_closed_keeps_date_closed(api, ticket):
    Ticket.unscoped.filter(pk=ticket.pk).update(status=3, date_closed=LONG_AGO)
    data = put(api, ticket, {"status": 3}).json()
    assert data["date_closed"] == format_datetime(LONG_AGO)
    assert data["updated_at"] != data["date_closed"]


@pytest.mark.parametrize("new_status,label", [(1, "Open"), (2, "Pending")])
def test_leaving_closed_clears_date_closed(api, ticket, new_status, label):
    Ticket.unscoped.filter(pk=ticket.pk).update(status=3, date_closed=LONG_AGO)
    data = put(api, ticket, {"status": new_status}).json()
    assert (data["status"], data["status_id"], data["date_closed"]) == (label, new_status, None)


def test_not_closed_to_not_closed_keeps_date_closed(api, ticket):
    data = put(api, ticket, {"status": 2}).json()
    assert data["status"] == "Pending" and data["date_closed"] is None


def test_created_closed_then_closed_again_stays_null(api, ticket):
    # Created Closed (defect 34: no stamp); Closed → Closed leaves date_closed unchanged.
    Ticket.unscoped.filter(pk=ticket.pk).update(status=3)
    assert put(api, ticket, {"status": 3}).json()["date_closed"] is None


def test_status_only_without_status_keeps_date_closed(api, ticket):
    Ticket.unscoped.filter(pk=ticket.pk).update(status=3, date_closed=LONG_AGO)
    assert put(api, ticket, {"subject": "x"}).json()["date_closed"] == format_datetime(LONG_AGO)


def test_link_change_and_unlink_order(api, org, ticket, order):
    data = put(api, ticket, {"order_id": str(order.id)}).json()
    assert data["order_id"] == str(order.id) and data["order"]["id"] == str(order.id)
    other = factories.make_order(org)
    assert put(api, ticket, {"order_id": str(other.id)}).json()["order_id"] == str(other.id)
    assert put(api, ticket, {"order_id": None}).json()["order_id"] == str(other.id)
    data = put(api, ticket, {"order_id": ""}).json()
    assert data["order_id"] is None and data["order"] is None


@pytest.mark.parametrize("kind", ["unknown", "not_uuid", "other_org", "deleted"])
def test_bad_order_is_422(api, org, other_org, ticket, kind):
    order_id = {
        "unknown": lambda: str(uuid.uuid4()),
        "not_uuid": lambda: "abc",
        "other_org": lambda: str(factories.make_order(other_org).id),
        "deleted": lambda: str(_deleted_order(org).id),
    }[kind]()
    assert_envelope(put(api, ticket, {"order_id": order_id, "subject": "changed"}), 422, ORDER_MISSING)
    ticket.refresh_from_db()
    assert ticket.subject == "Original" and ticket.updated_at == LONG_AGO


def _deleted_order(org):
    order = factories.make_order(org)
    order.soft_delete()
    return order


def test_employees_replace_in_assignment_order_and_empty_clears(api, org, ticket, owner):
    members = [factories.make_team_member(org) for _ in range(2)]
    ids = [str(members[1].id), str(owner.id), str(members[0].id), str(owner.id)]
    data = put(api, ticket, {"employees": ids}).json()
    assert [e["id"] for e in data["employees"]] == ids[:3]
    assert put(api, ticket, {"employees": []}).json()["employees"] == []
    assert not TicketEmployee.unscoped.filter(ticket=ticket).exists()


@pytest.mark.parametrize("kind", ["client", "other_org_member", "unknown", "not_uuid"])
def test_bad_employee_is_422_and_nothing_changes(api, org, other_org, ticket, staff, kind):
    bad = {
        "client": lambda: str(factories.make_client(org).id),
        "other_org_member": lambda: str(factories.make_team_member(other_org).id),
        "unknown": lambda: str(uuid.uuid4()),
        "not_uuid": lambda: "x",
    }[kind]()
    response = put(api, ticket, {"employees": [bad], "tags": ["fresh"], "status": 3})
    assert_envelope(response, 422, EMPLOYEE_MISSING)
    assert list(TicketEmployee.unscoped.filter(ticket=ticket).values_list("user_id", flat=True)) == [staff.id]
    assert not Tag.unscoped.filter(name="fresh").exists()
    ticket.refresh_from_db()
    assert ticket.status == 1 and ticket.date_closed is None


def test_order_is_checked_before_employees(api, ticket):
    assert_envelope(put(api, ticket, {"employees": ["x"], "order_id": "y"}), 422, ORDER_MISSING)


def test_tags_replace_and_empty_clears(api, org, ticket):
    data = put(api, ticket, {"tags": ["z", "old", "a", "z"]}).json()
    assert data["tags"] == ["z", "old", "a"]
    assert Tag.objects.for_org(org).filter(name="old").count() == 1
    assert put(api, ticket, {"tags": []}).json()["tags"] == []
    assert not TicketTag.unscoped.filter(ticket=ticket).exists()


def test_update_response_includes_messages(api, ticket):
    message = add_message(ticket)
    assert [m["id"] for m in put(api, ticket, {}).json()["messages"]] == [str(message.id)]


@pytest.mark.parametrize(
    "body,errors",
    [
        ({"subject": ""}, {"subject": ["String should have at least 1 character"]}),
        ({"subject": "  "}, {"subject": ["String should have at least 1 character"]}),
        ({"subject": "x" * 256}, {"subject": ["String should have at most 255 characters"]}),
        ({"status": 0}, {"status": ["Input should be greater than or equal to 1"]}),
        ({"status": 4}, {"status": ["Input should be less than or equal to 3"]}),
        ({"status": "x"}, {"status": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"order_id": 1}, {"order_id": ["Input should be a valid string"]}),
        ({"employees": "x"}, {"employees": ["Input should be a valid list"]}),
        ({"tags": [""]}, {"tags.0": ["String should have at least 1 character"]}),
        ({"note": 1}, {"note": ["Input should be a valid string"]}),
        ({"metadata": [1]}, {"metadata": ["Input should be a valid dictionary"]}),
    ],
)
def test_update_schema_errors(api, ticket, body, errors):
    assert_envelope(put(api, ticket, body), 400, errors)


def test_schema_error_beats_unknown_path_id(api):
    response = api.put(f"{URL}/{uuid.uuid4()}", data={"subject": ""}, format="json")
    assert_envelope(response, 400, {"subject": ["String should have at least 1 character"]})


def test_update_malformed_and_empty_body(api, ticket):
    assert_envelope(api.put(f"{URL}/{ticket.id}", data="{", content_type="application/json"), 400,
                    {"root": ["JSON decode error"]})
    assert_envelope(api.put(f"{URL}/{ticket.id}", data="", content_type="application/json"), 400,
                    {"root": ["Field required"]})


@pytest.mark.parametrize("kind", ["not_uuid", "unknown", "other_org", "deleted"])
def test_update_404(api, org, other_org, kind):
    path_id = {
        "not_uuid": lambda: "abc",
        "unknown": lambda: str(uuid.uuid4()),
        "other_org": lambda: str(make_ticket(other_org).id),
        "deleted": lambda: str(_deleted_ticket(org).id),
    }[kind]()
    assert_detail(api.put(f"{URL}/{path_id}", data={"subject": "x"}, format="json"), 404, "Not Found")


def test_other_org_cannot_update(other_api, ticket):
    assert_detail(put(other_api, ticket, {"subject": "hijack"}), 404, "Not Found")
    ticket.refresh_from_db()
    assert ticket.subject == "Original"


def _deleted_ticket(org):
    ticket = make_ticket(org)
    ticket.soft_delete()
    return ticket


# --- delete ---------------------------------------------------------------------------------------------------------


def test_delete_is_a_soft_delete(api, ticket):
    message = add_message(ticket)
    response = api.delete(f"{URL}/{ticket.id}")
    assert response.status_code == 204 and response.content == b""
    stored = Ticket.unscoped.get(pk=ticket.pk)
    assert stored.deleted_at is not None
    assert stored.updated_at == stored.deleted_at
    assert TicketMessage.unscoped.filter(pk=message.pk).exists()
    assert TicketEmployee.unscoped.filter(ticket=ticket).exists() and TicketTag.unscoped.filter(ticket=ticket).exists()
    assert_detail(api.get(f"{URL}/{ticket.id}"), 404, "Not Found")
    assert_detail(put(api, ticket, {}), 404, "Not Found")
    assert_detail(api.delete(f"{URL}/{ticket.id}"), 404, "Not Found")
    assert api.get(URL).json()["meta"]["total"] == 0


def test_delete_ignores_a_body(api, ticket):
    response = api.delete(f"{URL}/{ticket.id}", data="not json", content_type="application/json")
    assert response.status_code == 204


@pytest.mark.parametrize("path_id", ["abc", str(uuid.uuid4())])
def test_delete_unknown_is_404(api, path_id):
    assert_detail(api.delete(f"{URL}/{path_id}"), 404, "Not Found")


def test_other_org_cannot_delete(other_api, ticket):
    assert_detail(other_api.delete(f"{URL}/{ticket.id}"), 404, "Not Found")
    assert Ticket.objects.for_org(ticket.organization_id).filter(pk=ticket.pk).exists()


def test_status_label_map(ticket):
    assert [TicketStatus(i).label for i in (1, 2, 3)] == ["Open", "Pending", "Closed"]
    ticket.status = 7
    assert ticket.status_label == "Unknown"
