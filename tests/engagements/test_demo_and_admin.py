"""engagements.demo (seed_demo) and the admin: demo data through the services, once; the admin's inlines, filters
and its "advance phase" action calling the same service as the API."""
import io

from django.core.management import call_command

from engagements import demo
from engagements.models import Conversation, ConversationMessage, Engagement, Project, ProjectPhase
from serviceengine.models import Organization
from tests.engagements.conftest import make_conversation, make_engagement, make_project
from tests.helpers import staff_browser


def snapshot(org):
    return (
        sorted(Engagement.unscoped.filter(organization=org).values_list("id", flat=True)),
        Project.unscoped.filter(organization=org).count(),
        Conversation.unscoped.filter(organization=org).count(),
        ConversationMessage.unscoped.filter(organization=org).count(),
    )


def test_seed_builds_projects_in_several_phases_with_threads(org, owner):
    demo.seed(organization=org, owner=owner)
    engagement = Engagement.objects.for_org(org).get(name=demo.DEMO_ENGAGEMENT)
    phases = dict(Project.objects.for_org(org).filter(engagement=engagement).values_list("name", "phase"))
    assert phases["Website redesign"] == ProjectPhase.BUILD and phases["Brand guidelines"] == ProjectPhase.HANDOFF
    assert ConversationMessage.objects.for_org(org).filter(is_internal=True).exists()
    for conversation in Conversation.objects.for_org(org):
        newest = ConversationMessage.objects.for_org(org).filter(conversation=conversation).order_by("-created_at")
        assert conversation.last_message_at == (newest.first().created_at if newest.exists() else None)


def test_seed_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    before = snapshot(org)
    demo.seed(organization=org, owner=owner)
    assert snapshot(org) == before


def test_seed_demo_command_opens_engagements_for_the_portal(db):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    names = set(Engagement.objects.for_org(org).values_list("name", flat=True))
    assert demo.DEMO_ENGAGEMENT in names
    assert len(names) >= 2  # the billing demo's signed proposal opened one too
    before = snapshot(org)
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot(org) == before


def test_admin_pages_render_scoped(org, other_org):
    mine = make_engagement(org, name="Mine")
    project = make_project(org, mine, name="Visible project")
    make_conversation(org, project, subject="Visible thread")
    make_engagement(other_org, name="Theirs")
    browser = staff_browser(org)
    listing = browser.get("/admin/engagements/engagement/")
    assert listing.status_code == 200 and b"Mine" in listing.content and b"Theirs" not in listing.content
    detail = browser.get(f"/admin/engagements/engagement/{mine.id}/change/")
    assert detail.status_code == 200
    assert b"Visible project" in detail.content and b"Visible thread" in detail.content
    filtered = browser.get("/admin/engagements/project/?phase__exact=1&status__exact=1")
    assert filtered.status_code == 200 and b"Visible project" in filtered.content
    assert browser.get("/admin/engagements/conversation/").status_code == 200


def test_admin_advance_action_uses_the_service(org):
    project = make_project(org, name="Movable")
    stuck = make_project(org, name="Stuck", phase=ProjectPhase.HANDOFF)
    browser = staff_browser(org)
    resp = browser.post("/admin/engagements/project/", {
        "action": "advance_phase", "_selected_action": [str(project.id), str(stuck.id)],
    }, follow=True)
    assert resp.status_code == 200
    project.refresh_from_db()
    stuck.refresh_from_db()
    assert project.phase == ProjectPhase.SETUP and stuck.phase == ProjectPhase.HANDOFF
    assert b"Project is already at final phase (Handoff)." in resp.content
