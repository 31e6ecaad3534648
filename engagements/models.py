"""Engagements, projects with phases, conversations and their messages (contract engagements.md).

An engagement is the working relationship with one client; its projects move through six phases; each project
holds conversations, threads of messages some of which are internal (staff only). Statuses and phases are stored
as integers with the contract's labels; an integer outside a map reads `Unknown`.
"""
from django.db import models
from django.db.models import F, OrderBy

from orders.models import status_label
from serviceengine.core.reads import reads
from serviceengine.core.tenancy import SoftDeleteMixin, TenantModel, live_index


class NullsOrderIndex(models.Index):
    """An index whose columns may say where nulls go (`F(...).desc(nulls_last=True)`), to serve an ORDER BY that says
    so. SQLite refuses NULLS FIRST/LAST in an index: it gets the columns without them (its nulls sort first
    ascending and last descending), here and whenever it rebuilds the table."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql" or not self.expressions:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = self.clone()
        plain.expressions = tuple(
            OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e for e in self.expressions
        )
        return models.Index.create_sql(plain, model, schema_editor, using=using, **kwargs)


class EngagementStatus(models.IntegerChoices):
    ACTIVE = 1, "Active"
    PAUSED = 2, "Paused"
    CLOSED = 3, "Closed"


class ProjectStatus(models.IntegerChoices):
    ACTIVE = 1, "Active"
    PAUSED = 2, "Paused"
    COMPLETED = 3, "Completed"
    CANCELLED = 4, "Cancelled"


class ProjectPhase(models.IntegerChoices):
    KICKOFF = 1, "Kickoff"
    SETUP = 2, "Setup"
    BUILD = 3, "Build"
    TESTING = 4, "Testing"
    DEPLOYMENT = 5, "Deployment"
    HANDOFF = 6, "Handoff"


class ConversationStatus(models.IntegerChoices):
    OPEN = 1, "Open"
    CLOSED = 2, "Closed"


# PUT /api/projects/{id} (engagements.md): where a phase may go; staying in the current phase is always allowed.
PHASE_TRANSITIONS = {
    ProjectPhase.KICKOFF: {ProjectPhase.SETUP},
    ProjectPhase.SETUP: {ProjectPhase.BUILD},
    ProjectPhase.BUILD: {ProjectPhase.TESTING},
    ProjectPhase.TESTING: {ProjectPhase.DEPLOYMENT, ProjectPhase.BUILD},
    ProjectPhase.DEPLOYMENT: {ProjectPhase.HANDOFF},
    ProjectPhase.HANDOFF: set(),
}
FINISHED_PROJECT_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)


class Engagement(TenantModel):
    """The working relationship with one client. Closing it (DELETE) is a status, not a deletion."""

    client = models.ForeignKey("serviceengine.User", on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=255, null=True, blank=True)
    status = models.SmallIntegerField(choices=EngagementStatus.choices, default=EngagementStatus.ACTIVE)
    # The originating proposal, as an id only: billing depends on engagements (sign opens one), never the reverse.
    proposal_id = models.UUIDField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "id"], name="engagement_org_created"),
            models.Index(fields=["organization", "client", "-created_at"], name="engagement_org_client"),
            models.Index(fields=["organization", "status", "-created_at"], name="engagement_org_status"),
            models.Index(fields=["organization", "proposal_id"], name="engagement_org_proposal"),
        ]

    def __str__(self):
        return self.name or f"Engagement {self.pk}"

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(EngagementStatus, self.status)


class Project(SoftDeleteMixin, TenantModel):
    """A deliverable of an engagement moving Kickoff → Handoff. Soft-deleted projects hide their conversations."""

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    status = models.SmallIntegerField(choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    phase = models.SmallIntegerField(choices=ProjectPhase.choices, default=ProjectPhase.KICKOFF)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [
            live_index("organization", "-created_at", "id", name="project_org_created"),
            live_index("organization", "engagement", "created_at", "id", name="project_org_engagement"),
            live_index("organization", "status", "-created_at", name="project_org_status"),
            live_index("organization", "phase", "-created_at", name="project_org_phase"),
        ]

    def __str__(self):
        return self.name

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(ProjectStatus, self.status)

    @property
    @reads("phase")
    def phase_label(self) -> str:
        return status_label(ProjectPhase, self.phase)


class Conversation(SoftDeleteMixin, TenantModel):
    """A thread of messages about one project. `engagement` is the project's (never changes), kept on the row so
    the engagement's threads and the `engagement_id` filter need no join."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="conversations")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="conversations")
    subject = models.CharField(max_length=255, null=True, blank=True)
    status = models.SmallIntegerField(choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [
            # The list's default order (`conversation_ordering`: newest activity first, threads without messages
            # last, then newest created, then id), so a page is read in index order instead of sorted.
            NullsOrderIndex(
                F("organization"), F("last_message_at").desc(nulls_last=True), F("created_at").desc(), F("id"),
                name="conversation_org_last_message", condition=models.Q(deleted_at__isnull=True),
            ),
            live_index("organization", "project", "-created_at", name="conversation_org_project"),
            live_index("organization", "engagement", "-created_at", name="conversation_org_engagement"),
        ]

    def __str__(self):
        return self.subject or f"Conversation {self.pk}"

    @property
    @reads("status")
    def status_label(self) -> str:
        return status_label(ConversationStatus, self.status)


class ConversationMessage(SoftDeleteMixin, TenantModel):
    """A message of a conversation; `is_internal` ones are staff-only notes. `sender_uuid` keeps the author's id
    even after that user is gone (`sender` then becomes null)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(
        "serviceengine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversation_messages"
    )
    sender_uuid = models.UUIDField()
    content = models.TextField()
    is_internal = models.BooleanField(default=False)
    attachments = models.JSONField(default=list, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]
        indexes = [
            live_index("conversation", "-created_at", "-id", name="conv_message_created"),
        ]

    def __str__(self):
        return self.content[:50]
