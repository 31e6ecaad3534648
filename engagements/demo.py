"""Demo engagements for `seed_demo`: one engagement with projects in several phases and statuses, conversations with
client-visible and internal messages, so the customer portal's dashboard, projects and conversations pages have
something to show. (Signing the billing demo's proposal opens a second engagement through `proposal_sign`.)

Idempotent: the engagement is looked up by name, so a second run creates nothing. Everything goes through
`engagements.services`, exactly as the API would."""
from clients.services import client_create, user_by_email
from serviceengine.models import User

from . import services
from .models import Engagement, ProjectPhase, ProjectStatus

DEMO_ENGAGEMENT = "Demo engagement: website relaunch"
DEMO_CLIENT = {"email": "portal.client@demo.example.com", "name_f": "Casey", "name_l": "Client",
               "company": "Relaunch Co"}
# (name, description, target phase, target status, conversations: (subject, closed, messages: (author, text, internal)))
DEMO_PROJECTS = (
    ("Brand guidelines", "Logo, palette and typography", ProjectPhase.HANDOFF, ProjectStatus.COMPLETED, (
        ("Final brand book", True, (
            ("owner", "The final brand book is attached.", False),
            ("client", "Approved, thank you!", False),
        )),
    )),
    ("Website redesign", "New marketing site on the CMS", ProjectPhase.BUILD, ProjectStatus.ACTIVE, (
        ("Homepage mockups", False, (
            ("owner", "Here are two homepage directions to choose from.", False),
            ("client", "We prefer the second one, with a bigger hero image.", False),
            ("owner", "Client leans to option B; check the hero image rights.", True),
        )),
        ("Content migration", False, (
            ("client", "Can you move the blog posts from the old site?", False),
        )),
    )),
    ("SEO setup", "Keyword research and on-page fixes", ProjectPhase.TESTING, ProjectStatus.ACTIVE, (
        ("Keyword list", False, (
            ("owner", "First keyword list attached.", False),
        )),
    )),
    ("Analytics dashboard", None, ProjectPhase.KICKOFF, ProjectStatus.PAUSED, ()),
)


def _demo_client(organization) -> User:
    return user_by_email(organization=organization, email=DEMO_CLIENT["email"]) or client_create(
        organization=organization, **DEMO_CLIENT
    )


def seed(*, organization, owner) -> None:
    if Engagement.objects.for_org(organization).filter(name=DEMO_ENGAGEMENT).exists():
        return
    client = _demo_client(organization)
    engagement = services.engagement_create(organization=organization, client_id=str(client.pk),
                                            name=DEMO_ENGAGEMENT)
    authors = {"owner": owner, "client": client}
    for name, description, phase, status, threads in DEMO_PROJECTS:
        project = services.project_create(organization=organization, engagement_id=str(engagement.pk), name=name,
                                          description=description)
        while project.phase < phase:  # through the same path as the API's advance
            project = services.project_advance(project=project)
        if status != ProjectStatus.ACTIVE:
            project = services.project_update(project=project, status=status)
        for subject, closed, messages in threads:
            conversation = services.conversation_create(organization=organization, project_id=str(project.pk),
                                                        subject=subject)
            for author, text, internal in messages:
                services.conversation_message_create(conversation=conversation, sender=authors[author],
                                                     content=text, is_internal=internal)
            if closed:
                services.conversation_update(conversation=conversation, status=2)
