"""Tenancy fails closed (serviceengine/core/tenancy.py): a query on an org-owned model that is not narrowed to an
organization raises, whichever manager and whichever way it runs; narrowed queries, related managers and
prefetches of scoped rows, inserts and the explicitly named `unscoped` manager keep working."""
import pytest
from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Prefetch

from catalog.models import Service
from orders.models import Order, OrderEmployee, OrderTag, OrderTask, Tag, TaskEmployee
from serviceengine.core.tenancy import OrgOwned, UnscopedQuery, is_org_owned
from serviceengine.models import User
from support.models import Ticket, TicketEmployee
from tests import factories
from tests.orders.factories import make_order, make_task
from tests.support.factories import add_employee, add_tag, make_ticket


def org_owned_models():
    return [m for m in apps.get_models() if is_org_owned(m) and not m._meta.proxy]


def fail_closed_managers(model):
    return [name for name in ("objects", "all_objects", "with_deleted") if hasattr(model, name)]


@pytest.fixture
def world(org, other_org, owner):
    """An order with a task, employees and tags, and a ticket with an employee and a tag, in `org`; one order in
    `other_org`."""
    order = make_order(org, employees=[owner], tags=["vip", "rush"])
    task = make_task(order, employees=[owner])
    ticket = make_ticket(org)
    add_employee(ticket, owner)
    add_tag(ticket)
    make_order(other_org)
    return {"order": order, "task": task, "ticket": ticket}


@pytest.mark.parametrize("model", org_owned_models(), ids=lambda m: m._meta.label)
def test_every_org_owned_model_refuses_an_unnarrowed_query(db, model):
    for name in fail_closed_managers(model):
        manager = getattr(model, name)
        for run in (list, lambda qs: qs.count(), lambda qs: qs.exists(), lambda qs: qs.first()):
            with pytest.raises(UnscopedQuery):
                run(manager.all())
        with pytest.raises(UnscopedQuery):
            manager.filter(pk=None).update(pk=None)
        with pytest.raises(UnscopedQuery):
            manager.all().delete()


def test_a_lookup_by_id_alone_is_not_narrowed(world):
    order = world["order"]
    with pytest.raises(UnscopedQuery):
        Order.objects.get(pk=order.pk)
    with pytest.raises(UnscopedQuery):
        Order.all_objects.filter(pk=order.pk).update(note="x")
    with pytest.raises(UnscopedQuery):
        Order.objects.in_bulk([order.pk])
    with pytest.raises(UnscopedQuery):
        Order.objects.aggregate(n=Count("id"))
    with pytest.raises(UnscopedQuery):
        list(Order.objects.filter(pk=order.pk).iterator())


def test_an_unnarrowed_subquery_is_refused_even_inside_a_narrowed_query(world, org):
    with pytest.raises(UnscopedQuery):
        list(User.objects.for_org(org).filter(pk__in=Order.objects.values("user_id")))
    with pytest.raises(UnscopedQuery):
        list(User.objects.for_org(org).annotate(x=Exists(Order.objects.filter(user=OuterRef("pk")))))


def test_or_with_an_unnarrowed_query_widens_it_and_is_refused(world, org):
    with pytest.raises(UnscopedQuery):
        list(Order.objects.for_org(org) | Order.objects.filter(status=0))
    both = Order.objects.for_org(org).filter(status=0) | Order.objects.for_org(org).filter(status=1)
    assert list(both) == [world["order"]]


def test_narrowed_queries_run_and_see_one_organization(world, org, other_org):
    order = world["order"]
    assert list(Order.objects.for_org(org)) == [order]
    assert Order.objects.for_org(org.pk).get(pk=order.pk) == order  # an id works as well as the row
    assert Order.all_objects.filter(organization=org).count() == 1
    assert Order.all_objects.filter(organization_id=other_org.pk).exclude(pk=order.pk).count() == 1
    assert Order.objects.for_org(org).filter(pk=order.pk).update(note="narrowed") == 1
    assert list(Order.objects.none()) == []
    # A narrowed subquery and an id list taken from it (the admin's related-only filters do this).
    assert list(User.objects.filter(pk__in=Order.objects.for_org(org).values("user_id"))) == [order.user]
    assert not Order.objects.for_org(other_org).filter(pk=order.pk).exists()


def test_related_managers_and_prefetches_of_a_scoped_row_keep_working(world, org, owner):
    order, task, ticket = world["order"], world["task"], world["ticket"]
    loaded = Order.objects.for_org(org).get(pk=order.pk)
    assert list(loaded.employees.all()) == [owner]
    assert [link.tag.name for link in loaded.tag_links.all()] == ["vip", "rush"]
    assert list(loaded.tasks.all()) == [task]
    assert list(task.employees.all()) == [owner]
    assert ticket.employee_links.count() == 1
    pages = list(
        Order.objects.for_org(org).prefetch_related(
            "employees", "tags", Prefetch("tasks", queryset=OrderTask.objects.order_by("id"), to_attr="task_list")
        )
    )
    assert [list(p.employees.all()) for p in pages] == [[owner]]
    assert [p.task_list for p in pages] == [[task]]
    # Going up from a row uses the plain base manager: no organization needed to follow a foreign key.
    assert OrderEmployee.objects.for_org(org).first().order == order


def test_inserts_are_not_checked_and_junctions_take_their_parents_organization(world, org, owner):
    order, task = world["order"], world["task"]
    tag = Tag.objects.create(organization=org, name="new")
    link = OrderTag.objects.create(order=order, tag=tag)  # no organization given: it is the order's
    assert link.organization_id == org.pk
    TaskEmployee.objects.filter(organization=org).delete()
    TaskEmployee.objects.bulk_create([TaskEmployee(task=task, user=owner)])
    assert TaskEmployee.objects.for_org(org).get().organization_id == org.pk
    task.employees.set([owner])  # Django's own many-to-many writes fill it too
    assert TaskEmployee.objects.for_org(org).get().organization_id == org.pk


def test_unscoped_is_the_one_plain_manager(world):
    assert Order.unscoped.count() == 2
    for model in org_owned_models():
        assert type(model.unscoped.all()).__name__ == "QuerySet", model
        assert model._default_manager is model.all_objects, model  # forms, admin and related managers fail closed


def test_full_clean_checks_uniqueness_within_the_organization(org, other_org):
    factories.make_client(org, email="ada@example.com")
    twin = User(organization=other_org, email="ada@example.com", role=factories.client_role())
    twin.full_clean()  # the per-organization unique check runs (narrowed) and passes
    clash = User(organization=org, email="ada@example.com", role=factories.client_role())
    with pytest.raises(Exception) as exc:
        clash.full_clean()
    assert "already exists" in str(exc.value)


def test_every_org_owned_model_uses_the_fail_closed_managers():
    for model in org_owned_models():
        assert issubclass(model, OrgOwned)
        for name in fail_closed_managers(model):
            assert getattr(model, name).get_queryset().query.__class__.__name__ == "OrgQuery", (model, name)


def test_services_of_another_org_in_a_commandless_query_raise(world):
    # What a forgotten `.for_org()` in a job or a command looks like.
    with pytest.raises(UnscopedQuery, match="Service not narrowed"):
        list(Service.objects.filter(name__startswith="x"))
    with pytest.raises(UnscopedQuery, match="Ticket not narrowed"):
        Ticket.objects.filter(pk=world["ticket"].pk).first()
    with pytest.raises(UnscopedQuery, match="TicketEmployee not narrowed"):
        TicketEmployee.objects.filter(ticket=world["ticket"]).exists()
