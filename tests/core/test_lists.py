"""The list envelope, paging bounds, filters and sorting (contract §8), through the probe endpoint."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.helpers import assert_constant_queries, assert_envelope

pytestmark = pytest.mark.urls("tests.core.probe")
URL = "/api/probes"
BASE = "http://testserver/api/probes"


def add_addresses(org, count, **over):
    return [factories.make_address(org, **over) for _ in range(count)]


def test_empty_list_envelope(api):
    assert api.get(URL).json() == {
        "data": [],
        "links": {"first": f"{BASE}?page=1&limit=20", "last": f"{BASE}?page=1&limit=20", "prev": None, "next": None},
        "meta": {"current_page": 1, "from": 0, "to": 0, "last_page": 1, "per_page": 20, "total": 0, "path": BASE},
    }


def test_middle_page_envelope(api, org):
    add_addresses(org, 5)
    body = api.get(URL, {"page": 2, "limit": 2, "sort": "city:asc"}).json()
    assert len(body["data"]) == 2
    assert body["links"] == {
        "first": f"{BASE}?page=1&limit=2",
        "last": f"{BASE}?page=3&limit=2",
        "prev": f"{BASE}?page=1&limit=2",
        "next": f"{BASE}?page=3&limit=2",
    }
    assert body["meta"] == {"current_page": 2, "from": 3, "to": 4, "last_page": 3, "per_page": 2, "total": 5, "path": BASE}


def test_page_past_the_end_is_empty_not_an_error(api, org):
    add_addresses(org, 3)
    body = api.get(URL, {"page": 5, "limit": 1}).json()
    assert body["data"] == []
    assert body["meta"]["from"] == 5 and body["meta"]["to"] == 3 and body["meta"]["last_page"] == 3
    assert body["links"]["prev"] == f"{BASE}?page=4&limit=1"
    assert body["links"]["next"] is None


def test_links_carry_only_page_and_limit(api, org):
    add_addresses(org, 3)
    body = api.get(URL, {"limit": 1, "sort": "city:asc", "filters[city][$eq]": "London"}).json()
    assert body["links"]["next"] == f"{BASE}?page=2&limit=1"


def test_path_honours_the_host_header(api, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    body = api.get(URL, HTTP_HOST="api.example.com:8123").json()
    assert body["meta"]["path"] == "http://api.example.com:8123/api/probes"


def test_disallowed_host_is_a_json_400(api, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = api.get(URL, HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "params,errors",
    [
        ({"limit": 0}, {"query.limit": ["Input should be greater than or equal to 1"]}),
        ({"limit": 101}, {"query.limit": ["Input should be less than or equal to 100"]}),
        ({"limit": 10**9}, {"query.limit": ["Input should be less than or equal to 100"]}),
        ({"limit": "x"}, {"query.limit": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"limit": "1.5"}, {"query.limit": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"page": 0}, {"query.page": ["Input should be greater than or equal to 1"]}),
        ({"page": -1}, {"query.page": ["Input should be greater than or equal to 1"]}),
        ({"page": "y"}, {"query.page": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"page": 2147483648}, {"query.page": ["Input should be less than or equal to 2147483647"]}),
        (
            {"page": 0, "limit": 0},
            {"query.limit": ["Input should be greater than or equal to 1"], "query.page": ["Input should be greater than or equal to 1"]},
        ),
    ],
)
def test_paging_bounds(api, params, errors):
    assert_envelope(api.get(URL, params), 400, errors)


def test_largest_page_is_accepted(api):
    assert api.get(URL, {"page": 2147483647}).json()["data"] == []


def test_filters_restrict_rows_and_total(api, org):
    add_addresses(org, 2, city="Paris")
    add_addresses(org, 3, city="Rome")
    body = api.get(URL, {"filters[city][$eq]": "Rome"}).json()
    assert body["meta"]["total"] == 3
    assert {row["city"] for row in body["data"]} == {"Rome"}


def test_filter_eq_null_is_is_null(api, org):
    add_addresses(org, 2, city=None)
    add_addresses(org, 1, city="Rome")
    assert api.get(URL, {"filters[city][$eq]": "null"}).json()["meta"]["total"] == 2


def test_filter_in_with_repeated_brackets(api, org):
    a, b, _c = add_addresses(org, 3)
    body = api.get(f"{URL}?filters[id][$in][]={a.id}&filters[id][$in][]={b.id}").json()
    assert {row["id"] for row in body["data"]} == {str(a.id), str(b.id)}


def test_filter_lt_gt_on_timestamps(api, org):
    old = factories.make_address(org, city="Old")
    old.created_at = timezone.now() - timedelta(days=10)
    old.save()
    factories.make_address(org, city="New")
    cutoff = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert [r["city"] for r in api.get(URL, {"filters[created_at][$lt]": cutoff}).json()["data"]] == ["Old"]
    assert [r["city"] for r in api.get(URL, {"filters[created_at][$gt]": cutoff}).json()["data"]] == ["New"]


def test_unknown_filter_field_and_operator_are_ignored(api, org):
    add_addresses(org, 2)
    assert api.get(URL, {"filters[nope][$eq]": "1", "filters[city][$like]": "x"}).json()["meta"]["total"] == 2


@pytest.mark.parametrize(
    "param,value",
    [("filters[id][$eq]", "not-a-uuid"), ("filters[created_at][$gt]", "someday"), ("filters[id][$in][]", "zzz")],
)
def test_unconvertible_filter_value_is_400_keyed_by_parameter(api, param, value):
    assert_envelope(api.get(URL, {param: value}), 400, {param: ["The filter value is invalid."]})


def test_sort_ascending_descending_and_fallback(api, org):
    for city in ("b", "c", "a"):
        factories.make_address(org, city=city)
    cities = lambda sort: [r["city"] for r in api.get(URL, {"sort": sort}).json()["data"]]  # noqa: E731
    assert cities("city:asc") == ["a", "b", "c"]
    assert cities("city:desc") == ["c", "b", "a"]
    assert cities("city:ASC") == ["c", "b", "a"]  # only exactly `asc` ascends
    assert cities("city") == ["c", "b", "a"]
    assert cities("unknown:asc") == cities("created_at:asc") == ["b", "c", "a"]


def test_nulls_sort_last_ascending_first_descending(api, org):
    factories.make_address(org, city="m")
    factories.make_address(org, city=None)
    assert [r["city"] for r in api.get(URL, {"sort": "city:asc"}).json()["data"]] == ["m", None]
    assert [r["city"] for r in api.get(URL, {"sort": "city:desc"}).json()["data"]] == [None, "m"]


def test_ties_are_broken_by_id_ascending(api, org):
    rows = add_addresses(org, 4, city="same")
    ids = [r["id"] for r in api.get(URL, {"sort": "city:asc"}).json()["data"]]
    assert ids == sorted(str(r.id) for r in rows)


def test_other_organizations_rows_are_never_listed(api, org, other_org):
    add_addresses(other_org, 3)
    add_addresses(org, 1)
    assert api.get(URL).json()["meta"]["total"] == 1


def test_list_query_count_is_constant(api, org):
    # token 1 + count 1 + page 1
    assert assert_constant_queries(api, URL, lambda: factories.make_address(org), budget=3) == 3
    one = api.get(URL, {"limit": 1})
    assert one.status_code == 200
