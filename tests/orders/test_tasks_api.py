"""Order tasks: `GET/POST /api/orders/{id}/tasks`, `PUT/DELETE /api/order-tasks/{id}` and `/complete`."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from orders.models import OrderTask, TaskEmployee
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.helpers import (
    assert_constant_queries,
    assert_detail,
    assert_envelope,
    count_queries,
)
from tests.orders.factories import make_order, make_task


def tasks_url(order_id):
    return f"/api/orders/{order_id}/tasks"


def task_url(task_id):
    return f"/api/order-tasks/{task_id}"


def complete_url(task_id):
    return f"/api/order-tasks/{task_id}/complete"


def create(api, order_id, body):
    return api.post(tasks_url(order_id), data=body, format="json")


def put(api, task_id, body):
    return api.put(task_url(task_id), data=body, format="json")


@pytest.fixture
def order(org):
    return make_order(org)


@pytest.fixture
def member(org):
    return factories.make_team_member(org, name_f="Alice", name_l="Anders")


def task_object(task, employees=()):
    return {
        "id": str(task.id),
        "order_id": str(task.order_id),
        "name": task.name,
        "description": task.description,
        "sort_order": task.sort_order,
        "is_public": task.is_public,
        "for_client": task.for_client,
        "is_complete": task.is_complete,
        "completed_by": str(task.completed_by_id) if task.completed_by_id else None,
        "completed_at": format_datetime(task.completed_at),
        "deadline": task.deadline,
        "due_at": format_datetime(task.due_at),
        "employees": [{"id": str(u.id), "name_f": u.name_f, "name_l": u.name_l} for u in employees],
    }


# --- create ---------------------------------------------------------------------------------------------------


def test_create_with_defaults(api, order):
    response = create(api, order.id, {"name": "  Design mockups  "})
    assert response.status_code == 201, response.content
    task = OrderTask.unscoped.get()
    assert response.json() == {
        "id": str(task.id),
        "order_id": str(order.id),
        "name": "Design mockups",
        "description": None,
        "sort_order": 0,
        "is_public": False,
        "for_client": False,
        "is_complete": False,
        "completed_by": None,
        "completed_at": None,
        "deadline": None,
        "due_at": None,
        "employees": [],
    }
    assert task.organization_id == order.organization_id


def test_create_with_every_field(api, order, member, owner):
    body = {
        "name": "Kick-off",
        "description": "Call the client",
        "employee_ids": [str(member.id), str(owner.id), str(member.id)],
        "sort_order": "3",
        "is_public": "yes",
        "for_client": False,
        "deadline": 72,
    }
    data = create(api, order.id, body).json()
    task = OrderTask.unscoped.get()
    assert data == task_object(task, [member, owner])
    assert (data["sort_order"], data["is_public"], data["deadline"], data["description"]) == (3, True, 72, "Call the client")
    assert TaskEmployee.unscoped.filter(task=task).count() == 2


def test_create_with_due_at(api, order):
    data = create(api, order.id, {"name": "x", "due_at": "2026-03-01T10:00:00+01:00"}).json()
    assert (data["due_at"], data["deadline"]) == ("2026-03-01T09:00:00+00:00", None)


def test_create_sort_order_null_is_zero(api, order):
    assert create(api, order.id, {"name": "x", "sort_order": None}).json()["sort_order"] == 0


def test_create_does_not_modify_the_order(api, order):
    before = order.updated_at
    create(api, order.id, {"name": "x"})
    order.refresh_from_db()
    assert order.updated_at == before


def test_create_for_client_task(api, order):
    data = create(api, order.id, {"name": "Send brief", "for_client": True, "employee_ids": []}).json()
    assert data["for_client"] is True and data["employees"] == []


@pytest.mark.parametrize(
    "body,errors",
    [
        ({}, {"name": ["Field required"]}),
        ({"name": None}, {"name": ["Input should be a valid string"]}),
        ({"name": ""}, {"name": ["String should have at least 1 character"]}),
        ({"name": "   "}, {"name": ["String should have at least 1 character"]}),
        ({"name": "n" * 256}, {"name": ["String should have at most 255 characters"]}),
        ({"name": "x", "employee_ids": "abc"}, {"employee_ids": ["Input should be a valid list"]}),
        ({"name": "x", "employee_ids": [1]}, {"employee_ids.0": ["Input should be a valid string"]}),
        ({"name": "x", "is_public": None}, {"is_public": ["Input should be a valid boolean"]}),
        ({"name": "x", "for_client": None}, {"for_client": ["Input should be a valid boolean"]}),
        ({"name": "x", "is_public": "maybe"}, {"is_public": ["Input should be a valid boolean, unable to interpret input"]}),
        ({"name": "x", "deadline": 1.5}, {"deadline": ["Input should be a valid integer, got a number with a fractional part"]}),
        ({"name": "x", "due_at": "tomorrow"}, {"due_at": ["Input should be a valid datetime"]}),
        ({"name": "x", "description": 5}, {"description": ["Input should be a valid string"]}),
    ],
)
def test_create_schema_errors(api, order, body, errors):
    assert_envelope(create(api, order.id, body), 400, errors)


def test_create_lists_every_schema_error_in_table_order(api, order):
    body = {"due_at": "x", "deadline": "x", "for_client": "x", "is_public": "x", "sort_order": "x", "employee_ids": "x", "description": 1}
    assert list(create(api, order.id, body).json()["errors"]) == [
        "name", "description", "employee_ids", "sort_order", "is_public", "for_client", "deadline", "due_at",
    ]


def test_create_schema_error_beats_unknown_order(api):
    assert_envelope(create(api, uuid.uuid4(), {}), 400, {"name": ["Field required"]})


def test_create_for_client_with_employees(api, order, member):
    response = create(api, order.id, {"name": "x", "for_client": True, "employee_ids": [str(member.id)], "deadline": 1, "due_at": "2026-01-01"})
    assert_envelope(response, 400, {"for_client": ["Cannot assign employees when for_client is true."]})


def test_create_deadline_and_due_at(api, order):
    response = create(api, order.id, {"name": "x", "deadline": 4, "due_at": "2026-01-01", "employee_ids": ["bad"]})
    assert_envelope(response, 400, {"deadline": ["Cannot specify both deadline and due_at."]})


def test_create_any_non_uuid_employee_id_comes_first(api, order, other_org):
    foreign = factories.make_team_member(other_org)
    response = create(api, order.id, {"name": "x", "employee_ids": [str(foreign.id), "not-a-uuid"]})
    assert_envelope(response, 422, {"employee_ids": ["All employee_ids must be valid UUIDs."]})


@pytest.mark.parametrize("kind", ["unknown", "client", "other_org"])
def test_create_employee_must_be_a_team_member(api, org, other_org, order, member, kind):
    bad = {
        "unknown": lambda: str(uuid.uuid4()),
        "client": lambda: str(factories.make_client(org).id),
        "other_org": lambda: str(factories.make_team_member(other_org).id),
    }[kind]()
    response = create(api, order.id, {"name": "x", "employee_ids": [str(member.id), bad]})
    assert_envelope(response, 422, {"employee_ids": [f"Employee with ID {bad} does not exist."]})
    assert not OrderTask.unscoped.exists()


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_create_order_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(create(api, order_id, {"name": "x"}), 404, "Not Found")
    assert not OrderTask.unscoped.exists()


# --- list -----------------------------------------------------------------------------------------------------


def test_list_is_a_bare_array_ordered_by_sort_order_created_at_id(api, order, member):
    now = timezone.now()
    late = make_task(order, name="late", sort_order=1, created_at=now)
    early_b = make_task(order, name="b", sort_order=0, created_at=now, employees=[member])
    early_a = make_task(order, name="a", sort_order=0, created_at=now - timedelta(hours=1))
    tie_ids = sorted([early_b, make_task(order, name="c", sort_order=0, created_at=now)], key=lambda t: str(t.id))
    response = api.get(tasks_url(order.id), {"page": "x", "limit": "0"})
    assert response.status_code == 200
    data = response.json()
    assert [row["id"] for row in data] == [str(early_a.id), *[str(t.id) for t in tie_ids], str(late.id)]
    assert data[[row["id"] for row in data].index(str(early_b.id))] == task_object(early_b, [member])


def test_list_empty(api, order):
    assert api.get(tasks_url(order.id)).json() == []


def test_list_only_this_orders_tasks(api, org, order):
    mine = make_task(order)
    make_task(make_order(org))
    assert [row["id"] for row in api.get(tasks_url(order.id)).json()] == [str(mine.id)]


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted"])
def test_list_order_not_found(api, org, other_org, kind):
    order_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_order(other_org).id,
        "deleted": lambda: make_order(org, deleted_at=timezone.now()).id,
    }[kind]()
    assert_detail(api.get(tasks_url(order_id)), 404, "Not Found")


def test_list_query_count_is_constant(api, org, order):
    members = [factories.make_team_member(org) for _ in range(3)]
    count = assert_constant_queries(api, tasks_url(order.id), lambda: make_task(order, employees=members), budget=6)
    assert count <= 4


def test_list_query_count_with_1_vs_50_employees(api, org, order):
    members = [factories.make_team_member(org) for _ in range(50)]
    make_task(order, employees=members[:1])
    _, one = count_queries(lambda: api.get(tasks_url(order.id)))
    make_task(order, employees=members)
    response, many = count_queries(lambda: api.get(tasks_url(order.id)))
    assert [len(row["employees"]) for row in response.json()] == [1, 50]
    assert len(one) == len(many) <= 6


# --- update ---------------------------------------------------------------------------------------------------


@pytest.fixture
def task(order, member):
    return make_task(order, name="Original", description="d", sort_order=2, deadline=24, employees=[member])


def test_update_changes_only_what_is_sent(api, task, member):
    response = put(api, task.id, {"name": "  Renamed  "})
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.name == "Renamed"
    assert response.json() == task_object(task, [member])
    assert (task.description, task.sort_order, task.deadline) == ("d", 2, 24)


def test_update_every_field(api, task, owner):
    body = {
        "name": "N",
        "description": "D",
        "employee_ids": [str(owner.id)],
        "sort_order": 9,
        "is_public": True,
        "for_client": False,
        "deadline": 48,
    }
    data = put(api, task.id, body).json()
    task.refresh_from_db()
    assert data == task_object(task, [owner])
    assert (data["name"], data["description"], data["sort_order"], data["is_public"], data["deadline"]) == ("N", "D", 9, True, 48)


def test_update_nulls_are_unchanged(api, task, member):
    body = dict.fromkeys(["name", "description", "employee_ids", "sort_order", "is_public", "for_client", "deadline", "due_at"])
    before = task_object(task, [member])
    assert put(api, task.id, body).json() == before


def test_update_empty_employee_ids_clears(api, task):
    assert put(api, task.id, {"employee_ids": []}).json()["employees"] == []
    assert not TaskEmployee.unscoped.filter(task=task).exists()


def test_update_ignores_completion_and_order_fields(api, org, task):
    other = make_order(org)
    data = put(api, task.id, {"is_complete": True, "completed_by": str(uuid.uuid4()), "completed_at": "2026-01-01", "order_id": str(other.id)}).json()
    assert (data["is_complete"], data["completed_by"], data["completed_at"], data["order_id"]) == (False, None, None, str(task.order_id))


def test_update_for_client_with_sent_employees(api, task, owner):
    response = put(api, task.id, {"for_client": True, "employee_ids": [str(owner.id)]})
    assert_envelope(response, 400, {"for_client": ["Cannot assign employees when for_client is true."]})


def test_update_existing_for_client_with_sent_employees(api, order, owner):
    task = make_task(order, for_client=True)
    response = put(api, task.id, {"employee_ids": [str(owner.id)]})
    assert_envelope(response, 400, {"for_client": ["Cannot assign employees when for_client is true."]})


def test_update_for_client_without_employee_ids_keeps_assignments(api, task, member):
    data = put(api, task.id, {"for_client": True}).json()
    assert data["for_client"] is True and data["employees"] == [{"id": str(member.id), "name_f": "Alice", "name_l": "Anders"}]


def test_update_due_at_on_a_task_with_a_deadline(api, task):
    response = put(api, task.id, {"due_at": "2026-05-01"})
    assert_envelope(response, 400, {"deadline": ["Cannot specify both deadline and due_at."]})


def test_update_deadline_null_does_not_clear_it(api, task):
    response = put(api, task.id, {"deadline": None, "due_at": "2026-05-01"})
    assert_envelope(response, 400, {"deadline": ["Cannot specify both deadline and due_at."]})


def test_update_deadline_on_a_task_with_due_at(api, order):
    task = make_task(order, due_at=timezone.now())
    assert_envelope(put(api, task.id, {"deadline": 5}), 400, {"deadline": ["Cannot specify both deadline and due_at."]})


def test_update_due_at_on_a_task_without_deadline(api, order):
    task = make_task(order)
    assert put(api, task.id, {"due_at": "2026-05-01"}).json()["due_at"] == "2026-05-01T00:00:00+00:00"


def test_update_employee_id_rules(api, other_org, task, member):
    foreign = factories.make_team_member(other_org)
    assert_envelope(put(api, task.id, {"employee_ids": [str(foreign.id), "x"]}), 422, {"employee_ids": ["All employee_ids must be valid UUIDs."]})
    assert_envelope(put(api, task.id, {"employee_ids": [str(foreign.id)]}), 422, {"employee_ids": [f"Employee with ID {foreign.id} does not exist."]})
    assert list(TaskEmployee.unscoped.filter(task=task).values_list("user_id", flat=True)) == [member.id]


def test_update_schema_errors(api, task):
    response = put(api, task.id, {"name": " ", "is_public": "x", "sort_order": []})
    assert_envelope(
        response,
        400,
        {
            "name": ["String should have at least 1 character"],
            "sort_order": ["Input should be a valid integer"],
            "is_public": ["Input should be a valid boolean, unable to interpret input"],
        },
    )


def test_update_schema_error_beats_unknown_task(api):
    assert_envelope(put(api, uuid.uuid4(), {"name": ""}), 400, {"name": ["String should have at least 1 character"]})


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted_order"])
def test_update_not_found(api, org, other_org, kind):
    task_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_task(make_order(other_org)).id,
        "deleted_order": lambda: make_task(make_order(org, deleted_at=timezone.now())).id,
    }[kind]()
    assert_detail(put(api, task_id, {"name": "x"}), 404, "Not Found")


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_is_hard_and_removes_assignments(api, task):
    response = api.delete(task_url(task.id))
    assert response.status_code == 204 and response.content == b""
    assert not OrderTask.unscoped.filter(pk=task.pk).exists()
    assert not TaskEmployee.unscoped.exists()
    assert_detail(api.delete(task_url(task.id)), 404, "Not Found")


@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted_order"])
def test_delete_not_found(api, org, other_org, kind):
    task = None
    if kind == "other_org":
        task = make_task(make_order(other_org))
    elif kind == "deleted_order":
        task = make_task(make_order(org, deleted_at=timezone.now()))
    task_id = {"malformed": "nope", "unknown": uuid.uuid4()}.get(kind) or task.id
    assert_detail(api.delete(task_url(task_id)), 404, "Not Found")
    if task is not None:
        assert OrderTask.unscoped.filter(pk=task.pk).exists()


# --- complete / incomplete ------------------------------------------------------------------------------------


def test_complete_stamps_the_token_user(api, task, owner, member):
    before = timezone.now()
    response = api.post(complete_url(task.id), data="ignored body", content_type="text/plain")
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.is_complete and task.completed_by_id == owner.id and task.completed_at >= before
    assert response.json() == task_object(task, [member])
    assert response.json()["completed_by"] == str(owner.id)


def test_complete_is_idempotent(api, api_for, org, task):
    first = api.post(complete_url(task.id)).json()
    someone_else = factories.make_team_member(org)
    second = api_for(org, someone_else).post(complete_url(task.id)).json()
    assert second == first


def test_incomplete_clears_the_stamps_and_answers_200(api, order, owner):
    task = make_task(order, is_complete=True, completed_by=owner, completed_at=timezone.now())
    response = api.delete(complete_url(task.id))
    assert response.status_code == 200
    data = response.json()
    assert (data["is_complete"], data["completed_by"], data["completed_at"]) == (False, None, None)
    task.refresh_from_db()
    assert (task.is_complete, task.completed_by_id, task.completed_at) == (False, None, None)


def test_incomplete_on_an_incomplete_task_is_a_no_op(api, task, member):
    response = api.delete(complete_url(task.id))
    assert response.status_code == 200 and response.json() == task_object(task, [member])


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("kind", ["malformed", "unknown", "other_org", "deleted_order"])
def test_complete_not_found(api, org, other_org, method, kind):
    task_id = {
        "malformed": lambda: "nope",
        "unknown": lambda: uuid.uuid4(),
        "other_org": lambda: make_task(make_order(other_org)).id,
        "deleted_order": lambda: make_task(make_order(org, deleted_at=timezone.now())).id,
    }[kind]()
    assert_detail(getattr(api, method)(complete_url(task_id)), 404, "Not Found")


def test_other_organization_cannot_complete_my_task(other_api, task):
    assert_detail(other_api.post(complete_url(task.id)), 404, "Not Found")
    task.refresh_from_db()
    assert not task.is_complete


def test_complete_keeps_due_and_deadline(api, order):
    due = datetime(2026, 4, 1, 12, 30, tzinfo=UTC)
    task = make_task(order, due_at=due)
    assert api.post(complete_url(task.id)).json()["due_at"] == "2026-04-01T12:30:00+00:00"
