"""`/api/engagements` (engagements.md): shapes, validation, tenancy, close, list conventions."""
import uuid

from engagements.models import Engagement, EngagementStatus
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.engagements.conftest import make_conversation, make_engagement, make_project, post_message
from tests.helpers import assert_detail, assert_envelope

URL = "/api/engagements"
ROW_KEYS = ["id", "org_id", "client_id", "client", "name", "status", "status_id", "proposal_id", "created_at",
            "updated_at", "closed_at"]
FULL_KEYS = ROW_KEYS[:8] + ["projects", "conversations"] + ROW_KEYS[8:]


def test_create_returns_the_engagement_object(api, org, client_user):
    resp = api.post(URL, {"client_id": str(client_user.id), "name": "  Engines Ltd  ", "status": 3}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert list(body) == FULL_KEYS
    row = Engagement.objects.for_org(org).get()
    assert body == {
        "id": str(row.id),
        "org_id": str(org.id),
        "client_id": str(client_user.id),
        "client": {"id": str(client_user.id), "name": "Ada Byron", "email": "ada@engines.example.com"},
        "name": "Engines Ltd",
        "status": "Active",
        "status_id": 1,
        "proposal_id": None,
        "projects": [],
        "conversations": [],
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
        "closed_at": None,
    }


def test_create_validates_the_schema(api):
    resp = api.post(URL, {"name": "   ", "client_id": 5}, format="json")
    assert_envelope(resp, 400, {"client_id": ["Input should be a valid string"],
                                "name": ["String should have at least 1 character"]})
    assert_envelope(api.post(URL, {}, format="json"), 400, {"client_id": ["Field required"]})
    long_name = api.post(URL, {"client_id": "x", "name": "n" * 256}, format="json")
    assert_envelope(long_name, 400, {"name": ["String should have at most 255 characters"]})


def test_create_refuses_team_members_unknown_and_other_org_clients(api, org, other_org, owner):
    for client_id in (str(owner.id), "not-a-uuid", str(uuid.uuid4()), str(factories.make_client(other_org).id)):
        resp = api.post(URL, {"client_id": client_id}, format="json")
        assert_envelope(resp, 422, {"client_id": ["The specified client does not exist."]})
    assert not Engagement.unscoped.exists()


def test_create_checks_the_proposal(api, org, other_org, client_user):
    from billing.models import Proposal

    foreign = Proposal.unscoped.create(organization=other_org, client_email="a@b.example.com",
                                          client_name_f="A", client_name_l="B")
    resp = api.post(URL, {"client_id": str(client_user.id), "proposal_id": str(foreign.id)}, format="json")
    assert_envelope(resp, 422, {"proposal_id": ["The specified proposal does not exist."]})
    mine = Proposal.unscoped.create(organization=org, client_email="a@b.example.com", client_name_f="A",
                                       client_name_l="B")
    resp = api.post(URL, {"client_id": str(client_user.id), "proposal_id": str(mine.id)}, format="json")
    assert resp.status_code == 201
    assert resp.json()["proposal_id"] == str(mine.id)
    mine.refresh_from_db()
    assert mine.converted_engagement_id is None  # only sign sets it
    blank = api.post(URL, {"client_id": str(client_user.id), "proposal_id": ""}, format="json")
    assert blank.status_code == 201 and blank.json()["proposal_id"] is None


def test_retrieve_embeds_projects_and_conversations(api, org, engagement, owner):
    first = make_project(org, engagement, name="First")
    second = make_project(org, engagement, name="Second", phase=3)
    make_project(org, engagement, name="Gone").soft_delete()
    quiet = make_conversation(org, first, subject="Quiet")
    busy = make_conversation(org, second, subject="Busy")
    post_message(busy, owner, "visible")
    post_message(busy, owner, "internal", is_internal=True)
    hidden_project = make_project(org, engagement, name="Hidden")
    make_conversation(org, hidden_project, subject="Under a deleted project")
    hidden_project.soft_delete()
    body = api.get(f"{URL}/{engagement.id}").json()
    assert list(body) == FULL_KEYS
    assert body["projects"] == [
        {"id": str(first.id), "name": "First", "status": "Active", "status_id": 1, "phase": "Kickoff", "phase_id": 1},
        {"id": str(second.id), "name": "Second", "status": "Active", "status_id": 1, "phase": "Build", "phase_id": 3},
    ]
    busy.refresh_from_db()
    assert body["conversations"] == [
        {"id": str(busy.id), "project_id": str(second.id), "subject": "Busy", "status": "Open", "status_id": 1,
         "message_count": 1, "last_message_at": format_datetime(busy.last_message_at)},
        {"id": str(quiet.id), "project_id": str(first.id), "subject": "Quiet", "status": "Open", "status_id": 1,
         "message_count": 0, "last_message_at": None},
    ]


def test_list_rows_have_eleven_keys(api, org, engagement):
    body = api.get(URL).json()
    assert [list(row) for row in body["data"]] == [ROW_KEYS]
    assert body["meta"]["path"] == "http://testserver/api/engagements"


def test_update_stamps_and_clears_closed_at(api, engagement):
    url = f"{URL}/{engagement.id}"
    closed = api.put(url, {"status": 3, "name": "Renamed", "client_id": str(uuid.uuid4())}, format="json").json()
    assert closed["status"] == "Closed" and closed["closed_at"] is not None and closed["name"] == "Renamed"
    assert closed["client_id"] == str(engagement.client_id)
    again = api.put(url, {"status": 3}, format="json").json()
    assert again["closed_at"] == closed["closed_at"]
    reopened = api.put(url, {"status": 2, "name": None}, format="json").json()
    assert reopened["status"] == "Paused" and reopened["closed_at"] is None and reopened["name"] == "Renamed"


def test_update_validates_before_the_path_id(api):
    resp = api.put(f"{URL}/{uuid.uuid4()}", {"status": 4}, format="json")
    assert_envelope(resp, 400, {"status": ["Input should be less than or equal to 3"]})
    assert_detail(api.put(f"{URL}/{uuid.uuid4()}", {"status": 1}, format="json"), 404, "Not Found")


def test_delete_closes_idempotently(api, engagement):
    url = f"{URL}/{engagement.id}"
    resp = api.delete(url)
    assert resp.status_code == 204 and resp.content == b""
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.CLOSED and engagement.closed_at is not None
    stamps = (engagement.closed_at, engagement.updated_at)
    assert api.delete(url).status_code == 204
    engagement.refresh_from_db()
    assert (engagement.closed_at, engagement.updated_at) == stamps
    assert api.get(url).json()["status"] == "Closed"
    assert [row["id"] for row in api.get(URL).json()["data"]] == [str(engagement.id)]


def test_other_organizations_engagements_are_not_found(api, other_org):
    foreign = make_engagement(other_org)
    for method in ("get", "put", "delete"):
        resp = getattr(api, method)(f"{URL}/{foreign.id}", {"name": "x"}, format="json")
        assert_detail(resp, 404, "Not Found")
    assert_detail(api.get(f"{URL}/not-a-uuid"), 404, "Not Found")
    assert api.get(URL).json()["data"] == []
    foreign.refresh_from_db()
    assert foreign.status == EngagementStatus.ACTIVE


def test_list_filters_sort_and_shorthand(api, org, client_user):
    other_client = factories.make_client(org)
    a = make_engagement(org, client_user, name="Alpha")
    b = make_engagement(org, other_client, name="Beta", status=3)
    ids = lambda resp: [row["id"] for row in resp.json()["data"]]  # noqa: E731
    assert ids(api.get(URL, {"client_id": str(client_user.id)})) == [str(a.id)]
    assert ids(api.get(URL, {"filters[status][$eq]": "3"})) == [str(b.id)]
    assert ids(api.get(URL, {"sort": "name:asc"})) == [str(a.id), str(b.id)]
    both = api.get(URL, {"client_id": str(client_user.id), "filters[status][$eq]": "3"}).json()
    assert both["data"] == [] and both["meta"]["total"] == 0
    assert_envelope(api.get(URL, {"client_id": "nope"}), 400, {"client_id": ["The filter value is invalid."]})
    assert_envelope(api.get(URL, {"filters[status][$eq]": "x", "client_id": "nope", "limit": 0}), 400, {
        "filters[status][$eq]": ["The filter value is invalid."],
        "client_id": ["The filter value is invalid."],
        "query.limit": ["Input should be greater than or equal to 1"],
    })
    assert len(ids(api.get(URL, {"status": "3"}))) == 2  # plain status is not a shorthand


def test_client_with_an_engagement_cannot_be_deleted(api, org, engagement, client_user):
    engagement.status = EngagementStatus.CLOSED
    engagement.save()
    resp = api.delete(f"/api/clients/{client_user.id}")
    assert_detail(resp, 409, "Cannot delete client with existing engagements")


def test_lists_accept_search(api, org, engagement, project, conversation):
    assert [r["id"] for r in api.get(URL, {"search": "engines"}).json()["data"]] == [str(engagement.id)]
    assert api.get(URL, {"search": "nothing-like-it"}).json()["data"] == []
    assert [r["id"] for r in api.get("/api/projects", {"search": "seo"}).json()["data"]] == [str(project.id)]
    assert [r["id"] for r in api.get("/api/conversations", {"search": "keyword"}).json()["data"]] == [
        str(conversation.id)]
