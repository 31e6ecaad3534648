"""Factories for the orders tests: orders with employees and tags, tasks, messages."""
from orders.models import OrderMessage, OrderTask, TaskEmployee
from orders.services import set_order_employees, set_order_tags, tags_find_or_create
from tests import factories


def make_order(org, client=None, *, employees=(), tags=(), **over):
    order = factories.make_order(org, client, **over)
    if employees:
        set_order_employees(order, list(employees))
    if tags:
        set_order_tags(order, tags_find_or_create(organization=org, names=list(tags)))
    return order


def make_task(order, *, employees=(), **over):
    fields = {"name": f"Task {factories.n()}"}
    fields.update(over)
    task = OrderTask.unscoped.create(organization_id=order.organization_id, order=order, **fields)
    TaskEmployee.objects.bulk_create([TaskEmployee(task=task, user=u) for u in employees])
    return task


def make_message(order, user=None, **over):
    fields = {"message": f"Message {factories.n()}"}
    fields.update(over)
    return OrderMessage.unscoped.create(organization_id=order.organization_id, order=order, user=user, **fields)
