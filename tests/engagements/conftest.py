"""Fixtures of the engagement tests: a client, an engagement with a project, a conversation, and row builders."""
import pytest

from engagements import services
from engagements.models import Conversation, ConversationMessage, Engagement, Project
from tests import factories


def make_engagement(org, client=None, **over) -> Engagement:
    client = client or factories.make_client(org)
    fields = {"name": f"Engagement {factories.n()}"}
    fields.update(over)
    return Engagement.unscoped.create(organization=org, client=client, **fields)


def make_project(org, engagement=None, **over) -> Project:
    engagement = engagement or make_engagement(org)
    fields = {"name": f"Project {factories.n()}"}
    fields.update(over)
    return Project.unscoped.create(organization=org, engagement=engagement, **fields)


def make_conversation(org, project=None, **over) -> Conversation:
    project = project or make_project(org)
    fields = {"subject": f"Thread {factories.n()}"}
    fields.update(over)
    return Conversation.unscoped.create(
        organization=org, project=project, engagement_id=project.engagement_id, **fields
    )


def post_message(conversation, sender, content="Hello", **over) -> ConversationMessage:
    return services.conversation_message_create(conversation=conversation, sender=sender, content=content, **over)


@pytest.fixture
def client_user(org):
    return factories.make_client(org, email="ada@engines.example.com", name_f="Ada", name_l="Byron")


@pytest.fixture
def engagement(org, client_user):
    return make_engagement(org, client_user, name="Engines Ltd")


@pytest.fixture
def project(org, engagement):
    return make_project(org, engagement, name="Monthly SEO Package")


@pytest.fixture
def conversation(org, project):
    return make_conversation(org, project, subject="Keyword list")
