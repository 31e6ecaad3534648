"""The tenant-scoped admin: a staff account sees and creates only its organization's rows (STYLE §9)."""
import pytest
from django.contrib.auth import get_user_model

from serviceengine.models import ApiToken, User, hash_token
from tests import factories
from tests.helpers import count_queries, staff_browser


@pytest.fixture
def people(org, other_org):
    return {
        "mine": factories.make_team_member(org, email="mine@acme.example.com"),
        "theirs": factories.make_team_member(other_org, email="theirs@globex.example.com"),
    }


def test_staff_changelist_shows_only_its_organization(client, org, people):
    page = staff_browser(org).get("/admin/serviceengine/teammember/").content.decode()
    assert "mine@acme.example.com" in page
    assert "theirs@globex.example.com" not in page


def test_staff_cannot_open_another_organizations_row(client, org, people):
    response = staff_browser(org).get(f"/admin/serviceengine/teammember/{people['theirs'].pk}/change/")
    assert response.status_code == 302  # the admin's "doesn't exist" redirect
    response = staff_browser(org, "staff2").post(
        f"/admin/serviceengine/teammember/{people['theirs'].pk}/delete/", {"post": "yes"}
    )
    assert User.unscoped.filter(pk=people["theirs"].pk).exists()


def test_staff_autocomplete_is_scoped(client, org, people):
    response = staff_browser(org).get(
        "/admin/autocomplete/",
        {"app_label": "serviceengine", "model_name": "apitoken", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert str(people["mine"].pk) in ids and str(people["theirs"].pk) not in ids


def test_staff_creates_rows_in_its_organization_and_cannot_pick_foreign_choices(client, org, people):
    admin_client = staff_browser(org)
    response = admin_client.post(
        "/admin/serviceengine/apitoken/add/", {"user": str(people["theirs"].pk), "name": "Stolen", "scope": "write"}
    )
    assert response.status_code == 200  # form redisplayed with an error
    assert not ApiToken.unscoped.exists()
    response = admin_client.post(
        "/admin/serviceengine/apitoken/add/",
        {"user": str(people["mine"].pk), "name": "Mine", "scope": "read", "rate_limit": "10/min"},
        follow=True,
    )
    token = ApiToken.unscoped.get()
    assert token.organization == org
    assert (token.scope, token.rate_limit) == ("read", "10/minute")
    raw = next(m.message.rsplit(" ", 1)[-1] for m in response.context["messages"])
    assert hash_token(raw) == token.token_hash


def test_staff_without_profile_sees_nothing(client, org, people):
    account = get_user_model().objects.create_user(username="loose", password="pw", is_staff=True)
    client.force_login(account)
    assert client.get("/admin/serviceengine/teammember/").status_code == 403


def test_superuser_sees_every_organization_and_can_filter(client, org, other_org, people):
    account = get_user_model().objects.create_superuser(username="root", password="pw", email="root@example.com")
    client.force_login(account)
    page = client.get("/admin/serviceengine/teammember/").content.decode()
    assert "mine@acme.example.com" in page and "theirs@globex.example.com" in page
    filtered = client.get(f"/admin/serviceengine/teammember/?organization__id__exact={org.pk}").content.decode()
    assert "theirs@globex.example.com" not in filtered


def test_changelist_query_count_does_not_grow_with_rows(client, org):
    admin_client = staff_browser(org)
    factories.make_team_member(org)
    _r, few = count_queries(lambda: admin_client.get("/admin/serviceengine/teammember/"))
    for _ in range(20):
        factories.make_team_member(org)
    _r, many = count_queries(lambda: admin_client.get("/admin/serviceengine/teammember/"))
    assert len(few) == len(many)


def test_token_changelist_shows_name_scope_rate_limit_last_use_and_expiry(client, org, people, settings):
    ApiToken.issue(organization=org, user=people["mine"], name="Reader", scope="read", rate_limit="5/second")
    ApiToken.issue(organization=org, user=people["mine"], name="Writer")
    page = staff_browser(org).get("/admin/serviceengine/apitoken/").content.decode()
    for text in ("Reader", "Writer", "5/second", f"default ({settings.API_RATE_LIMIT})", "last used", "expires at",
                 "scope", "rate limit"):
        assert text.lower() in page.lower(), text
    bad = staff_browser(org, "second").post(
        "/admin/serviceengine/apitoken/add/", {"user": str(people["mine"].pk), "name": "X", "scope": "write", "rate_limit": "9/day"}
    )
    assert bad.status_code == 200 and "N/second, N/minute or N/hour" in bad.content.decode()
