"""`/api/projects` and advance (engagements.md): shapes, validation, phase transition table, soft delete."""
import uuid

import pytest

from engagements.models import PHASE_TRANSITIONS, Project, ProjectPhase, ProjectStatus
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.engagements.conftest import make_conversation, make_engagement, make_project
from tests.helpers import assert_detail, assert_envelope

URL = "/api/projects"
KEYS = ["id", "engagement_id", "org_id", "name", "description", "status", "status_id", "phase", "phase_id",
        "service_id", "service", "engagement", "created_at", "updated_at", "completed_at"]


def test_create_returns_the_project_object(api, org, engagement):
    service = factories.make_service(org, name="SEO")
    resp = api.post(URL, {"engagement_id": str(engagement.id), "name": " Build site ", "description": "All of it",
                          "service_id": str(service.id), "status": 3, "phase": 5}, format="json")
    assert resp.status_code == 201, resp.content
    row = Project.objects.for_org(org).get()
    assert resp.json() == {
        "id": str(row.id),
        "engagement_id": str(engagement.id),
        "org_id": str(org.id),
        "name": "Build site",
        "description": "All of it",
        "status": "Active",
        "status_id": 1,
        "phase": "Kickoff",
        "phase_id": 1,
        "service_id": str(service.id),
        "service": {"id": str(service.id), "name": "SEO"},
        "engagement": {"id": str(engagement.id), "name": "Engines Ltd", "client_id": str(engagement.client_id),
                       "status": "Active", "status_id": 1},
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
        "completed_at": None,
    }


def test_create_validation_and_references(api, org, other_org, engagement):
    assert_envelope(api.post(URL, {}, format="json"), 400, {"engagement_id": ["Field required"],
                                                            "name": ["Field required"]})
    assert_envelope(api.post(URL, {"engagement_id": str(engagement.id), "name": " "}, format="json"), 400,
                    {"name": ["String should have at least 1 character"]})
    foreign = make_engagement(other_org)
    for bad in ("x", str(uuid.uuid4()), str(foreign.id)):
        resp = api.post(URL, {"engagement_id": bad, "name": "P"}, format="json")
        assert_envelope(resp, 422, {"engagement_id": ["The specified engagement does not exist."]})
    gone = factories.make_service(org)
    gone.soft_delete()
    for bad in ("x", str(gone.id), str(factories.make_service(other_org).id)):
        resp = api.post(URL, {"engagement_id": str(engagement.id), "name": "P", "service_id": bad}, format="json")
        assert_envelope(resp, 422, {"service_id": ["The specified service does not exist."]})
    assert not Project.unscoped.exists()
    engagement.status = 3
    engagement.save()
    resp = api.post(URL, {"engagement_id": str(engagement.id), "name": "P", "service_id": ""}, format="json")
    assert resp.status_code == 201 and resp.json()["service"] is None


def test_service_shows_its_current_name_even_when_deleted(api, org, engagement):
    service = factories.make_service(org, name="Old")
    project = make_project(org, engagement, service=service)
    service.name = "New"
    service.save()
    service.soft_delete()
    assert api.get(f"{URL}/{project.id}").json()["service"] == {"id": str(service.id), "name": "New"}


ALL_PHASES = list(ProjectPhase)


@pytest.mark.parametrize("current", ALL_PHASES)
@pytest.mark.parametrize("target", ALL_PHASES)
def test_phase_transition_table(api, org, engagement, current, target):
    project = make_project(org, engagement, phase=current)
    resp = api.put(f"{URL}/{project.id}", {"phase": int(target)}, format="json")
    allowed = target == current or target in PHASE_TRANSITIONS[current]
    if allowed:
        assert resp.status_code == 200, resp.content
        assert resp.json()["phase_id"] == target
    else:
        assert_envelope(resp, 400, {"phase": [f"Cannot transition from {current.label} to {target.label}."]})
        project.refresh_from_db()
        assert project.phase == current


def test_finished_projects_keep_their_phase(api, org, engagement):
    project = make_project(org, engagement, status=ProjectStatus.COMPLETED)
    url = f"{URL}/{project.id}"
    assert_envelope(api.put(url, {"phase": 2}, format="json"), 400,
                    {"phase": ["Cannot change the phase of a Completed project."]})
    assert_envelope(api.put(url, {"phase": 2, "status": 4, "name": "X"}, format="json"), 400,
                    {"phase": ["Cannot change the phase of a Cancelled project."]})
    project.refresh_from_db()
    assert (project.status, project.phase, project.name) == (ProjectStatus.COMPLETED, 1, project.name)
    reopened = api.put(url, {"phase": 2, "status": 1}, format="json").json()  # status applied first
    assert (reopened["status_id"], reopened["phase_id"], reopened["completed_at"]) == (1, 2, None)
    assert api.put(url, {"phase": 2, "status": 3}, format="json").status_code == 200  # same phase is fine


def test_completed_at_follows_the_status(api, org, engagement):
    project = make_project(org, engagement)
    url = f"{URL}/{project.id}"
    done = api.put(url, {"status": 3}, format="json").json()
    assert done["completed_at"] is not None and done["completed_at"] == done["updated_at"]
    same = api.put(url, {"status": 3}, format="json").json()
    assert same["completed_at"] == done["completed_at"]
    assert api.put(url, {"status": 2}, format="json").json()["completed_at"] is None


def test_update_validation(api, project):
    resp = api.put(f"{URL}/{uuid.uuid4()}", {"status": 0, "phase": 7, "name": ""}, format="json")
    assert_envelope(resp, 400, {"name": ["String should have at least 1 character"],
                                "status": ["Input should be greater than or equal to 1"],
                                "phase": ["Input should be less than or equal to 6"]})
    resp = api.put(f"{URL}/{project.id}", {"engagement_id": str(uuid.uuid4()), "description": "d"}, format="json")
    assert resp.status_code == 200 and resp.json()["engagement_id"] == str(project.engagement_id)


def test_advance_moves_one_phase(api, project):
    url = f"{URL}/{project.id}/advance"
    resp = api.post(url)
    assert resp.status_code == 200 and resp.json()["phase"] == "Setup"
    assert api.post(url, {}, format="json").json()["phase_id"] == 3
    assert api.post(url, {"from_phase_id": None}, format="json").json()["phase_id"] == 4
    assert_detail(api.post(url, {"from_phase_id": 1}, format="json"), 409, "Project is in phase Testing, not Kickoff.")
    assert api.post(url, {"from_phase_id": 4}, format="json").json()["phase_id"] == 5
    assert api.post(url).json()["phase_id"] == 6
    assert_detail(api.post(url), 400, "Project is already at final phase (Handoff).")
    project.refresh_from_db()
    assert (project.phase, project.status) == (6, ProjectStatus.ACTIVE)


def test_advance_checks_in_order(api, org, engagement):
    cancelled = make_project(org, engagement, status=ProjectStatus.CANCELLED, phase=2)
    url = f"{URL}/{cancelled.id}/advance"
    assert_envelope(api.post(url, {"from_phase_id": 9}, format="json"), 400,
                    {"from_phase_id": ["Input should be less than or equal to 6"]})
    assert_envelope(api.post(url, [1], format="json"), 400,
                    {"root": ["Input should be a valid dictionary or object to extract fields from"]})
    assert_envelope(api.post(url, "{", content_type="application/json"), 400, {"root": ["JSON decode error"]})
    assert_detail(api.post(f"{URL}/{uuid.uuid4()}/advance"), 404, "Not Found")
    assert_detail(api.post(url, {"from_phase_id": 1}, format="json"), 409, "Project is in phase Setup, not Kickoff.")
    assert_detail(api.post(url), 400, "Cannot advance a Cancelled project.")
    paused = make_project(org, engagement, status=ProjectStatus.PAUSED)
    assert api.post(f"{URL}/{paused.id}/advance").json()["phase_id"] == 2


def test_delete_is_soft_and_hides_conversations(api, org, project, conversation):
    url = f"{URL}/{project.id}"
    assert api.delete(url).status_code == 204
    assert_detail(api.get(url), 404, "Not Found")
    assert_detail(api.delete(url), 404, "Not Found")
    assert_detail(api.post(f"{url}/advance"), 404, "Not Found")
    assert api.get(URL).json()["data"] == []
    assert_detail(api.get(f"/api/conversations/{conversation.id}"), 404, "Not Found")
    assert api.get("/api/conversations").json()["data"] == []
    engagement = api.get(f"/api/engagements/{project.engagement_id}").json()
    assert engagement["projects"] == [] and engagement["conversations"] == []
    assert Project.unscoped.get(pk=project.pk).deleted_at is not None


def test_other_organizations_projects(api, other_org, org, engagement):
    foreign = make_project(other_org)
    for method, path in (("get", ""), ("put", ""), ("delete", ""), ("post", "/advance")):
        assert_detail(getattr(api, method)(f"{URL}/{foreign.id}{path}", {}, format="json"), 404, "Not Found")
    assert api.get(URL, {"engagement_id": str(foreign.engagement_id)}).json()["data"] == []
    make_conversation(other_org, foreign)
    foreign.refresh_from_db()
    assert foreign.phase == 1


def test_list_filters_and_shorthand(api, org, engagement):
    other = make_engagement(org)
    a = make_project(org, engagement, name="A", phase=2)
    b = make_project(org, other, name="B", status=2)
    ids = lambda resp: [row["id"] for row in resp.json()["data"]]  # noqa: E731
    assert ids(api.get(URL, {"engagement_id": str(engagement.id)})) == [str(a.id)]
    assert ids(api.get(URL, {"filters[phase][$eq]": "2"})) == [str(a.id)]
    assert ids(api.get(URL, {"filters[status][$in][]": ["2", "3"]})) == [str(b.id)]
    assert ids(api.get(URL, {"sort": "phase:desc"})) == [str(a.id), str(b.id)]
    assert_envelope(api.get(URL, {"engagement_id": "1"}), 400, {"engagement_id": ["The filter value is invalid."]})
    row = api.get(URL).json()["data"][0]
    assert list(row) == KEYS
