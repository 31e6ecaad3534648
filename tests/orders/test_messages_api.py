"""Order messages: `GET/POST /api/orders/{id}/messages`, `DELETE /api/order-messages/{id}`."""
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderMessage
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope
from tests.orders.factories import make_message, make_order


def messages_url(order_id):
    return f"/api/orders/{order_id}/messages"


def message_url(message_id):
    return f"/api/order-messages/{message_id}"


def create(api, order_id, body):
    return api.post(messages_url(order_id), data=body, format="json")


@pytest.fixture
def order(org):
    return make_order(org)


def message_object(message, author):
    return {
        "id": str(message.id),
        "order_id": str(message.order_id),
        "user_id": str(author.id) if author else None,
        "message": message.message,
        "is_public": message.is_public,
        "created_at": format_datetime(message.created_at),
        "user": None if author is None else {
            "id": str(author.id), "name_f": author.name_f, "name_l": author.name_l, "email": author.email,
        },
        "staff_only": not message.is_public,
        "files": message.files,
    }


# --- create ---------------------------------------------------------------------------------------------------


def test_create_returns_the_message_with_user_null(api, order, owner):
    response = create(api, order.id, {"message": "  Draft attached.  ", "user_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.content
    message = OrderMessage.unscoped.get()
    assert response.json() == {
        "id": str(message.id),
        "order_id": str(order.id),
        "user_id": str(owner.id),
        "message": "Draft attached.",
        "is_public": True,
        "created_at": format_datetime(message.created_at),
        "user": None,
        "staff_only": False,
        "files": [],
    }
    assert message.organization_id == order.organization_id and message.user_id == owner.id


def test_create_sets_last_message_at_exactly_without_touching_updated_at(api, order):
    before = order.updated_at
    data = create(api, order.id, {"message": "hi"}).json()
    order.refresh_from_db()
    assert format_datetime(order.last_message_at) == data["created_at"]
    assert order.last_message_at == OrderMessage.unscoped.get().created_at
    assert order.updated_at == before


@pytest.mark.parametrize(
    "body,is_public",
    [
        ({}, True),
        ({"is_public": False}, False),
        ({"is_public": "yes"}, True),
        ({"staff_only": True}, False),
        ({"staff_only": False}, True),
        ({"staff_only": None}, True),
        ({"is_public": True, "staff_only": True}, True),
        ({"is_public": False, "staff_only": False}, False),
    ],
)
def test_is_public_and_staff_only(api, order, body, is_public):
    data = create(api, order.id, {"message": "m", **body}).json()
    assert (data["is_public"], data["staff_only"]) == (is_public, not is_public)


def test_files_are_stored_as_sent(api, order):
    files = ["https://cdn.example.com/a.pdf", "b.png", "b.png"]
    data = create(api, order.id, {"message": "m", "files": files}).json()
    assert data["files"] == files
    assert OrderMessage.unscoped.get().files == files


@pytest.mark.parametrize(
    "body,errors",
    [
        ({}, {"message": ["Field required"]}),
        ({"message": None}, {"message": ["Input should be a valid string"]}),
        ({"message": ""}, {"message": ["String should have at least 1 character"]}),
        ({"message": " \n\t "}, {"message": ["String should have at least 1 character"]}),
        ({"message": "m", "is_public": None}, {"is_public": ["Input should be a valid boolean"]}),
        ({"message": "m", "is_public": 2}, {"is_public": ["Input should be a valid boolean, unable to interpret input"]}),
        ({"message": "m", "staff_only": "x"}, {"staff_only": ["Input should be a valid boolean, unable to interpret input"]}),
        ({"message": "m", "files": "a.pdf"}, {"files": ["Input should be a valid list"]}),
        ({"message": "m", "files": ["a", 1]}, {"files.1": ["Input should be a valid string"]}),
    ],
)
def test_create_schema_errors(api, order, body, errors):
    assert_envelope(create(api, order.id, body), 400, errors)
    assert not OrderMessage.unscoped.exists()


def test_create_malformed_body(api, order):
    response = api.post(messages_url(order.id), data="[1]", content_type="application/json")
    assert_envelope(response, 400, {"root": ["Input should be a valid dictionary or object to extract fields from"]})


def test_create_schema_error_beats_unknown_order(api):
    assert_envelope(create(api, uuid.uuid4(), {}), 400, {"message": ["Field required"]})


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_create_order_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(create(api, order_id, {"message": "m"}), 404, "Not Found")
    assert not OrderMessage.unscoped.exists()


# --- list -----------------------------------------------------------------------------------------------------


def test_list_oldest_first_with_user_embedded(api, org, order, owner):
    now = timezone.now()
    second = make_message(order, owner, created_at=now, is_public=False, files=["x.pdf"])
    first = make_message(order, owner, created_at=now - timedelta(minutes=5))
    tie = make_message(order, owner, created_at=now)
    make_message(make_order(org), owner)
    response = api.get(messages_url(order.id), {"page": "0"})
    assert response.status_code == 200
    ties = sorted([second, tie], key=lambda m: str(m.id))
    assert response.json() == [message_object(m, owner) for m in [first, *ties]]


def test_list_user_is_null_when_the_author_is_gone(api, org, order):
    author = factories.make_team_member(org)
    message = make_message(order, author)
    author.delete()
    message.refresh_from_db()
    assert api.get(messages_url(order.id)).json() == [message_object(message, None)]


def test_list_empty(api, order):
    assert api.get(messages_url(order.id)).json() == []


def test_created_message_appears_in_the_list_with_its_user(api, order, owner):
    created = create(api, order.id, {"message": "m"}).json()
    [listed] = api.get(messages_url(order.id)).json()
    assert listed == {**created, "user": {"id": str(owner.id), "name_f": owner.name_f, "name_l": owner.name_l, "email": owner.email}}


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_list_order_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(api.get(messages_url(order_id)), 404, "Not Found")


def test_list_query_count_is_constant(api, org, order):
    authors = iter([factories.make_team_member(org) for _ in range(5)])
    count = assert_constant_queries(api, messages_url(order.id), lambda: make_message(order, next(authors)), budget=6)
    assert count <= 3


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_is_hard_and_keeps_last_message_at(api, order, owner):
    data = create(api, order.id, {"message": "m"}).json()
    response = api.delete(message_url(data["id"]))
    assert response.status_code == 204 and response.content == b""
    assert not OrderMessage.unscoped.exists()
    order.refresh_from_db()
    assert format_datetime(order.last_message_at) == data["created_at"]
    assert_detail(api.delete(message_url(data["id"])), 404, "Not Found")


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted_order"])
def test_delete_not_found(api, org, other_org, kind):
    message = None
    if kind == "other_org":
        message = make_message(make_order(other_org))
    elif kind == "deleted_order":
        message = make_message(make_order(org, deleted_at=timezone.now()))
    message_id = {"malformed": "nope", "unknown": uuid.uuid4()}.get(kind) or message.id
    assert_detail(api.delete(message_url(message_id)), 404, "Not Found")
    if message is not None:
        assert OrderMessage.unscoped.filter(pk=message.pk).exists()


def test_message_on_one_order_does_not_touch_another(api, org, order):
    other = make_order(org)
    create(api, order.id, {"message": "m"})
    assert Order.unscoped.get(pk=other.pk).last_message_at is None
