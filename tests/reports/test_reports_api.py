"""The four reports against hand-computed figures (tests/reports/conftest.py), their bounds and their tenancy."""
import pytest
from django.utils import timezone

from tests.helpers import assert_envelope
from tests.reports.conftest import RANGE

pytestmark = pytest.mark.django_db
EMPTY = {"from": "2020-01-01", "to": "2020-01-31"}


def get(api, name, params):
    response = api.get(f"/api/reports/{name}", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_summary_figures(api, seeded):
    assert get(api, "summary", RANGE) == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "clients": {"total": 2, "new": 1},
        "orders": {"open": 2, "by_status": {"Unpaid": 1, "In Progress": 1, "On Hold": 0}},
        "tickets": {"open": 2, "by_status": {"Open": 1, "Pending": 1}},
        "proposals": {"sent": 2, "signed": 1, "win_rate": 0.5},
        "invoices": {
            "EUR": {"invoiced": "200.00", "paid": "0.00", "outstanding": "200.00"},
            "USD": {"invoiced": "250.50", "paid": "110.00", "outstanding": "150.50"},
        },
    }


def test_summary_of_an_empty_range(api, seeded):
    assert get(api, "summary", EMPTY) == {
        "from": "2020-01-01",
        "to": "2020-01-31",
        "clients": {"total": 2, "new": 0},
        "orders": {"open": 0, "by_status": {"Unpaid": 0, "In Progress": 0, "On Hold": 0}},
        "tickets": {"open": 0, "by_status": {"Open": 0, "Pending": 0}},
        "proposals": {"sent": 0, "signed": 0, "win_rate": None},
        "invoices": {},
    }


def test_revenue_by_month_is_a_continuous_series(api, seeded):
    body = get(api, "revenue", RANGE)
    zero = {"invoiced": "0.00", "paid": "0.00"}
    assert body == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "interval": "month",
        "currencies": ["EUR", "USD"],
        "series": [
            {"period": "2026-01", "start": "2026-01-01", "end": "2026-01-31",
             "currencies": {"EUR": zero, "USD": {"invoiced": "170.00", "paid": "10.00"}}},
            {"period": "2026-02", "start": "2026-02-01", "end": "2026-02-28",
             "currencies": {"EUR": zero, "USD": {"invoiced": "80.50", "paid": "100.00"}}},
            {"period": "2026-03", "start": "2026-03-01", "end": "2026-03-31",
             "currencies": {"EUR": {"invoiced": "200.00", "paid": "0.00"}, "USD": zero}},
        ],
        "totals": {"EUR": {"invoiced": "200.00", "paid": "0.00"}, "USD": {"invoiced": "250.50", "paid": "110.00"}},
    }


def test_revenue_by_week_starts_on_monday_and_fills_gaps(api, seeded):
    body = get(api, "revenue", {"from": "2026-01-01", "to": "2026-01-31", "interval": "week"})
    assert [p["period"] for p in body["series"]] == ["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W05"]
    assert body["series"][0]["start"] == "2025-12-29"
    usd = [p["currencies"]["USD"] for p in body["series"]]
    assert usd == [
        {"invoiced": "0.00", "paid": "10.00"},  # paid 2026-01-02
        {"invoiced": "100.00", "paid": "0.00"},  # created 2026-01-10
        {"invoiced": "0.00", "paid": "0.00"},
        {"invoiced": "70.00", "paid": "0.00"},  # created 2026-01-20
        {"invoiced": "0.00", "paid": "0.00"},
    ]


def test_revenue_of_an_empty_range_still_lists_every_period(api, seeded):
    body = get(api, "revenue", {"from": "2020-01-01", "to": "2020-06-30"})
    assert [p["period"] for p in body["series"]] == [f"2020-0{m}" for m in range(1, 7)]
    assert body["currencies"] == [] and body["totals"] == {}
    assert all(p["currencies"] == {} for p in body["series"])


def test_revenue_defaults_to_the_last_twelve_months(api, seeded):
    body = get(api, "revenue", {})
    today = timezone.now().date()  # UTC, as the server counts days
    assert len(body["series"]) == 12
    assert body["to"] == today.isoformat()
    assert body["series"][-1]["start"] == today.replace(day=1).isoformat()


def test_receivables_ageing_and_top_clients(api, seeded):
    ada, bob = str(seeded["ada"].id), str(seeded["bob"].id)
    assert get(api, "receivables", RANGE) == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "as_of": "2026-03-31",
        "currencies": [
            {"currency": "EUR", "count": 1, "total": "200.00",
             "buckets": {"0-30": "0.00", "31-60": "0.00", "61-90": "200.00", "90+": "0.00"},
             "top_clients": [{"client_id": bob, "name": "Bob Builder", "email": "bob@example.com", "company": None,
                              "total": "200.00", "invoices": 1}]},
            {"currency": "USD", "count": 3, "total": "150.50",
             "buckets": {"0-30": "50.50", "31-60": "0.00", "61-90": "30.00", "90+": "70.00"},
             "top_clients": [
                 {"client_id": ada, "name": "Ada Lovelace", "email": "ada@example.com", "company": None,
                  "total": "120.50", "invoices": 2},
                 {"client_id": bob, "name": "Bob Builder", "email": "bob@example.com", "company": None,
                  "total": "30.00", "invoices": 1},
             ]},
        ],
    }
    assert get(api, "receivables", EMPTY)["currencies"] == []


def test_workload_per_team_member(api, seeded):
    rows = get(api, "workload", RANGE)["data"]
    assert rows == [
        {"user_id": str(seeded["member"].id), "name": "Mia Maker", "email": "mia@agency.example.com",
         "open_orders": 1, "tasks_assigned": 2, "tasks_overdue": 1, "tickets_assigned": 1},
        {"user_id": str(seeded["owner"].id), "name": "Olive Owner", "email": "owner@acme.example.com",
         "open_orders": 0, "tasks_assigned": 0, "tasks_overdue": 0, "tickets_assigned": 0},
    ]
    assert all(row["open_orders"] == 0 for row in get(api, "workload", EMPTY)["data"])


@pytest.mark.parametrize("name", ["summary", "revenue", "receivables", "workload"])
@pytest.mark.parametrize(
    "params,errors",
    [
        ({"from": "2026-13-01"}, {"from": ["Input should be a valid date"]}),
        ({"to": "yesterday"}, {"to": ["Input should be a valid date"]}),
        ({"from": "2026-02-30", "to": "x"}, {"from": ["Input should be a valid date"], "to": ["Input should be a valid date"]}),
        ({"from": "2026-03-01", "to": "2026-02-01"}, {"to": ["Should not be before `from`"]}),
        ({"from": "1900-01-01", "to": "2026-01-01"}, {"to": ["The range should be at most 7320 days"]}),
        ({"from": "2026-01-01T00:00:00"}, {"from": ["Input should be a valid date"]}),
    ],
)
def test_bad_dates_are_400(api, name, params, errors):
    assert_envelope(api.get(f"/api/reports/{name}", params), 400, errors)


def test_bad_interval_is_400(api):
    assert_envelope(api.get("/api/reports/revenue", {"interval": "day"}), 400, {"interval": ["Input should be 'month' or 'week'"]})


@pytest.mark.parametrize("name", ["summary", "revenue", "receivables", "workload"])
def test_reports_need_a_token(anon, name):
    assert anon.get(f"/api/reports/{name}").status_code == 401


def test_other_organization_sees_only_its_own_figures(other_api, seeded):
    summary = get(other_api, "summary", RANGE)
    assert summary["invoices"] == {"USD": {"invoiced": "1500.00", "paid": "1000.00", "outstanding": "500.00"}}
    assert summary["proposals"] == {"sent": 1, "signed": 0, "win_rate": 0.0}
    receivables = get(other_api, "receivables", RANGE)["currencies"]
    assert [(c["currency"], c["buckets"]["90+"]) for c in receivables] == [("USD", "500.00")]
    workload = get(other_api, "workload", RANGE)["data"]
    assert "mia@agency.example.com" not in {row["email"] for row in workload}


@pytest.mark.parametrize("name", ["summary", "revenue?interval=week", "revenue", "receivables", "workload"])
def test_the_calendar_edges_are_not_errors(api, name):
    for params in ({"from": "9999-01-01", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-02-01"}):
        assert api.get(f"/api/reports/{name}", params).status_code == 200, params
