"""The admin home's dashboard, the changelist filters and CSV export (issue 18)."""
import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from orders.models import OrderStatus
from tests import factories
from tests.billing.factories import make_invoice
from tests.helpers import count_queries, staff_browser
from tests.orders.factories import make_order
from tests.support.factories import add_employee, make_ticket

pytestmark = pytest.mark.django_db


def paid_invoice(org, user, total, currency="USD", **over):
    row = make_invoice(org, user=user)
    now = timezone.now()
    Invoice.unscoped.filter(organization_id=row.organization_id, pk=row.pk).update(
        total=Decimal(total), currency=currency, status=InvoiceStatus.PAID, date_paid=now, **over
    )
    return row


@pytest.fixture
def business(org, other_org):
    ada = factories.make_client(org, name_f="Ada", name_l="Lovelace", email="ada@example.com")
    mia = factories.make_team_member(org, name_f="Mia", name_l="Maker")
    paid_invoice(org, ada, "1234.56")
    paid_invoice(org, ada, "77.00", currency="EUR")
    owed = make_invoice(org, user=ada)
    Invoice.unscoped.filter(organization_id=org.id, pk=owed.pk).update(total=Decimal("300.00"), date_due=timezone.now())
    make_order(org, ada, employees=[mia], status=OrderStatus.IN_PROGRESS, number="ORD-MIA")
    make_order(org, ada, status=OrderStatus.COMPLETED, number="ORD-DONE")
    ticket = make_ticket(org, ada, subject="Help me")
    add_employee(ticket, mia)
    # Another organization, with figures and names that must never show.
    zed = factories.make_client(other_org, name_f="Zed", name_l="Outsider", email="zed@other.example.com")
    paid_invoice(other_org, zed, "9876.54")
    factories.make_team_member(other_org, name_f="Otto", name_l="Elsewhere")
    make_order(other_org, zed, number="ORD-OTHER")
    return {"ada": ada, "mia": mia}


def test_dashboard_shows_the_organizations_figures(org, business):
    page = staff_browser(org).get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dashboard"' in html
    assert 'class="revenue-chart" data-currency="USD"' in html and 'data-currency="EUR"' in html
    assert "paid USD 1234.56" in html and "paid EUR 77.00" in html  # the bars' titles
    assert "USD</strong> 300.00 owed on 1 invoice" in html
    assert "Mia Maker" in html and "Ada Lovelace" in html
    dash = page.context["dashboard"]
    assert {row["label"]: row["count"] for row in dash["orders"]}["In Progress"] == 1
    assert {row["label"]: row["count"] for row in dash["orders"]}["Completed"] == 1
    assert [row["count"] for row in dash["tickets"]] == [1, 0]
    mia = next(row for row in dash["workload"] if row["name"] == "Mia Maker")
    assert (mia["open_orders"], mia["tickets_assigned"]) == (1, 1)


def test_dashboard_does_not_leak_another_organization(org, business):
    html = staff_browser(org).get("/admin/").content.decode()
    for secret in ("9876.54", "Zed Outsider", "zed@other.example.com", "Otto", "ORD-OTHER"):
        assert secret not in html


def test_dashboard_links_open_the_filtered_changelists(org, business):
    browser = staff_browser(org)
    dash = browser.get("/admin/").context["dashboard"]
    mia = next(row for row in dash["workload"] if row["name"] == "Mia Maker")
    orders = browser.get(mia["orders_url"])
    assert orders.status_code == 200
    assert [o.number for o in orders.context["cl"].result_list] == ["ORD-MIA"]
    tickets = browser.get(mia["tickets_url"])
    assert [t.subject for t in tickets.context["cl"].result_list] == ["Help me"]
    in_progress = next(row for row in dash["orders"] if row["label"] == "In Progress")
    assert [o.number for o in browser.get(in_progress["url"]).context["cl"].result_list] == ["ORD-MIA"]
    usd = next(chart for chart in dash["charts"] if chart["currency"] == "USD")
    paid_bar = [bar for bar in usd["bars"] if bar.css == "paid" and bar.height > 0]
    invoices = browser.get(paid_bar[0].url).context["cl"].result_list
    assert [str(i.total) for i in invoices] == ["1234.56"]
    receivable = dash["receivables"][0]
    owed = browser.get(receivable["buckets"][0]["url"]).context["cl"].result_list
    assert [str(i.total) for i in owed] == ["300.00"]
    for url in (mia["orders_url"], mia["tickets_url"], paid_bar[0].url, receivable["buckets"][0]["url"]):
        assert "?e=1" not in browser.get(url).request["QUERY_STRING"]


def test_dashboard_runs_a_fixed_number_of_queries(org, business):
    browser = staff_browser(org)
    browser.get("/admin/")
    _, few = count_queries(lambda: browser.get("/admin/"))
    for i in range(5):
        client = factories.make_client(org)
        paid_invoice(org, client, "10.00", currency=("GBP", "USD")[i % 2])
        make_order(org, client, employees=[factories.make_team_member(org)])
    _, many = count_queries(lambda: browser.get("/admin/"))
    assert len(few) == len(many)


def test_superuser_without_an_organization_gets_the_plain_index(business):
    page = staff_browser(None, "root", superuser=True).get("/admin/")
    assert page.status_code == 200
    assert "dashboard" not in page.context or page.context["dashboard"] is None
    assert b'id="dashboard"' not in page.content


# ---- changelists ------------------------------------------------------------------------------------------------


def test_changelist_filters_by_client_assignee_and_dates(org, business):
    browser = staff_browser(org)
    other_client = factories.make_client(org)
    make_order(org, other_client, number="ORD-ELSE")
    by_client = browser.get("/admin/orders/order/", {"client": str(business["ada"].id)})
    assert sorted(o.number for o in by_client.context["cl"].result_list) == ["ORD-DONE", "ORD-MIA"]
    by_assignee = browser.get("/admin/orders/order/", {"assignee": str(business["mia"].id)})
    assert [o.number for o in by_assignee.context["cl"].result_list] == ["ORD-MIA"]
    past = browser.get("/admin/orders/order/", {"created_at__lt": "2000-01-01 00:00:00+00:00"})
    assert list(past.context["cl"].result_list) == []
    assert browser.get("/admin/orders/order/", {"client": "not-a-uuid"}).context["cl"].result_list.count() == 0
    filters = {spec.title for spec in by_client.context["cl"].filter_specs}
    assert {"status", "client", "assignee", "created at", "date due"} <= filters


def test_filters_list_only_the_organizations_people(org, business):
    html = staff_browser(org).get("/admin/orders/order/").content.decode()
    assert "Ada Lovelace" in html and "Mia Maker" in html
    assert "Zed Outsider" not in html and "Otto Elsewhere" not in html


@pytest.mark.parametrize(
    "url,add",
    [
        ("/admin/orders/order/", lambda org: make_order(org, employees=[factories.make_team_member(org)])),
        ("/admin/billing/invoice/", lambda org: make_invoice(org)),
        ("/admin/support/ticket/", lambda org: add_employee(make_ticket(org), factories.make_team_member(org))),
        ("/admin/clients/client/", lambda org: factories.make_client(org, address=factories.make_address(org))),
    ],
)
def test_changelists_are_not_n_plus_one(org, url, add):
    browser = staff_browser(org)
    add(org)
    browser.get(url)
    _, one = count_queries(lambda: browser.get(url))
    for _ in range(5):
        add(org)
    _, six = count_queries(lambda: browser.get(url))
    assert len(one) == len(six), "\n".join(six)


# ---- CSV export -------------------------------------------------------------------------------------------------


def export(browser, url, params=""):
    response = browser.post(
        f"{url}?{params}", {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": ["x"]}
    )
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_of_the_filtered_list(org, business):
    rows = export(staff_browser(org), "/admin/orders/order/", f"assignee={business['mia'].id}")
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Number", "User", "Service name", "Status"]
    assert [row[0] for row in body] == ["ORD-MIA"]
    assert body[0][3] == "In Progress"  # the status label, as the changelist shows it


def test_csv_export_never_contains_another_organization_and_defuses_formulas(org, business):
    factories.make_order(org, number="=HYPERLINK(1)", service_name="+cmd")
    rows = export(staff_browser(org), "/admin/orders/order/")
    numbers = [row[0] for row in rows[1:]]
    assert "ORD-OTHER" not in numbers
    assert "'=HYPERLINK(1)" in numbers
    assert sorted(numbers) == sorted(["ORD-MIA", "ORD-DONE", "'=HYPERLINK(1)"])
    assert any(row[2] == "'+cmd" for row in rows[1:])


def test_csv_export_is_available_on_every_changelist(org):
    from django.contrib import admin

    browser = staff_browser(org)
    for model, model_admin in admin.site._registry.items():
        request = browser.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/").wsgi_request
        if not model_admin.has_view_permission(request):
            continue
        assert "export_csv" in model_admin.get_actions(request), model


def test_every_changelist_has_search_and_filters_and_answers(org, business):
    """Every model a staff user can open has a search box and a filter sidebar, and a search answers 200."""
    from django.contrib import admin

    from serviceengine.core.tenancy import TenantModel

    browser = staff_browser(org)
    opened, missing = 0, []
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = browser.get(url, {"q": "ada"})
        if response.status_code == 403:
            continue  # not for staff accounts (e.g. staff logins, managed by superusers)
        assert response.status_code == 200, url
        request = response.wsgi_request
        if not model_admin.get_search_fields(request):
            missing.append(f"{url}: no search_fields")
        if issubclass(model, TenantModel) and not model_admin.get_list_filter(request):
            missing.append(f"{url}: no list_filter")  # the organization itself and roles have nothing to filter by
        opened += 1
    assert missing == []
    assert opened >= 10
