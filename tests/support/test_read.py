"""GET /api/tickets and GET /api/tickets/{id}: shapes, messages, 404s, filters, sorting, method routing."""
import uuid
from datetime import timedelta

import pytest

from serviceengine.api.fields import format_datetime
from support.models import TicketStatus
from tests import factories
from tests.helpers import assert_detail, assert_envelope
from tests.support.conftest import LIST_KEYS, TICKET_KEYS, client_body, employee_body
from tests.support.factories import add_employee, add_message, add_tag, at, make_tag, make_ticket

URL = "/api/tickets"
BASE = "http://testserver/api/tickets"


def detail(ticket):
    return f"{URL}/{ticket.id}"


# --- retrieve -----------------------------------------------------------------------------------------------------


def test_retrieve_returns_the_whole_object(api, org, client_user, order, staff):
    ticket = make_ticket(
        org, client_user, order=order, status=TicketStatus.PENDING, note="n", metadata={"channel": "email"},
        last_message_at=at("2026-02-08T10:05:00"),
    )
    add_employee(ticket, staff)
    add_tag(ticket, make_tag(org, "urgent"))
    message = add_message(ticket, client_user, message="Hello", staff_only=True, files=[{"name": "a.png"}])
    body = api.get(detail(ticket)).json()
    assert list(body) == TICKET_KEYS
    ticket.refresh_from_db()
    assert body == {
        "id": str(ticket.id),
        "subject": ticket.subject,
        "user_id": str(client_user.id),
        "order_id": str(order.id),
        "status": "Pending",
        "status_id": 2,
        "source": "API",
        "note": "n",
        "form_data": {},
        "metadata": {"channel": "email"},
        "tags": ["urgent"],
        "employees": [employee_body(staff)],
        "client": client_body(client_user),
        "order": {
            "id": str(order.id),
            "status": "In Progress",
            "service": "Monthly SEO Package",
            "price": 299.0,
            "quantity": 1,
            "created_at": format_datetime(order.created_at),
        },
        "messages": [
            {
                "id": str(message.id),
                "ticket_id": str(ticket.id),
                "user_id": str(client_user.id),
                "message": "Hello",
                "staff_only": True,
                "files": [{"name": "a.png"}],
                "created_at": format_datetime(message.created_at),
            }
        ],
        "created_at": format_datetime(ticket.created_at),
        "updated_at": format_datetime(ticket.updated_at),
        "last_message_at": "2026-02-08T10:05:00+00:00",
        "date_closed": None,
    }


def test_messages_are_oldest_first_with_id_tie_break(api, org):
    ticket = make_ticket(org)
    late = add_message(ticket, created_at=at("2026-03-01T12:00:00"))
    same_a = add_message(ticket, created_at=at("2026-02-01T12:00:00"))
    same_b = add_message(ticket, created_at=at("2026-02-01T12:00:00"))
    early = add_message(ticket, created_at=at("2026-01-01T12:00:00"))
    ids = [m["id"] for m in api.get(detail(ticket)).json()["messages"]]
    tied = sorted([str(same_a.id), str(same_b.id)])
    assert ids == [str(early.id), *tied, str(late.id)]


def test_message_of_a_deleted_author_has_null_user_id(api, org):
    ticket = make_ticket(org)
    author = factories.make_team_member(org)
    add_message(ticket, author)
    author.delete()
    message = api.get(detail(ticket)).json()["messages"][0]
    assert message["user_id"] is None and message["files"] == [] and message["staff_only"] is False


def test_order_soft_deleted_since_linking_is_null(api, org, order):
    ticket = make_ticket(org, order=order)
    order.soft_delete()
    body = api.get(detail(ticket)).json()
    assert body["order"] is None
    assert body["order_id"] == str(order.id)


def test_order_with_unknown_status_and_fractional_price(api, org, client_user):
    from decimal import Decimal

    odd = factories.make_order(org, client_user, status=9, price=Decimal("12.34"), quantity=3, service_name="X")
    summary = api.get(detail(make_ticket(org, order=odd))).json()["order"]
    assert (summary["status"], summary["price"], summary["quantity"], summary["service"]) == ("Unknown", 12.34, 3, "X")


def test_client_and_order_of_another_organization_are_never_shown(api, org, other_org):
    # Rows the API cannot produce (the body ids are resolved in the organization), written directly here.
    foreign_client = factories.make_client(other_org)
    ticket = make_ticket(org, foreign_client, order=factories.make_order(other_org, foreign_client))
    body = api.get(detail(ticket)).json()
    assert body["client"] is None and body["order"] is None
    assert api.get(URL).json()["data"][0]["client"] is None


@pytest.mark.parametrize("path_id", ["abc", "123", str(uuid.uuid4()), "00000000-0000-0000-0000-00000000000g"])
def test_retrieve_unknown_is_404(api, path_id):
    assert_detail(api.get(f"{URL}/{path_id}"), 404, "Not Found")


def test_retrieve_accepts_an_uppercase_id(api, org):
    ticket = make_ticket(org)
    assert api.get(f"{URL}/{str(ticket.id).upper()}").status_code == 200


def test_retrieve_other_organizations_ticket_is_404(api, other_org):
    assert_detail(api.get(detail(make_ticket(other_org))), 404, "Not Found")


def test_retrieve_soft_deleted_is_404(api, org):
    ticket = make_ticket(org)
    ticket.soft_delete()
    assert_detail(api.get(detail(ticket)), 404, "Not Found")


def test_unauthenticated(anon, org):
    ticket = make_ticket(org)
    assert_detail(anon.get(URL), 401, "Unauthorized")
    assert_detail(anon.get(detail(ticket)), 401, "Unauthorized")
    assert_detail(anon.put(detail(ticket), data={}, format="json"), 401, "Unauthorized")
    assert_detail(anon.delete(detail(ticket)), 401, "Unauthorized")


@pytest.mark.parametrize("method,path", [("patch", "detail"), ("post", "detail"), ("put", "list"), ("delete", "list"),
                                         ("patch", "list")])
def test_unrouted_methods_are_405(api, org, method, path):
    url = detail(make_ticket(org)) if path == "detail" else URL
    response = getattr(api, method)(url, data={}, format="json")
    assert_detail(response, 405, "Method Not Allowed")


# --- list ---------------------------------------------------------------------------------------------------------


def test_list_rows_have_17_keys_and_the_envelope(api, org, client_user, order, staff):
    ticket = make_ticket(org, client_user, order=order)
    add_employee(ticket, staff)
    add_tag(ticket, make_tag(org, "b"))
    add_tag(ticket, make_tag(org, "a"))
    add_message(ticket)
    body = api.get(URL).json()
    assert body["links"] == {"first": f"{BASE}?page=1&limit=20", "last": f"{BASE}?page=1&limit=20", "prev": None,
                             "next": None}
    assert body["meta"] == {"current_page": 1, "from": 1, "to": 1, "last_page": 1, "per_page": 20, "total": 1,
                            "path": BASE}
    [row] = body["data"]
    assert list(row) == LIST_KEYS
    full = api.get(detail(ticket)).json()
    assert row == {k: v for k, v in full.items() if k not in ("order", "messages")}
    assert row["tags"] == ["b", "a"] and row["employees"] == [employee_body(staff)]


def test_list_excludes_soft_deleted_and_other_organizations(api, org, other_org):
    live = make_ticket(org)
    make_ticket(org).soft_delete()
    make_ticket(other_org)
    body = api.get(URL).json()
    assert [r["id"] for r in body["data"]] == [str(live.id)]
    assert body["meta"]["total"] == 1


def test_list_default_sort_is_created_at_desc_then_id(api, org):
    old = make_ticket(org, created_at=at("2026-01-01T00:00:00"))
    new = make_ticket(org, created_at=at("2026-02-01T00:00:00"))
    tie_a = make_ticket(org, created_at=at("2026-01-15T00:00:00"))
    tie_b = make_ticket(org, created_at=at("2026-01-15T00:00:00"))
    ids = [r["id"] for r in api.get(URL).json()["data"]]
    assert ids == [str(new.id), *sorted([str(tie_a.id), str(tie_b.id)]), str(old.id)]


@pytest.fixture
def three(org):
    a = make_ticket(org, subject="bravo", status=2, created_at=at("2026-01-02T00:00:00"),
                    last_message_at=at("2026-03-01T00:00:00"))
    b = make_ticket(org, subject="alpha", status=3, created_at=at("2026-01-03T00:00:00"))
    c = make_ticket(org, subject="charlie", status=1, created_at=at("2026-01-01T00:00:00"),
                    last_message_at=at("2026-02-01T00:00:00"))
    return a, b, c


def ids_of(response):
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["data"]]


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("subject:asc", "bac"),
        ("subject:desc", "cab"),
        ("status:asc", "cab"),
        ("status", "bac"),
        ("created_at:asc", "cab"),
        ("last_message_at:asc", "cab"),  # nulls last when ascending
        ("last_message_at:desc", "bac"),  # nulls first when descending
        ("nope:asc", "cab"),  # unknown field → created_at, here ascending
        ("nope", "bac"),
        ("subject:ASC", "cab"),  # only exactly `asc` is ascending
    ],
)
def test_sorting(api, three, sort, expected):
    by_name = dict(zip("abc", three))
    assert ids_of(api.get(URL, {"sort": sort})) == [str(by_name[k].id) for k in expected]


def test_sort_by_id_user_id_and_order_id(api, org, three):
    assert ids_of(api.get(URL, {"sort": "id:asc"})) == sorted(str(t.id) for t in three)
    by_user = sorted(three, key=lambda t: str(t.user_id))
    assert ids_of(api.get(URL, {"sort": "user_id:asc"})) == [str(t.id) for t in by_user]
    linked = make_ticket(org, order=factories.make_order(org), created_at=at("2020-01-01T00:00:00"))
    assert ids_of(api.get(URL, {"sort": "order_id:asc"}))[0] == str(linked.id)


def test_filter_by_user_id(api, org, client_user):
    mine = make_ticket(org, client_user)
    make_ticket(org)
    assert ids_of(api.get(URL, {"filters[user_id][$eq]": str(client_user.id)})) == [str(mine.id)]


def test_filter_by_status(api, three):
    a, b, c = three
    assert ids_of(api.get(URL, {"filters[status][$eq]": "3"})) == [str(b.id)]
    assert set(ids_of(api.get(URL, {"filters[status][$in][]": ["1", "2"]}))) == {str(a.id), str(c.id)}
    assert ids_of(api.get(URL, {"filters[status][$gt]": "2"})) == [str(b.id)]


def test_filter_by_order_id_including_null(api, org, order):
    linked = make_ticket(org, order=order)
    unlinked = make_ticket(org)
    assert ids_of(api.get(URL, {"filters[order_id][$eq]": "null"})) == [str(unlinked.id)]
    assert ids_of(api.get(URL, {"filters[order_id][$eq]": str(order.id)})) == [str(linked.id)]
    body = api.get(URL, {"filters[order_id][$eq]": "null"}).json()
    assert body["meta"]["total"] == 1


def test_filter_by_created_at_and_last_message_at(api, three):
    a, b, c = three
    assert ids_of(api.get(URL, {"filters[created_at][$gt]": "2026-01-02T00:00:00", "sort": "id"})) == [str(b.id)]
    assert set(ids_of(api.get(URL, {"filters[created_at][$lt]": "2026-01-02"}))) == {str(c.id)}
    assert ids_of(api.get(URL, {"filters[last_message_at][$gt]": "2026-02-15"})) == [str(a.id)]
    assert ids_of(api.get(URL, {"filters[last_message_at][$eq]": "null"})) == [str(b.id)]


def test_filters_combine_with_and_and_unknown_ones_are_ignored(api, three):
    a, _b, _c = three
    params = {"filters[status][$eq]": "2", "filters[created_at][$lt]": "2026-02-01", "filters[subject][$eq]": "x",
              "filters[status][$like]": "1"}
    assert ids_of(api.get(URL, params)) == [str(a.id)]


@pytest.mark.parametrize(
    "param,value",
    [
        ("filters[status][$eq]", "open"),
        ("filters[user_id][$eq]", "abc"),
        ("filters[order_id][$eq]", "nope"),
        ("filters[created_at][$gt]", "yesterday"),
        ("filters[last_message_at][$lt]", "2026-13-01"),
    ],
)
def test_invalid_filter_values_are_400(api, param, value):
    assert_envelope(api.get(URL, {param: value}), 400, {param: ["The filter value is invalid."]})


def test_pagination(api, org):
    for day in range(1, 6):
        make_ticket(org, created_at=at(f"2026-01-0{day}T00:00:00"))
    body = api.get(URL, {"page": 2, "limit": 2}).json()
    assert len(body["data"]) == 2
    assert body["meta"] == {"current_page": 2, "from": 3, "to": 4, "last_page": 3, "per_page": 2, "total": 5,
                            "path": BASE}
    assert api.get(URL, {"page": 9}).json()["data"] == []
    assert_envelope(api.get(URL, {"limit": 101}), 400, {"query.limit": ["Input should be less than or equal to 100"]})


def test_list_row_client_is_the_ticket_user(api, org, client_user):
    make_ticket(org, client_user)
    assert api.get(URL).json()["data"][0]["client"] == client_body(client_user)


def test_list_shows_date_closed_and_last_message_at(api, org):
    closed = at("2026-02-10T08:00:00.700000")
    make_ticket(org, status=3, date_closed=closed, last_message_at=closed - timedelta(hours=1))
    row = api.get(URL).json()["data"][0]
    assert row["date_closed"] == "2026-02-10T08:00:00.700000+00:00"
    assert row["last_message_at"] == "2026-02-10T07:00:00.700000+00:00"
    assert row["status"] == "Closed" and row["status_id"] == 3
