"""`/api/conversations`, their messages and `/api/conversation-messages` (engagements.md)."""
import uuid

from engagements.models import Conversation, ConversationMessage
from serviceengine.api.fields import format_datetime
from tests import factories
from tests.engagements.conftest import make_conversation, make_project, post_message
from tests.helpers import assert_detail, assert_envelope

URL = "/api/conversations"
KEYS = ["id", "project_id", "engagement_id", "org_id", "subject", "status", "status_id", "project", "messages",
        "message_count", "created_at", "updated_at", "last_message_at"]


def test_create_returns_the_conversation_object(api, org, project):
    resp = api.post(URL, {"project_id": str(project.id), "subject": " Keyword list ", "status": 2}, format="json")
    assert resp.status_code == 201, resp.content
    row = Conversation.objects.for_org(org).get()
    assert resp.json() == {
        "id": str(row.id),
        "project_id": str(project.id),
        "engagement_id": str(project.engagement_id),
        "org_id": str(org.id),
        "subject": "Keyword list",
        "status": "Open",
        "status_id": 1,
        "project": {"id": str(project.id), "name": "Monthly SEO Package", "engagement_id": str(project.engagement_id)},
        "messages": [],
        "message_count": 0,
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
        "last_message_at": None,
    }
    assert api.post(URL, {"project_id": str(project.id)}, format="json").json()["subject"] is None


def test_create_validation_and_references(api, org, other_org, project):
    assert_envelope(api.post(URL, {"subject": ""}, format="json"), 400, {
        "project_id": ["Field required"], "subject": ["String should have at least 1 character"]})
    gone = make_project(org, project.engagement)
    gone.soft_delete()
    for bad in ("x", str(uuid.uuid4()), str(gone.id), str(make_project(other_org).id)):
        resp = api.post(URL, {"project_id": bad}, format="json")
        assert_envelope(resp, 422, {"project_id": ["The specified project does not exist."]})


def test_post_message_and_read_it(api, org, owner, conversation):
    url = f"{URL}/{conversation.id}/messages"
    resp = api.post(url, {"content": "  First draft attached. ", "sender_id": str(uuid.uuid4()),
                          "attachments": [{"name": "k.csv", "url": "https://files.example.com/k.csv", "size": 2048},
                                          {"name": "b", "url": "u"}]}, format="json")
    assert resp.status_code == 201, resp.content
    message = ConversationMessage.objects.for_org(org).get()
    body = resp.json()
    assert body == {
        "id": str(message.id),
        "conversation_id": str(conversation.id),
        "sender_id": str(owner.id),
        "sender": {"id": str(owner.id), "name": "Olive Owner", "email": "owner@acme.example.com", "type": "staff"},
        "content": "First draft attached.",
        "is_internal": False,
        "attachments": [{"name": "k.csv", "url": "https://files.example.com/k.csv", "size": 2048},
                        {"name": "b", "url": "u", "size": None}],
        "created_at": format_datetime(message.created_at),
        "updated_at": format_datetime(message.updated_at),
    }
    conversation.refresh_from_db()
    assert conversation.last_message_at == conversation.updated_at == message.created_at == message.updated_at
    listed = api.get(url)
    assert listed.status_code == 200 and listed.json() == [body] and "Link" not in listed
    thread = api.get(f"{URL}/{conversation.id}").json()
    assert thread["messages"] == [body] and thread["message_count"] == 1


def test_message_validation(api, conversation):
    url = f"{URL}/{conversation.id}/messages"
    resp = api.post(url, {"content": "   ", "is_internal": None, "attachments": [1, {"size": -1, "url": 3}]},
                    format="json")
    assert_envelope(resp, 400, {
        "content": ["String should have at least 1 character"],
        "is_internal": ["Input should be a valid boolean"],
        "attachments.0": ["Input should be a valid dictionary or object to extract fields from"],
        "attachments.1.name": ["Field required"],
        "attachments.1.url": ["Input should be a valid string"],
        "attachments.1.size": ["Input should be greater than or equal to 0"],
    })
    assert_envelope(api.post(url, {"attachments": "x"}, format="json"), 400, {
        "content": ["Field required"], "attachments": ["Input should be a valid list"]})
    assert_envelope(api.post(f"{URL}/{uuid.uuid4()}/messages", {}, format="json"), 400,
                    {"content": ["Field required"]})
    assert_detail(api.post(f"{URL}/{uuid.uuid4()}/messages", {"content": "x"}, format="json"), 404, "Not Found")


def test_internal_messages_are_opt_in(api, org, owner, conversation):
    visible = post_message(conversation, owner, "for the client")
    internal = post_message(conversation, owner, "staff only", is_internal=True)
    default = api.get(f"{URL}/{conversation.id}").json()
    assert [m["id"] for m in default["messages"]] == [str(visible.id)] and default["message_count"] == 1
    full = api.get(f"{URL}/{conversation.id}", {"include_internal": "yes"}).json()
    assert [m["id"] for m in full["messages"]] == [str(visible.id), str(internal.id)] and full["message_count"] == 2
    listed = api.get(URL, {"include_internal": "true"}).json()["data"][0]
    assert listed["message_count"] == 2
    assert [m["id"] for m in api.get(f"{URL}/{conversation.id}/messages").json()] == [str(visible.id)]
    bad = {"query.include_internal": ["Input should be a valid boolean, unable to interpret input"]}
    assert_envelope(api.get(URL, {"include_internal": "maybe"}), 400, bad)
    assert_envelope(api.get(f"{URL}/{uuid.uuid4()}", {"include_internal": "maybe"}), 400, bad)
    assert_envelope(api.get(f"{URL}/{conversation.id}/messages", {"include_internal": "2"}), 400, bad)
    engagement = api.get(f"/api/engagements/{conversation.engagement_id}").json()
    assert engagement["conversations"][0]["message_count"] == 1


def test_messages_embed_the_newest_twenty(api, org, owner, conversation):
    posted = [post_message(conversation, owner, f"m{i}") for i in range(25)]
    body = api.get(f"{URL}/{conversation.id}").json()
    assert [m["content"] for m in body["messages"]] == [m.content for m in posted[5:]]
    assert body["message_count"] == 25


def test_messages_list_cursor_and_link(api, org, owner, conversation):
    posted = [post_message(conversation, owner, f"m{i}") for i in range(7)]
    internal = post_message(conversation, owner, "note", is_internal=True)
    url = f"{URL}/{conversation.id}/messages"
    first = api.get(url, {"limit": 3})
    assert [m["content"] for m in first.json()] == ["m4", "m5", "m6"]
    assert first["Link"] == (f'<http://testserver{url}?before={posted[4].id}&limit=3>; rel="next"')
    second = api.get(url, {"limit": 3, "before": str(posted[4].id)})
    assert [m["content"] for m in second.json()] == ["m1", "m2", "m3"]
    last = api.get(url, {"limit": 3, "before": str(posted[1].id)})
    assert [m["content"] for m in last.json()] == ["m0"] and "Link" not in last
    with_internal = api.get(url, {"limit": 1, "include_internal": "1"})
    assert [m["id"] for m in with_internal.json()] == [str(internal.id)]
    assert with_internal["Link"].endswith(f'?before={internal.id}&limit=1&include_internal=true>; rel="next"')
    posted[3].soft_delete()
    by_deleted = api.get(url, {"before": str(posted[3].id)})  # a deleted cursor stays valid
    assert [m["content"] for m in by_deleted.json()] == ["m0", "m1", "m2"]
    by_internal = api.get(url, {"before": str(internal.id)})
    assert len(by_internal.json()) == 6
    other = make_conversation(org, conversation.project)
    foreign_cursor = post_message(other, owner, "elsewhere")
    missing = {"query.before": ["The specified message does not exist."]}
    for bad in ("x", str(uuid.uuid4()), str(foreign_cursor.id)):
        assert_envelope(api.get(url, {"before": bad}), 400, missing)
        assert_detail(api.get(f"{URL}/{uuid.uuid4()}/messages", {"before": bad}), 404, "Not Found")  # 404 first
    assert_envelope(api.get(url, {"limit": 101}), 400, {"query.limit": ["Input should be less than or equal to 100"]})
    assert_envelope(api.get(url, {"limit": "a"}), 400,
                    {"query.limit": ["Input should be a valid integer, unable to parse string as an integer"]})


def test_update_closes_and_reopens(api, owner, conversation):
    url = f"{URL}/{conversation.id}"
    closed = api.put(url, {"status": 2, "subject": " New ", "project_id": str(uuid.uuid4())}, format="json").json()
    assert (closed["status"], closed["subject"]) == ("Closed", "New")
    assert closed["project_id"] == str(conversation.project_id)
    post = api.post(f"{url}/messages", {"content": "still allowed"}, format="json")
    assert post.status_code == 201
    assert api.get(url).json()["status"] == "Closed"
    assert api.put(url, {"status": 1}, format="json").json()["status"] == "Open"
    assert_envelope(api.put(url, {"status": 3}, format="json"), 400,
                    {"status": ["Input should be less than or equal to 2"]})


def test_delete_is_soft(api, owner, conversation):
    message = post_message(conversation, owner)
    url = f"{URL}/{conversation.id}"
    assert api.delete(url).status_code == 204
    for resp in (api.get(url), api.delete(url), api.get(f"{url}/messages"), api.put(url, {}, format="json"),
                 api.get(f"{url}/messages", {"before": str(message.id)}),
                 api.delete(f"/api/conversation-messages/{message.id}")):
        assert_detail(resp, 404, "Not Found")
    assert api.get(URL).json()["data"] == []
    assert api.get(f"/api/engagements/{conversation.engagement_id}").json()["conversations"] == []


def test_message_delete(api, owner, conversation):
    message = post_message(conversation, owner)
    conversation.refresh_from_db()
    stamp = conversation.last_message_at
    url = f"/api/conversation-messages/{message.id}"
    assert api.delete(url).status_code == 204
    assert_detail(api.delete(url), 404, "Not Found")
    assert_detail(api.delete("/api/conversation-messages/nope"), 404, "Not Found")
    body = api.get(f"{URL}/{conversation.id}").json()
    assert body["messages"] == [] and body["message_count"] == 0 and body["last_message_at"] == format_datetime(stamp)
    assert api.get(f"{URL}/{conversation.id}/messages").json() == []


def test_other_organizations_conversations(api, other_org):
    foreign = make_conversation(other_org)
    owner = factories.make_team_member(other_org)
    message = post_message(foreign, owner)
    for method, path in (("get", ""), ("put", ""), ("delete", ""), ("get", "/messages"), ("post", "/messages")):
        resp = getattr(api, method)(f"{URL}/{foreign.id}{path}", {"content": "x"}, format="json")
        assert_detail(resp, 404, "Not Found")
    assert_detail(api.delete(f"/api/conversation-messages/{message.id}"), 404, "Not Found")
    assert api.get(URL, {"engagement_id": str(foreign.engagement_id)}).json()["data"] == []
    assert ConversationMessage.objects.for_org(other_org).count() == 1


def test_list_order_filters_and_shorthands(api, org, owner, project):
    quiet = make_conversation(org, project, subject="quiet")
    older = make_conversation(org, project, subject="older")
    newer = make_conversation(org, make_project(org), subject="newer")
    post_message(older, owner)
    post_message(newer, owner)
    ids = lambda resp: [row["id"] for row in resp.json()["data"]]  # noqa: E731
    expected_desc = [str(newer.id), str(older.id), str(quiet.id)]
    assert ids(api.get(URL)) == expected_desc
    assert ids(api.get(URL, {"sort": "bogus"})) == expected_desc
    assert ids(api.get(URL, {"sort": "last_message_at:asc"})) == [str(older.id), str(newer.id), str(quiet.id)]
    assert ids(api.get(URL, {"engagement_id": str(project.engagement_id)})) == [str(older.id), str(quiet.id)]
    assert ids(api.get(URL, {"project_id": str(newer.project_id)})) == [str(newer.id)]
    assert ids(api.get(URL, {"filters[last_message_at][$eq]": "null"})) == [str(quiet.id)]
    assert_envelope(api.get(URL, {"project_id": "x", "engagement_id": "y"}), 400, {
        "project_id": ["The filter value is invalid."], "engagement_id": ["The filter value is invalid."]})
    body = api.get(URL).json()
    assert [list(row) for row in body["data"]] == [KEYS] * 3
    assert body["meta"]["path"] == "http://testserver/api/conversations"


def test_sender_type_and_deleted_sender(api, org, conversation):
    client_user = factories.make_client(org, name_f="Cli", name_l="Ent")
    message = post_message(conversation, client_user, "from the client")
    row = api.get(f"{URL}/{conversation.id}/messages").json()[0]
    assert row["sender"]["type"] == "client"
    ConversationMessage.unscoped.filter(pk=message.pk).update(sender=None)
    row = api.get(f"{URL}/{conversation.id}/messages").json()[0]
    assert row["sender"] is None and row["sender_id"] == str(client_user.id)
