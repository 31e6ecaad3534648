"""Admin of orders and tags: tenant scoping, constant changelist queries, restore of soft-deleted orders."""
import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Tag
from tests import factories
from tests.helpers import count_queries, staff_browser
from tests.orders.factories import make_message, make_order, make_task


@pytest.fixture
def my_staff(org):
    return staff_browser(org, "mine")


@pytest.fixture
def their_staff(other_org):
    return staff_browser(other_org, "theirs")


def test_changelist_shows_only_my_organizations_orders(my_staff, their_staff, org, other_org):
    mine = make_order(org, number="MINE0001")
    theirs = make_order(other_org, number="THEIRS01")
    url = reverse("admin:orders_order_changelist")
    page = my_staff.get(url)
    assert page.status_code == 200
    assert b"MINE0001" in page.content and b"THEIRS01" not in page.content
    other_page = their_staff.get(url)
    assert b"THEIRS01" in other_page.content and b"MINE0001" not in other_page.content
    assert my_staff.get(reverse("admin:orders_order_change", args=[theirs.pk])).status_code in (302, 404)
    assert my_staff.get(reverse("admin:orders_order_change", args=[mine.pk])).status_code == 200


def test_change_page_renders_inlines(my_staff, org, owner):
    order = make_order(org, employees=[owner], tags=["vip"])
    make_task(order, name="Inline task")
    make_message(order, owner, message="Inline message")
    page = my_staff.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    for text in (b"Inline task", b"Inline message", b"vip", owner.email.encode()):
        assert text in page.content


def test_search_by_number_and_client_email(my_staff, org):
    make_order(org, factories.make_client(org, email="findme@example.com"), number="AAAA1111")
    make_order(org, number="BBBB2222")
    url = reverse("admin:orders_order_changelist")
    by_email = my_staff.get(url, {"q": "findme@"}).content
    assert b"AAAA1111" in by_email and b"BBBB2222" not in by_email
    by_number = my_staff.get(url, {"q": "BBBB2222"}).content
    assert b"BBBB2222" in by_number and b"AAAA1111" not in by_number


def test_filters_by_status_and_deleted(my_staff, org):
    make_order(org, number="LIVE0001", status=1)
    make_order(org, number="DEAD0001", status=1, deleted_at=timezone.now())
    make_order(org, number="DONE0001", status=2)
    url = reverse("admin:orders_order_changelist")
    deleted = my_staff.get(url, {"deleted": "yes"}).content
    assert b"DEAD0001" in deleted and b"LIVE0001" not in deleted
    in_progress = my_staff.get(url, {"status__exact": "1", "deleted": "no"}).content
    assert b"LIVE0001" in in_progress and b"DONE0001" not in in_progress and b"DEAD0001" not in in_progress


def test_restore_action(my_staff, org):
    order = make_order(org, deleted_at=timezone.now())
    response = my_staff.post(
        reverse("admin:orders_order_changelist"), {"action": "restore_selected", "_selected_action": [str(order.pk)]}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.deleted_at is None


def test_restore_action_cannot_reach_another_organization(my_staff, other_org):
    order = make_order(other_org, deleted_at=timezone.now())
    my_staff.post(reverse("admin:orders_order_changelist"), {"action": "restore_selected", "_selected_action": [str(order.pk)]})
    order.refresh_from_db()
    assert order.deleted_at is not None


def test_changelist_query_count_is_constant(my_staff, org):
    url = reverse("admin:orders_order_changelist")
    make_order(org)
    assert my_staff.get(url).status_code == 200  # warm up the session and content types
    _, one = count_queries(lambda: my_staff.get(url))
    for _ in range(30):
        make_order(org)
    response, many = count_queries(lambda: my_staff.get(url))
    assert response.status_code == 200
    assert len(one) == len(many), "\n".join(many)


def test_tag_admin_is_scoped(my_staff, org, other_org):
    Tag.unscoped.create(organization=org, name="mine-tag")
    theirs = Tag.unscoped.create(organization=other_org, name="their-tag")
    page = my_staff.get(reverse("admin:orders_tag_changelist"))
    assert b"mine-tag" in page.content and b"their-tag" not in page.content
    assert my_staff.get(reverse("admin:orders_tag_change", args=[theirs.pk])).status_code in (302, 404)


def test_tag_autocomplete_is_scoped(my_staff, org, other_org):
    Tag.unscoped.create(organization=org, name="alpha-mine")
    Tag.unscoped.create(organization=other_org, name="alpha-theirs")
    response = my_staff.get(
        reverse("admin:autocomplete"),
        {"term": "alpha", "app_label": "orders", "model_name": "ordertag", "field_name": "tag"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["alpha-mine"]


def test_adding_an_order_stamps_the_organization(my_staff, org):
    client = factories.make_client(org)
    response = my_staff.post(
        reverse("admin:orders_order_add"),
        {
            "number": "ADMIN001",
            "user": str(client.pk),
            "service_name": "Admin work",
            "price": "10.00",
            "currency": "USD",
            "quantity": "1",
            "status": "0",
            "form_data": "{}",
            "metadata": "{}",
            **{f"{prefix}-{key}": value for prefix in ("employee_links", "tag_links", "tasks", "messages")
               for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
        },
    )
    assert response.status_code == 302, response.content[:3000]
    order = Order.unscoped.get(number="ADMIN001")
    assert order.organization_id == org.id
