"""Query discipline (STYLE §6): every list and retrieve of engagements.md runs a fixed number of queries, the same
at limit 1 and limit 100 and whatever the number of children."""
import pytest
from django.db import connection

from tests import factories
from tests.engagements.conftest import make_conversation, make_engagement, make_project, post_message
from tests.helpers import assert_constant_queries, count_queries


def rich_engagement(org, owner):
    """An engagement with two projects (one with a service), each with a conversation holding messages."""
    engagement = make_engagement(org)
    for i in range(2):
        project = make_project(org, engagement, service=factories.make_service(org) if i else None)
        conversation = make_conversation(org, project)
        post_message(conversation, owner)
        post_message(conversation, owner, is_internal=True)
    return engagement


def rich_conversation(org, owner):
    conversation = make_conversation(org)
    for i in range(3):
        post_message(conversation, owner, f"m{i}", is_internal=i == 2)
    return conversation


def rows(kind, org, owner):
    if kind == "engagements":
        return rich_engagement(org, owner)
    if kind == "projects":
        return make_project(org, service=factories.make_service(org))
    return rich_conversation(org, owner)


# child rows come inside their parent's row on PostgreSQL: an engagement's projects and conversations, a
# conversation's newest messages
EMBEDS = connection.vendor == "postgresql"


# token + page (its COUNT inside: `total_in_page`) [+ the conversations' messages, SQLite]
@pytest.mark.parametrize(("kind", "expected"),
                         [("engagements", 2), ("projects", 2), ("conversations", 2 if EMBEDS else 3)])
def test_list_queries_equal_at_limit_1_and_100(api, org, owner, kind, expected):
    for _ in range(6):
        rows(kind, org, owner)
    url = f"/api/{kind}"
    small, small_sql = count_queries(lambda: api.get(url, {"limit": 1}))
    large, large_sql = count_queries(lambda: api.get(url, {"limit": 100, "include_internal": "true"}))
    assert small.status_code == large.status_code == 200
    assert len(large.json()["data"]) == 6
    assert len(small_sql) == len(large_sql) == expected, "\n".join(large_sql)


@pytest.mark.parametrize(("kind", "expected"),
                         [("engagements", 3), ("projects", 3), ("conversations", 3 if EMBEDS else 4)])
def test_filtered_list_queries_do_not_grow(api, org, owner, kind, expected):
    count = assert_constant_queries(api, f"/api/{kind}?filters[created_at][$gt]=2000-01-01",
                                    lambda: rows(kind, org, owner), budget=expected)
    assert count == expected


def test_engagement_retrieve_is_four_queries_whatever_its_children(api, org, owner):
    """token, engagement, projects, conversations (their counts inside); PostgreSQL: token, engagement (its projects
    and conversations inside its row)."""
    engagement = rich_engagement(org, owner)
    url = f"/api/engagements/{engagement.id}"
    _, few = count_queries(lambda: api.get(url))
    for _ in range(5):
        conversation = make_conversation(org, make_project(org, engagement))
        post_message(conversation, owner)
    resp, many = count_queries(lambda: api.get(url))
    assert len(resp.json()["projects"]) == 7
    assert len(few) == len(many) == (2 if EMBEDS else 4), "\n".join(many)


def test_conversation_retrieve_and_messages_are_constant(api, org, owner):
    conversation = rich_conversation(org, owner)
    url = f"/api/conversations/{conversation.id}"
    _, few = count_queries(lambda: api.get(url))
    _, few_messages = count_queries(lambda: api.get(f"{url}/messages"))
    for i in range(40):
        post_message(conversation, owner, f"more {i}")
    resp, many = count_queries(lambda: api.get(url))
    assert len(resp.json()["messages"]) == 20
    listed, many_messages = count_queries(lambda: api.get(f"{url}/messages"))
    assert len(listed.json()) == 42
    assert len(few) == len(many) == (2 if EMBEDS else 3), "\n".join(many)  # token, conversation (+ messages)
    # token, messages: rows prove the conversation is there (an empty thread asks: tested with the messages API)
    assert len(few_messages) == len(many_messages) == 2, "\n".join(many_messages)


def test_project_retrieve_is_two_queries(api, org):
    project = make_project(org, service=factories.make_service(org))
    _, sql = count_queries(lambda: api.get(f"/api/projects/{project.id}"))
    assert len(sql) == 2, "\n".join(sql)
