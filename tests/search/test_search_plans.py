"""PostgreSQL only: the full-text GIN indexes are what the planner uses to answer a search on 100,000 rows."""
import pytest
from django.db import connection

from clients.models import Client
from orders.filters import ORDER_SEARCH_FIELDS
from orders.models import Order
from search.services import CLIENT_SEARCH_FIELDS
from serviceengine.api.search import apply_search
from support.models import TicketMessage
from tests import factories
from tests.support.factories import add_message, make_ticket

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: full text, GIN and EXPLAIN"),
    pytest.mark.django_db,
]
ROWS = 100_000


def clone_rows(model, template, overrides: dict):
    """ROWS copies of `template`'s row made by one INSERT … SELECT, `overrides` giving column → SQL of `g`."""
    table = model._meta.db_table
    columns = [field.column for field in model._meta.concrete_fields]
    chosen = {"id": "gen_random_uuid()", **overrides}
    select = ", ".join(chosen.get(column, f't."{column}"') for column in columns)
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({names}) '
            f"SELECT {select} FROM \"{table}\" t, generate_series(1, %s) g WHERE t.id = %s",
            [ROWS, template.pk],
        )
        cursor.execute(f'ANALYZE "{table}"')


def plan_of(queryset) -> str:
    return queryset.explain()


def test_order_search_uses_the_gin_index(org):
    template = factories.make_order(org, number="TEMPLATE1", service_name="Template", note="nothing")
    clone_rows(Order, template, {"number": "'N' || g", "service_name": "'Routine work ' || g"})
    factories.make_order(org, number="RARE00001", service_name="Obsidian polishing")
    queryset = apply_search(Order.objects.for_org(org), ORDER_SEARCH_FIELDS, "obsidian")
    assert [order.number for order in queryset] == ["RARE00001"]
    assert "order_search" in plan_of(queryset)
    # A list page (ordered, limited) of a rare word reads the GIN index too, instead of walking the organization's
    # rows in list order (see serviceengine/api/search.py `matching`).
    page = queryset.order_by("-created_at", "id")[:20]
    assert "order_search" in plan_of(page)
    assert [order.number for order in page] == ["RARE00001"]


def test_client_and_ticket_message_search_use_their_gin_indexes(org):
    template = factories.make_client(org, name_f="Template", name_l="Person", email="template@example.com")
    clone_rows(Client, template, {"email": "'c' || g || '@example.com'", "name_f": "'Client' || g"})
    factories.make_client(org, name_f="Zenobia", name_l="Quartz", email="zq@example.com")
    queryset = apply_search(Client.objects.for_org(org), CLIENT_SEARCH_FIELDS, "zenobia quartz")
    assert [client.email for client in queryset] == ["zq@example.com"]
    assert "user_search" in plan_of(queryset)

    ticket = make_ticket(org, template, subject="Template")
    message = add_message(ticket, message="Template message")
    clone_rows(TicketMessage, message, {"message": "'Routine note ' || g"})
    add_message(ticket, message="the flux capacitor melted")
    found = apply_search(TicketMessage.objects.for_org(org), ("message",), "capacitor")
    assert [m.message for m in found] == ["the flux capacitor melted"]
    assert "ticket_message_search" in plan_of(found)
