"""The orders admin writes through `orders.services` (issue 12): the add/change form is `order_create` /
`order_update` (events with the staff account as actor), tasks and messages inline go through their services,
the task changelist completes and reopens tasks, and a refused write is a form error that changes nothing."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from events.models import Event
from orders import services
from orders.models import Order, OrderEmployee, OrderMessage, OrderStatus, OrderTag, OrderTask, Tag
from tests import factories
from tests.orders.factories import make_message, make_order, make_task
from tests.helpers import staff_browser

INLINES = ("tasks", "messages")


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def ada() -> dict:
    return {"type": "user", "id": str(get_user_model().objects.get(username="ada").pk), "name": "ada"}


def types(org) -> list[str]:
    return list(Event.objects.for_org(org).order_by("created_at", "id").values_list("type", flat=True))


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def management(initial=None, total=None) -> dict:
    initial = initial or {}
    total = total or {}
    return {
        f"{prefix}-{key}": value
        for prefix in INLINES
        for key, value in (("TOTAL_FORMS", total.get(prefix, initial.get(prefix, 0))),
                           ("INITIAL_FORMS", initial.get(prefix, 0)))
    }


def add_data(client, **over) -> dict:
    data = {"user": str(client.pk), "service_name": "Admin work", "price": "10.00", "currency": "USD",
            "quantity": "1", "status": "0", "metadata": "{}", "note": "", **management()}
    data.update(over)
    return data


def change_data(order, **over) -> dict:
    """What the change page posts back unchanged for `order` (no inline rows)."""
    metadata = json.dumps(order.metadata)
    data = {"service": str(order.service_id or ""), "service_name": order.service_name, "status": str(order.status),
            "note": order.note or "", "metadata": metadata, "initial-metadata": metadata, "tag_names": "",
            **management()}
    data.update(over)
    return data


def test_add_form_creates_the_order_through_the_service(staff, org, owner):
    client = factories.make_client(org)
    response = staff.post(reverse("admin:orders_order_add"), add_data(
        client, assigned_employees=[str(owner.pk)], tag_names="vip, Rush", metadata='{"Brief": "Logo"}'))
    assert response.status_code == 302
    order = Order.unscoped.get(organization=org)
    assert len(order.number) == 8  # blank number: generated like the API's
    assert order.metadata == {"Brief": "Logo"}
    assert [link.user_id for link in OrderEmployee.unscoped.filter(order=order)] == [owner.pk]
    assert [link.tag.name for link in OrderTag.unscoped.filter(order=order).order_by("id")] == ["vip", "Rush"]
    [event] = Event.objects.for_org(org).filter(type="order.created")
    assert (event.object_id, event.actor) == (order.pk, ada())
    assert types(org) == ["tag.created", "tag.created", "order.created"]  # the new tags' events, then the order's


def test_add_form_with_a_taken_number_is_a_form_error_and_creates_nothing(staff, org):
    make_order(org, number="TAKEN001")
    before = (Order.unscoped.count(), types(org))
    response = staff.post(reverse("admin:orders_order_add"),
                          add_data(factories.make_client(org), number="TAKEN001", tag_names="fresh-tag"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["number"] == ["The order number has already been taken."]
    assert (Order.unscoped.count(), types(org)) == before
    assert not Tag.unscoped.filter(name="fresh-tag").exists()  # the rollback took the new tag too


def test_add_form_needs_a_service_or_a_name(staff, org):
    response = staff.post(reverse("admin:orders_order_add"), add_data(factories.make_client(org), service_name=""))
    assert response.status_code == 200 and "service_name" in response.context["adminform"].form.errors
    assert not Order.unscoped.exists()


def test_change_form_updates_through_the_service(staff, org, owner):
    order = make_order(org, status=OrderStatus.UNPAID, tags=["old"])
    response = staff.post(reverse("admin:orders_order_change", args=[order.pk]),
                          change_data(order, status=str(OrderStatus.IN_PROGRESS), assigned_employees=[str(owner.pk)],
                                      tag_names="new"))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert [link.user_id for link in OrderEmployee.unscoped.filter(order=order)] == [owner.pk]
    assert [link.tag.name for link in OrderTag.unscoped.filter(order=order)] == ["new"]
    [event] = Event.objects.for_org(org).filter(type="order.updated")
    assert event.actor == ada()
    assert event.previous_attributes["status"] == "Unpaid"
    assert [t for t in types(org) if not t.startswith("tag.")] == ["order.updated", "order.status_changed"]


def test_change_form_without_changes_records_nothing(staff, org):
    order = make_order(org)
    assert staff.post(reverse("admin:orders_order_change", args=[order.pk]), change_data(order)).status_code == 302
    assert types(org) == []


def test_change_form_cannot_change_the_snapshot(staff, org):
    order = make_order(org, price="10.00", number="SNAP0001")
    staff.post(reverse("admin:orders_order_change", args=[order.pk]),
               change_data(order, price="999.00", number="OTHER001", note="noted"))
    order.refresh_from_db()
    assert (str(order.price), order.number, order.note) == ("10.00", "SNAP0001", "noted")


def task_row(index, **fields) -> dict:
    row = {"name": "Task", "sort_order": "0", "deadline": "", "due_at_0": "", "due_at_1": "", **fields}
    return {f"tasks-{index}-{key}": value for key, value in row.items()}


def test_new_task_inline_goes_through_the_service_and_can_be_completed(staff, org, owner):
    order = make_order(org)
    data = change_data(order, **management(total={"tasks": 1}))
    data.update(task_row(0, name="Draft logo", order=str(order.pk), is_complete="on"))
    response = staff.post(reverse("admin:orders_order_change", args=[order.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    task = OrderTask.unscoped.get(order=order)
    assert task.name == "Draft logo" and task.is_complete and task.completed_at is not None
    assert types(org) == ["order_task.created", "order_task.completed"]
    assert {e.actor["name"] for e in Event.objects.for_org(org)} == {"ada"}


def test_existing_task_completed_inline(staff, org):
    order = make_order(org)
    task = make_task(order, name="Review")
    data = change_data(order, **management(initial={"tasks": 1}))
    data.update(task_row(0, id=str(task.pk), order=str(order.pk), name="Review", is_complete="on"))
    assert staff.post(reverse("admin:orders_order_change", args=[order.pk]), data).status_code == 302
    task.refresh_from_db()
    assert task.is_complete
    assert types(org) == ["order_task.completed"]


def test_refused_task_rolls_the_whole_submission_back(staff, org):
    order = make_order(org, note="before")
    data = change_data(order, note="after", **management(total={"tasks": 1}))
    data.update(task_row(0, name="Both", order=str(order.pk), deadline="4", due_at_0="2026-12-31", due_at_1="10:00"))
    response = staff.post(reverse("admin:orders_order_change", args=[order.pk]), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == ["Task “Both”: Cannot specify both deadline and due_at."]
    order.refresh_from_db()
    assert order.note == "before" and not OrderTask.unscoped.filter(order=order).exists()
    assert types(org) == []


def test_new_message_inline_goes_through_the_service(staff, org, owner):
    order = make_order(org)
    data = change_data(order, **management(total={"messages": 1}))
    data.update({"messages-0-message": "Hello", "messages-0-is_public": "on", "messages-0-files": '["a.pdf"]',
                 "messages-0-user": str(owner.pk), "messages-0-order": str(order.pk)})
    assert staff.post(reverse("admin:orders_order_change", args=[order.pk]), data).status_code == 302
    message = OrderMessage.unscoped.get(order=order)
    order.refresh_from_db()
    assert (message.message, message.user_id, message.files) == ("Hello", owner.pk, ["a.pdf"])
    assert order.last_message_at == message.created_at
    assert types(org) == ["order_message.created"]


def test_existing_messages_are_read_only(staff, org, owner):
    order = make_order(org)
    message = make_message(order, owner, message="As written")
    data = change_data(order, **management(initial={"messages": 1}))
    data.update({"messages-0-id": str(message.pk), "messages-0-order": str(order.pk), "messages-0-message": "Edited"})
    assert staff.post(reverse("admin:orders_order_change", args=[order.pk]), data).status_code == 302
    message.refresh_from_db()
    assert message.message == "As written" and types(org) == []


def test_complete_action_on_the_task_changelist(staff, org):
    order = make_order(org)
    open_task, done = make_task(order, name="Open one"), make_task(order, name="Done one")
    OrderTask.unscoped.filter(pk=done.pk).update(is_complete=True)
    response = staff.post(reverse("admin:orders_ordertask_changelist"),
                          {"action": "complete_selected", "_selected_action": [str(open_task.pk), str(done.pk)]},
                          follow=True)
    assert "Completed 1 task(s)." in texts(response) and "Done one: already complete." in texts(response)
    [event] = Event.objects.for_org(org).filter(type="order_task.completed")
    assert (event.object_id, event.actor) == (open_task.pk, ada())
    assert OrderTask.unscoped.get(pk=open_task.pk).is_complete


def test_complete_action_records_the_staff_team_member(org, owner):
    account_browser = staff_browser(org, "olive")
    get_user_model().objects.filter(username="olive").update(email=owner.email)
    task = make_task(make_order(org))
    account_browser.post(reverse("admin:orders_ordertask_changelist"),
                         {"action": "complete_selected", "_selected_action": [str(task.pk)]})
    assert OrderTask.unscoped.get(pk=task.pk).completed_by_id == owner.pk


def test_reopen_action(staff, org):
    task = make_task(make_order(org))
    OrderTask.unscoped.filter(pk=task.pk).update(is_complete=True)
    staff.post(reverse("admin:orders_ordertask_changelist"),
               {"action": "reopen_selected", "_selected_action": [str(task.pk)]})
    assert not OrderTask.unscoped.get(pk=task.pk).is_complete
    assert types(org) == ["order_task.uncompleted"]


def test_task_change_page_is_read_only(staff, org):
    task = make_task(make_order(org), name="Keep")
    url = reverse("admin:orders_ordertask_change", args=[task.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"name": "Changed"}).status_code == 403
    assert OrderTask.unscoped.get(pk=task.pk).name == "Keep"


def test_soft_delete_action_goes_through_the_service(staff, org):
    order = make_order(org)
    staff.post(reverse("admin:orders_order_changelist"),
               {"action": "soft_delete_selected", "_selected_action": [str(order.pk)]})
    assert Order.unscoped.get(pk=order.pk).deleted_at is not None
    [event] = Event.objects.for_org(org).filter(type="order.deleted")
    assert event.actor == ada()


def test_tags_go_through_the_tag_services(staff, org):
    Tag.unscoped.create(organization=org, name="Taken")
    response = staff.post(reverse("admin:orders_tag_add"), {"name": "taken", "color": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == ["The name has already been taken."]
    assert staff.post(reverse("admin:orders_tag_add"), {"name": "Fresh", "color": "#AABBCC"}).status_code == 302
    assert Tag.unscoped.get(organization=org, name="Fresh").color == "#aabbcc"


def test_an_unexpected_error_in_an_action_is_reported_not_a_500(staff, org, monkeypatch):
    first, second = make_task(make_order(org), name="Boom"), make_task(make_order(org), name="Fine")
    real = services.order_task_complete

    def flaky(*, task, user):
        if task.pk == first.pk:
            raise RuntimeError("bug")
        return real(task=task, user=user)

    monkeypatch.setattr(services, "order_task_complete", flaky)
    response = staff.post(reverse("admin:orders_ordertask_changelist"),
                          {"action": "complete_selected", "_selected_action": [str(first.pk), str(second.pk)]},
                          follow=True)
    assert response.status_code == 200
    assert "Boom: could not be changed (unexpected error, logged)." in texts(response)
    assert "Completed 1 task(s)." in texts(response)
    assert [e.object_id for e in Event.objects.for_org(org).filter(type="order_task.completed")] == [second.pk]


def test_superuser_adds_an_order_for_the_organization_it_picks(org, other_org):
    root = staff_browser(None, "root", superuser=True)
    client = factories.make_client(other_org)
    response = root.post(reverse("admin:orders_order_add"), add_data(client, organization=str(other_org.pk)))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    order = Order.unscoped.get(user=client)
    assert order.organization_id == other_org.pk
    [event] = Event.objects.for_org(other_org).filter(type="order.created")
    assert event.actor["name"] == "root"


def test_superuser_cannot_staff_an_order_from_another_organization(org, other_org, owner):
    root = staff_browser(None, "root", superuser=True)
    client = factories.make_client(other_org)
    response = root.post(reverse("admin:orders_order_add"), add_data(
        client, organization=str(other_org.pk), assigned_employees=[str(owner.pk)]))
    assert response.status_code == 200
    assert "assigned_employees" in response.context["adminform"].form.errors
    assert not Order.unscoped.exists()
