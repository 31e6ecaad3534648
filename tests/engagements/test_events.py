"""Events of engagements.md Decision 18: every change records its event in its own transaction, with the object as
its retrieve endpoint renders it; a close that changes nothing records nothing; advance records
`project.phase_changed`; a PUT records `project.updated`, plus `project.phase_changed` when the phase moves."""
from events.models import Event
from tests.billing.factories import make_proposal
from tests.engagements.conftest import post_message


def types(org, since=None) -> list[str]:
    qs = Event.objects.for_org(org).order_by("created_at", "id")
    return [e.type for e in qs][since or 0:]


def last(org, event_type) -> Event:
    return Event.objects.for_org(org).filter(type=event_type).order_by("-created_at", "-id").first()


def test_engagement_events(api, org, client_user):
    created = api.post("/api/engagements", {"client_id": str(client_user.id), "name": "E"}, format="json").json()
    event = last(org, "engagement.created")
    assert event.data == created and event.object_id.hex == created["id"].replace("-", "")
    assert event.actor_type != "system"  # the API token's
    url = f"/api/engagements/{created['id']}"
    api.put(url, {"name": "Renamed"}, format="json")
    assert last(org, "engagement.updated").previous_attributes == {"name": "E"}
    count = len(types(org))
    assert api.delete(url).status_code == 204
    closed = last(org, "engagement.closed")
    assert closed.data["status"] == "Closed" and closed.previous_attributes["status"] == "Active"
    assert api.delete(url).status_code == 204
    assert len(types(org)) == count + 1  # the second close changed nothing: no event


def test_project_events(api, org, engagement):
    created = api.post("/api/projects", {"engagement_id": str(engagement.id), "name": "P"}, format="json").json()
    assert last(org, "project.created").data == created
    url = f"/api/projects/{created['id']}"
    start = len(types(org))
    api.put(url, {"name": "Q"}, format="json")
    assert types(org, start) == ["project.updated"]
    api.put(url, {"phase": 2}, format="json")
    assert types(org, start) == ["project.updated", "project.updated", "project.phase_changed"]
    changed = last(org, "project.phase_changed")
    assert changed.data["phase"] == "Setup" and changed.previous_attributes["phase"] == "Kickoff"
    advanced = api.post(f"{url}/advance").json()
    event = last(org, "project.phase_changed")
    assert event.data == advanced and event.previous_attributes["phase_id"] == 2
    assert types(org)[-1] == "project.phase_changed"
    assert api.post(f"{url}/advance", {"from_phase_id": 1}, format="json").status_code == 409
    assert types(org)[-1] == "project.phase_changed" and len(types(org)) == start + 4  # refused: nothing recorded
    api.delete(url)
    deleted = last(org, "project.deleted")
    assert deleted.data["id"] == created["id"] and deleted.data["phase"] == "Build"


def test_conversation_and_message_events(api, org, project):
    created = api.post("/api/conversations", {"project_id": str(project.id), "subject": "S"}, format="json").json()
    assert last(org, "conversation.created").data == created
    url = f"/api/conversations/{created['id']}"
    api.put(url, {"status": 2}, format="json")
    assert last(org, "conversation.updated").previous_attributes["status"] == "Open"
    message = api.post(f"{url}/messages", {"content": "Hi"}, format="json").json()
    assert last(org, "conversation_message.created").data == message
    assert last(org, "conversation_message.created").object_type == "conversation_message"
    api.delete(f"/api/conversation-messages/{message['id']}")
    assert last(org, "conversation_message.deleted").data["id"] == message["id"]
    api.delete(url)
    assert last(org, "conversation.deleted").data["id"] == created["id"]


def test_sign_records_the_engagement_and_each_project(api, org):
    proposal = make_proposal(org, status="sent")
    start = len(types(org))
    assert api.post(f"/api/proposals/{proposal.id}/sign").status_code == 200
    recorded = types(org, start)
    assert recorded.count("engagement.created") == 1 and recorded.count("project.created") == 1


def test_a_service_call_outside_the_api_records_a_system_event(org, conversation, owner):
    post_message(conversation, owner)
    assert last(org, "conversation_message.created").actor_type == "system"
