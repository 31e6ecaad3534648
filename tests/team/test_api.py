"""`/api/team`: team members only (never clients), shape, filters, tenancy, query budgets."""
import pytest

from serviceengine.api.fields import format_datetime
from tests import factories
from tests.helpers import assert_constant_queries, assert_detail


def test_retrieve_shape(api, owner):
    body = api.get(f"/api/team/{owner.id}").json()
    role = owner.role
    assert body == {
        "id": str(owner.id),
        "name_f": "Olive",
        "name_l": "Owner",
        "email": "owner@acme.example.com",
        "role": {"id": str(role.id), "name": role.name, "dashboard_access": role.dashboard_access},
        "created_at": format_datetime(owner.created_at),
        "updated_at": format_datetime(owner.updated_at),
    }


def test_list_has_team_members_never_clients(api, org, owner, other_org):
    member = factories.make_team_member(org, email="bob@acme.example.com")
    factories.make_client(org)
    factories.make_team_member(other_org)
    body = api.get("/api/team?sort=email:asc").json()
    assert [m["id"] for m in body["data"]] == [str(member.id), str(owner.id)]
    assert body["meta"]["total"] == 2


def test_client_id_is_404(api, org):
    client = factories.make_client(org)
    assert_detail(api.get(f"/api/team/{client.id}"), 404, "Not Found")


def test_other_organizations_member_is_404(api, other_org):
    assert_detail(api.get(f"/api/team/{factories.make_team_member(other_org).id}"), 404, "Not Found")


@pytest.mark.parametrize("query", ["filters[email][$eq]=bob@acme.example.com", "filters[role_id][$eq]={role}"])
def test_filters(api, org, owner, query):
    from serviceengine.models import Role

    other_role = Role.objects.create(name="Manager", dashboard_access=2)
    bob = factories.make_team_member(org, email="bob@acme.example.com", role=other_role)
    body = api.get("/api/team?" + query.format(role=other_role.id)).json()
    assert [m["id"] for m in body["data"]] == [str(bob.id)]


def test_bad_filter_value_is_400(api):
    assert api.get("/api/team?filters[role_id][$eq]=nope").status_code == 400


def test_list_query_count_is_fixed(api, org):
    assert_constant_queries(api, "/api/team?limit=100", lambda: factories.make_team_member(org), budget=3)
