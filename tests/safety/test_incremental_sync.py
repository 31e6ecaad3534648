"""Incremental sync (issue 14): every list of a resource with `updated_at` renders it and accepts
`filters[updated_at][$gt|$lt]` and `sort=updated_at:asc|desc`, with the same number of queries at any page size.

The list routes are read from the URL conf (the router's `get → list` routes of `OrgViewSet`s), and the rows
from `seed_demo` (each app seeds its own), so a resource added later is checked here without naming it."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from serviceengine.api.fields import format_datetime, parse_datetime_input
from serviceengine.api.viewsets import OrgViewSet, has_updated_at
from tests.helpers import count_queries
from tests.security.routes import walk

pytestmark = pytest.mark.django_db


def list_routes():
    out = []
    for route in walk():
        cls = getattr(route.callback, "cls", None)
        actions = getattr(route.callback, "actions", None) or {}
        if cls is not None and issubclass(cls, OrgViewSet) and actions.get("get") == "list":
            out.append((route, cls))
    return out


LIST_ROUTES = [(route, cls) for route, cls in list_routes() if has_updated_at(cls.model) and cls.sync]


def test_most_lists_are_seeded_so_rendering_is_checked(demo):
    seeded = [route for route, _cls in LIST_ROUTES if fetch(demo, route.url)["data"]]
    assert len(seeded) >= 6


def test_every_list_route_of_a_model_with_updated_at_is_checked():
    synced = {route.display for route, _cls in LIST_ROUTES}
    assert {"/api/clients", "/api/services", "/api/orders", "/api/proposals", "/api/invoices", "/api/tickets"} <= synced
    # The others are append-only logs (events) that opted out with `sync = False`: they never change once
    # written, and are followed by `created_at`.
    for route, cls in list_routes():
        if route.display not in synced:
            assert not cls.sync and "created_at" in cls.filter_fields, route


@pytest.fixture
def demo():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    return client


def fetch(demo, url, **params):
    response = demo.get(url, {"limit": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()


def stamps(body):
    return [parse_datetime_input(row["updated_at"]) for row in body["data"]]


@pytest.mark.parametrize("route", [route for route, _cls in LIST_ROUTES], ids=str)
def test_updated_at_is_rendered_filtered_and_sorted(demo, route):
    bad = demo.get(route.url, {"filters[updated_at][$gt]": "yesterday"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["filters[updated_at][$gt]"]
    every = fetch(demo, route.url)
    rows = every["data"]
    if not rows:
        return  # not seeded by seed_demo: the filter is declared (above); rendering is checked where rows exist
    assert all("updated_at" in row for row in rows)

    ascending = fetch(demo, route.url, sort="updated_at:asc")
    assert stamps(ascending) == sorted(stamps(every))
    descending = fetch(demo, route.url, sort="updated_at:desc")
    assert stamps(descending) == sorted(stamps(every), reverse=True)

    values = sorted(set(stamps(every)))
    middle = values[len(values) // 2]
    later = fetch(demo, route.url, **{"filters[updated_at][$gt]": format_datetime(middle)})
    earlier = fetch(demo, route.url, **{"filters[updated_at][$lt]": format_datetime(middle)})
    assert all(stamp > middle for stamp in stamps(later))
    assert all(stamp < middle for stamp in stamps(earlier))
    same = sum(stamp == middle for stamp in stamps(every))
    assert later["meta"]["total"] + earlier["meta"]["total"] + same == every["meta"]["total"]
    future = format_datetime(values[-1] + timedelta(days=1))
    assert fetch(demo, route.url, **{"filters[updated_at][$gt]": future})["data"] == []


@pytest.mark.parametrize("route", [route for route, _cls in LIST_ROUTES], ids=str)
def test_sync_filters_keep_the_query_count_fixed(demo, route):
    """Same queries for a page of 1 row and a page of n-1 rows (both short of the total, so both count it); with
    fewer than 3 demo rows, a page of 1 and a page of 100 (both hold every row)."""
    since = {"filters[updated_at][$gt]": "2000-01-01T00:00:00Z", "sort": "updated_at:asc"}
    total = fetch(demo, route.url, **since)["meta"]["total"]
    small, large = (1, total - 1) if total >= 3 else (max(total, 1), 100)
    one, one_sql = count_queries(lambda: demo.get(route.url, {**since, "limit": small}))
    many, many_sql = count_queries(lambda: demo.get(route.url, {**since, "limit": large}))
    assert one.status_code == many.status_code == 200
    assert len(many.json()["data"]) == min(large, total)
    assert len(one_sql) == len(many_sql), "\n".join(many_sql)


def test_the_schema_documents_the_sync_parameters(demo):
    schema = APIClient().get("/api/schema").json()
    for route, _cls in LIST_ROUTES:
        params = {p["name"] for p in schema["paths"][route.display]["get"]["parameters"]}
        assert {"filters[updated_at][$gt]", "filters[updated_at][$lt]", "sort"} <= params, route
