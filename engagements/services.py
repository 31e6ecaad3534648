"""Engagement, project and conversation workflows (contract engagements.md).

Every function is keyword-only, runs in one transaction, locks the row it changes, records its event
(`events.services.record_event`, Decision 18) in that transaction, and raises `DomainError`. Ids
sent in bodies arrive as raw strings and are resolved within the organization (another organization's id is the
same 422 as an unknown one). The API, the admin, `seed_demo` and proposal sign all go through these functions.
"""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from billing.models import Proposal
from events.services import record_event, snapshot
from catalog.models import Service
from serviceengine.core.errors import DomainError
from serviceengine.core.services import resolve_ref
from serviceengine.models import User

from .models import (
    FINISHED_PROJECT_STATUSES,
    PHASE_TRANSITIONS,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Engagement,
    EngagementStatus,
    Project,
    ProjectPhase,
    ProjectStatus,
)
from orders.models import status_label

CLIENT_MISSING = "The specified client does not exist."
PROPOSAL_MISSING = "The specified proposal does not exist."
ENGAGEMENT_MISSING = "The specified engagement does not exist."
PROJECT_MISSING = "The specified project does not exist."
SERVICE_MISSING = "The specified service does not exist."


class _Unset:
    def __repr__(self):
        return "UNSET"


UNSET = _Unset()  # "not sent" in partial updates, distinct from None


def _locked(model, obj):
    """`obj` re-read with its row locked (live rows only); 404 when it was deleted meanwhile."""
    row = (
        model.objects.for_org(obj.organization_id)
        .select_for_update(of=("self",))
        .filter(pk=obj.pk)
        .first()
    )
    if row is None:
        raise DomainError(404, detail="Not Found")
    return row


def _stamp_after(current_status: int, new_status: int, stamped_status: int, stamp, now):
    """The `closed_at`/`completed_at` that goes with a status change: entering `stamped_status` sets it to now,
    leaving it clears it, keeping the same status keeps it."""
    if new_status == current_status:
        return stamp
    if new_status == stamped_status:
        return now
    if current_status == stamped_status:
        return None
    return stamp


# --- engagements ---------------------------------------------------------------------------------------------


@transaction.atomic
def engagement_create(*, organization, client_id: str, name: str | None = None, proposal_id: str | None = None):
    """Open an Active engagement. Checks, in order: `client_id` must be a client of the organization (a team
    member's id fails too), then `proposal_id`, when given, a non-deleted proposal of the organization (422 each).
    A proposal named here is only recorded: its `converted_engagement_id` is set by sign alone."""
    client = resolve_ref(User.objects.for_org(organization).clients(), client_id, field="client_id",
                         message=CLIENT_MISSING)
    proposal = None
    if proposal_id:
        proposal = resolve_ref(Proposal.objects.for_org(organization), proposal_id, field="proposal_id",
                               message=PROPOSAL_MISSING)
    engagement = Engagement.all_objects.create(
        organization=organization,
        client=client,
        name=name,
        proposal_id=proposal.pk if proposal else None,
        status=EngagementStatus.ACTIVE,
    )
    record_event("engagement.created", engagement)
    return engagement


@transaction.atomic
def engagement_update(*, engagement: Engagement, name=UNSET, status=UNSET) -> Engagement:
    """Partial update; `updated_at` = now. Entering Closed stamps `closed_at` (the same instant as `updated_at`),
    leaving Closed clears it; any status may follow any other."""
    engagement = _locked(Engagement, engagement)
    before = snapshot(engagement)
    now = timezone.now()
    fields = {"updated_at": now}
    if name is not UNSET:
        fields["name"] = name
    if status is not UNSET:
        fields["status"] = status
        fields["closed_at"] = _stamp_after(engagement.status, status, EngagementStatus.CLOSED, engagement.closed_at,
                                           now)
    Engagement.all_objects.for_org(engagement.organization_id).filter(pk=engagement.pk).update(**fields)
    engagement.refresh_from_db()
    record_event("engagement.updated", engagement, previous=before)
    return engagement


@transaction.atomic
def engagement_close(*, engagement: Engagement) -> tuple[Engagement, bool]:
    """Close (DELETE): status Closed, `closed_at` = `updated_at` = now. Idempotent (Decision 5): closing a Closed
    engagement changes nothing. Returns the engagement and whether it changed. Nothing beneath it is touched."""
    engagement = _locked(Engagement, engagement)
    if engagement.status == EngagementStatus.CLOSED:
        return engagement, False  # a close that changes nothing records nothing (Decision 18)
    before = snapshot(engagement)
    now = timezone.now()
    Engagement.all_objects.for_org(engagement.organization_id).filter(pk=engagement.pk).update(status=EngagementStatus.CLOSED, closed_at=now,
                                                           updated_at=now)
    engagement.refresh_from_db()
    record_event("engagement.closed", engagement, previous=before)
    return engagement, True


def engagement_name_for_proposal(proposal: Proposal) -> str:
    """Decision 1: the proposal's company when it is not blank, otherwise its client name (both trimmed)."""
    company = (proposal.client_company or "").strip()
    if company:
        return company
    return f"{proposal.client_name_f or ''} {proposal.client_name_l or ''}".strip()


@transaction.atomic
def engagement_open_from_proposal(*, proposal: Proposal, client: User, items) -> tuple[Engagement, list[Project]]:
    """Decision 1 (sign): one Active engagement with the client and the proposal, and one project per proposal
    item in item order (the service's current name and description, phase Kickoff, status Active). Called by
    `billing.services.proposal_sign` inside its transaction, under its proposal row lock."""
    organization_id = proposal.organization_id
    engagement = Engagement.all_objects.create(
        organization_id=organization_id,
        client=client,
        proposal_id=proposal.pk,
        name=engagement_name_for_proposal(proposal) or None,
        status=EngagementStatus.ACTIVE,
    )
    now = timezone.now()
    projects = []
    for item in items:
        service = item.service
        projects.append(
            Project.all_objects.create(
                organization_id=organization_id,
                engagement=engagement,
                name=service.name,
                description=service.description,
                service=service,
                # Strictly increasing stamps keep the item order in `projects` (created_at ascending).
                created_at=now + timedelta(microseconds=len(projects)),
            )
        )
    record_event("engagement.created", engagement)
    for project in projects:
        record_event("project.created", project)
    return engagement, projects


# --- projects ------------------------------------------------------------------------------------------------


@transaction.atomic
def project_create(*, organization, engagement_id: str, name: str, description: str | None = None,
                   service_id: str | None = None) -> Project:
    """A new Active project in Kickoff. Checks, in order: `engagement_id` (any engagement of the organization, a
    Closed one too), then `service_id` when given (a non-deleted service of the organization); 422 each."""
    engagement = resolve_ref(Engagement.objects.for_org(organization), engagement_id, field="engagement_id",
                             message=ENGAGEMENT_MISSING)
    service = None
    if service_id:
        service = resolve_ref(Service.objects.for_org(organization), service_id, field="service_id",
                              message=SERVICE_MISSING)
    project = Project.all_objects.create(
        organization=organization,
        engagement=engagement,
        name=name,
        description=description,
        service=service,
    )
    record_event("project.created", project)
    return project


def check_phase_change(project: Project, status: int, phase: int) -> None:
    """Decision 20 and the transition table: raise the 400 envelope on `phase` when `phase` may not follow."""
    if phase == project.phase:
        return
    if status in FINISHED_PROJECT_STATUSES:
        label = status_label(ProjectStatus, status)
        raise DomainError(400, field="phase", message=f"Cannot change the phase of a {label} project.")
    if phase not in PHASE_TRANSITIONS.get(project.phase, set()):
        current, new = status_label(ProjectPhase, project.phase), status_label(ProjectPhase, phase)
        raise DomainError(400, field="phase", message=f"Cannot transition from {current} to {new}.")


@transaction.atomic
def project_update(*, project: Project, name=UNSET, description=UNSET, status=UNSET, phase=UNSET) -> Project:
    """Partial update under the row lock; `updated_at` = now. A phase change follows the transition table and is
    refused on a Completed or Cancelled project (after applying a status sent alongside); nothing is written then.
    Entering Completed stamps `completed_at`, leaving it clears it."""
    project = _locked(Project, project)
    before = snapshot(project)
    new_status = project.status if status is UNSET else status
    if phase is not UNSET:
        check_phase_change(project, new_status, phase)
    now = timezone.now()
    fields = {"updated_at": now}
    if name is not UNSET:
        fields["name"] = name
    if description is not UNSET:
        fields["description"] = description
    if status is not UNSET:
        fields["status"] = status
        fields["completed_at"] = _stamp_after(project.status, status, ProjectStatus.COMPLETED, project.completed_at,
                                              now)
    if phase is not UNSET:
        fields["phase"] = phase
    Project.all_objects.for_org(project.organization_id).filter(pk=project.pk).update(**fields)
    project.refresh_from_db()
    record_event("project.updated", project, previous=before)
    if project.phase != before["phase_id"]:
        record_event("project.phase_changed", project, previous=before)
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Soft delete: `deleted_at` = `updated_at` = now. Its conversations and messages become unreachable."""
    project = _locked(Project, project)
    record_event("project.deleted", project)  # before the delete: the project as it was
    Project.objects.for_org(project.organization_id).filter(pk=project.pk).soft_delete()


@transaction.atomic
def project_advance(*, project: Project, from_phase_id: int | None = None) -> Project:
    """Move a project to the next phase, race-safe (Decision 2): the row is locked, then, in order: 409 when
    `from_phase_id` is given and is not the current phase; 400 for a Completed or Cancelled project; 400 at
    Handoff. Only `phase` and `updated_at` change."""
    project = _locked(Project, project)
    if from_phase_id is not None and from_phase_id != project.phase:
        raise DomainError(409, detail=f"Project is in phase {project.phase_label}, "
                                      f"not {status_label(ProjectPhase, from_phase_id)}.")
    if project.status in FINISHED_PROJECT_STATUSES:
        raise DomainError(400, detail=f"Cannot advance a {project.status_label} project.")
    if project.phase >= ProjectPhase.HANDOFF:
        raise DomainError(400, detail="Project is already at final phase (Handoff).")
    before = snapshot(project)
    Project.all_objects.for_org(project.organization_id).filter(pk=project.pk).update(phase=project.phase + 1, updated_at=timezone.now())
    project.refresh_from_db()
    record_event("project.phase_changed", project, previous=before)
    return project


# --- conversations -------------------------------------------------------------------------------------------


@transaction.atomic
def conversation_create(*, organization, project_id: str, subject: str | None = None) -> Conversation:
    """An Open conversation on a non-deleted project of the organization (422 `project_id` otherwise)."""
    project = resolve_ref(Project.objects.for_org(organization), project_id, field="project_id",
                          message=PROJECT_MISSING)
    conversation = Conversation.all_objects.create(
        organization=organization,
        project=project,
        engagement_id=project.engagement_id,
        subject=subject,
        status=ConversationStatus.OPEN,
    )
    record_event("conversation.created", conversation)
    return conversation


@transaction.atomic
def conversation_update(*, conversation: Conversation, subject=UNSET, status=UNSET) -> Conversation:
    """Partial update (any status transition: this is how a thread is closed or reopened); `updated_at` = now."""
    conversation = _locked(Conversation, conversation)
    before = snapshot(conversation)
    fields = {"updated_at": timezone.now()}
    if subject is not UNSET:
        fields["subject"] = subject
    if status is not UNSET:
        fields["status"] = status
    Conversation.all_objects.for_org(conversation.organization_id).filter(pk=conversation.pk).update(**fields)
    conversation.refresh_from_db()
    record_event("conversation.updated", conversation, previous=before)
    return conversation


@transaction.atomic
def conversation_delete(*, conversation: Conversation) -> None:
    """Soft delete (Decision 6): the thread and its messages answer 404 afterwards."""
    conversation = _locked(Conversation, conversation)
    record_event("conversation.deleted", conversation)  # before the delete: the conversation as it was
    Conversation.objects.for_org(conversation.organization_id).filter(pk=conversation.pk).soft_delete()


@transaction.atomic
def conversation_message_create(*, conversation: Conversation, sender: User, content: str,
                                is_internal: bool = False, attachments: list | None = None) -> ConversationMessage:
    """Post a message (a Closed conversation stays Closed). The conversation row is locked, and its
    `last_message_at` and `updated_at` become exactly the message's `created_at`."""
    conversation = _locked(Conversation, conversation)
    if sender.organization_id != conversation.organization_id:
        raise DomainError(422, field="sender_id", message="The specified user does not exist.")
    # `created_at` left to its default, so the new row's `updated_at` is the very same instant.
    message = ConversationMessage.all_objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        sender=sender,
        sender_uuid=sender.pk,
        content=content,
        is_internal=is_internal,
        attachments=[] if attachments is None else attachments,
    )
    now = message.created_at
    Conversation.all_objects.for_org(conversation.organization_id).filter(pk=conversation.pk).update(last_message_at=now, updated_at=now)
    record_event("conversation_message.created", message, object_type="conversation_message")
    return message


@transaction.atomic
def conversation_message_delete(*, message: ConversationMessage) -> None:
    """Soft delete; the conversation's `last_message_at` is not recalculated."""
    message = _locked(ConversationMessage, message)
    record_event("conversation_message.deleted", message, object_type="conversation_message")  # as it was
    ConversationMessage.objects.for_org(message.organization_id).filter(pk=message.pk).soft_delete()
