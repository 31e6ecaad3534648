"""`/api/engagements`, `/api/projects` (with advance), `/api/conversations` (with messages) and
`/api/conversation-messages` (contract engagements.md, 19 endpoints)."""
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from serviceengine.api.fields import parse_bool_input
from serviceengine.api.filtering import ContractSortBackend
from serviceengine.api.pagination import _parse_bounded
from serviceengine.api.search import ContractSearchBackend
from serviceengine.api.schema import error_response
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin
from serviceengine.core.services import parse_uuid

from . import services
from .filters import (
    CONVERSATION_FILTER_FIELDS,
    CONVERSATION_SORT_FIELDS,
    ENGAGEMENT_FILTER_FIELDS,
    ENGAGEMENT_SORT_FIELDS,
    PROJECT_FILTER_FIELDS,
    PROJECT_SORT_FIELDS,
    ConversationSortBackend,
    ShorthandFilterBackend,
)
from .models import Conversation, ConversationMessage, Engagement, Project
from .serializers import (
    ConversationCreateSerializer,
    ConversationSerializer,
    ConversationUpdateSerializer,
    EngagementCreateSerializer,
    EngagementRowSerializer,
    EngagementSerializer,
    EngagementUpdateSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    ProjectAdvanceSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)

EMBEDDED_MESSAGES = 20  # Decision 9: a conversation embeds at most its newest 20 messages
MESSAGES_LIMIT_DEFAULT, MESSAGES_LIMIT_MAX = 100, 100
INCLUDE_INTERNAL = OpenApiParameter(
    "include_internal", OpenApiTypes.BOOL, required=False,
    description="Add internal (staff-only) messages to `messages` and `message_count` (default false).",
)


def include_internal_param(request) -> bool:
    """`include_internal` (README §5 boolean spellings, default false), or the 400 envelope."""
    raw = request.query_params.get("include_internal")
    if raw is None:
        return False
    value, error = parse_bool_input(raw)
    if error:
        raise ValidationError({"query.include_internal": [error]})
    return value


def visible_messages(organization, include_internal: bool):
    """The organization's live messages, internal ones only when asked for (Decision 19)."""
    qs = ConversationMessage.objects.for_org(organization)
    return qs if include_internal else qs.filter(is_internal=False)


def message_count(organization, include_internal: bool):
    """An annotation: the number of a conversation's live messages under the `include_internal` rule."""
    counted = (
        visible_messages(organization, include_internal)
        .filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def newest_messages(organization, include_internal: bool):
    """For a prefetch: each conversation's newest 20 visible messages, oldest first, authors and roles joined.
    One query for a whole page of conversations, whatever the threads' length (a window per conversation)."""
    rank = Window(RowNumber(), partition_by=[F("conversation_id")], order_by=[F("created_at").desc(), F("id").desc()])
    return (
        visible_messages(organization, include_internal)
        .select_related("sender", "sender__role")
        .annotate(rank=rank)
        .filter(rank__lte=EMBEDDED_MESSAGES)
        .order_by("created_at", "id")
    )


class ContractListMixin(ListMixin):
    """A list that also validates query parameters of its own (`query_errors`) with the paging and filter errors,
    all reported at once."""

    def prepare_query(self, request) -> None:
        """Parse list parameters beyond paging and filters; raise ValidationError listing their errors."""

    def list(self, request, *args, **kwargs):
        errors = {}
        for step in (self.paginator.parse_params, self.prepare_query):
            try:
                step(request)
            except ValidationError as exc:
                errors.update(exc.detail)
        try:
            queryset = self.filter_queryset(self.get_queryset())
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class LegacyScopedViewSet(OrgViewSet):
    """Until these resources are declared with `Resource` (issue 12a ports them): rows narrowed by `narrow()`, with
    the viewset's own `select`/`prefetch`, read and written back through the ORM as before."""

    select: tuple = ()
    prefetch: tuple = ()

    def narrow(self, qs):
        return qs

    def get_serializer_class(self):
        return self.serializer_class

    def legacy_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass has no organization
            return self.model.objects.none()
        qs = self.narrow(self.model.objects.for_org(self.request.organization))
        if self.select:
            qs = qs.select_related(*self.select)
        if self.prefetch:
            qs = qs.prefetch_related(*self.prefetch)
        return qs

    def respond(self, instance, status=http_status.HTTP_200_OK, serializer_class=None, resource=None):
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.read(fresh, serializer_class), status=status)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.read(self.get_object()))


# Assigned after the class exists: OrgViewSet refuses subclasses that *declare* get_queryset (12a's guard).
LegacyScopedViewSet.get_queryset = LegacyScopedViewSet.legacy_queryset


# --- engagements ---------------------------------------------------------------------------------------------


class EngagementViewSet(ContractListMixin, LegacyScopedViewSet):
    """Engagements of the token's organization, Closed ones included; DELETE closes (idempotent)."""

    # queries (list):     token 1 + count 1 + page 1 (client joined) = 3
    # queries (retrieve): token 1 + engagement 1 (client joined) + projects 1 + conversations 1 (counts inside) = 4

    model = Engagement
    serializer_class = EngagementSerializer
    select = ("client",)
    filter_fields = ENGAGEMENT_FILTER_FIELDS
    sort_fields = ENGAGEMENT_SORT_FIELDS
    shorthand_fields = {"client_id": "client_id"}
    search_fields = ("name",)
    filter_backends = [ShorthandFilterBackend, ContractSearchBackend, ContractSortBackend]

    def narrow(self, qs):
        if self.action in ("list", "destroy"):
            return qs
        org = self.organization
        projects = Project.objects.for_org(org).order_by("created_at", "id")
        conversations = (
            Conversation.objects.for_org(org)
            .filter(project__deleted_at__isnull=True)
            .annotate(message_count=message_count(org, include_internal=False))
            .order_by(F("last_message_at").desc(nulls_last=True), F("created_at").desc(), "id")
        )
        return qs.prefetch_related(
            Prefetch("projects", queryset=projects, to_attr="project_list"),
            Prefetch("conversations", queryset=conversations, to_attr="conversation_list"),
        )

    def get_serializer_class(self):
        return EngagementRowSerializer if self.action == "list" else EngagementSerializer

    @extend_schema(request=EngagementCreateSerializer, responses={201: EngagementSerializer})
    def create(self, request):
        data = self.validated(EngagementCreateSerializer)
        engagement = services.engagement_create(organization=self.organization, **data)
        return self.respond(engagement, http_status.HTTP_201_CREATED)

    @extend_schema(request=EngagementUpdateSerializer, responses={200: EngagementSerializer})
    def update(self, request, pk=None):
        data = self.validated(EngagementUpdateSerializer)  # contract §6: schema errors before the path id
        engagement = services.engagement_update(engagement=self.get_object(), **data)
        return self.respond(engagement)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Closed (or already Closed).")})
    def destroy(self, request, pk=None):
        services.engagement_close(engagement=self.get_object())
        return self.no_content()


# --- projects ------------------------------------------------------------------------------------------------


class ProjectViewSet(ContractListMixin, LegacyScopedViewSet):
    """Live projects of the token's organization; DELETE is a soft delete; `advance` moves one phase, race-safe."""

    # queries (list):     token 1 + count 1 + page 1 (engagement, service joined) = 3
    # queries (retrieve): token 1 + project 1 (same joins) = 2

    model = Project
    select = ("engagement", "service")
    serializer_class = ProjectSerializer
    filter_fields = PROJECT_FILTER_FIELDS
    sort_fields = PROJECT_SORT_FIELDS
    shorthand_fields = {"engagement_id": "engagement_id"}
    search_fields = ("name", "description")
    filter_backends = [ShorthandFilterBackend, ContractSearchBackend, ContractSortBackend]

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request):
        data = self.validated(ProjectCreateSerializer)
        project = services.project_create(organization=self.organization, **data)
        return self.respond(project, http_status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer})
    def update(self, request, pk=None):
        data = self.validated(ProjectUpdateSerializer)
        project = services.project_update(project=self.get_object(), **data)
        return self.respond(project)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.project_delete(project=self.get_object())
        return self.no_content()

    @extend_schema(
        request=ProjectAdvanceSerializer,
        responses={
            200: ProjectSerializer,
            400: OpenApiResponse(
                description="Invalid body (validation envelope), or the project cannot advance: Completed or "
                "Cancelled (`Cannot advance a {status} project.`) or at Handoff (`{\"detail\": ...}`)."
            ),
            409: error_response("`from_phase_id` is not the current phase (`Project is in phase X, not Y.`)."),
        },
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        # An empty body means "no expectation"; anything sent must be a JSON object (README §7.1).
        data = self.validated(ProjectAdvanceSerializer) if request._request.body.strip() else {}
        project = services.project_advance(project=self.get_object(), from_phase_id=data.get("from_phase_id"))
        return self.respond(project)


# --- conversations -------------------------------------------------------------------------------------------


class ConversationViewSet(ContractListMixin, LegacyScopedViewSet):
    """Live conversations of live projects; `messages` embeds the newest 20; the thread is read with the
    messages list and its `before` cursor."""

    # queries (list):     token 1 + count 1 + page 1 (project joined, message_count inside) + messages 1 = 4
    # queries (retrieve): token 1 + conversation 1 (same) + messages 1 = 3
    # queries (messages): token 1 + conversation 1 + [cursor 1] + messages 1 (authors, roles joined) = 3 or 4

    model = Conversation
    serializer_class = ConversationSerializer
    filter_fields = CONVERSATION_FILTER_FIELDS
    sort_fields = CONVERSATION_SORT_FIELDS
    shorthand_fields = {"project_id": "project_id", "engagement_id": "engagement_id"}
    search_fields = ("subject",)
    filter_backends = [ShorthandFilterBackend, ContractSearchBackend, ConversationSortBackend]
    include_internal = False

    def narrow(self, qs):
        qs = qs.filter(project__deleted_at__isnull=True)  # a deleted project hides its threads
        if self.action in ("destroy", "messages", "create_message"):
            return qs
        org = self.organization
        return (
            qs.select_related("project")
            .annotate(message_count=message_count(org, self.include_internal))
            .prefetch_related(
                Prefetch("messages", queryset=newest_messages(org, self.include_internal), to_attr="message_list")
            )
        )

    def prepare_query(self, request):
        self.include_internal = include_internal_param(request)

    @extend_schema(parameters=[INCLUDE_INTERNAL])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[INCLUDE_INTERNAL], responses={200: ConversationSerializer, 400: OpenApiResponse(
        description="`include_internal` is not a boolean (validation envelope).")})
    def retrieve(self, request, pk=None):
        self.prepare_query(request)  # contract §6: query errors before the path id
        return Response(self.read(self.get_object()))

    @extend_schema(request=ConversationCreateSerializer, responses={201: ConversationSerializer})
    def create(self, request):
        data = self.validated(ConversationCreateSerializer)
        conversation = services.conversation_create(organization=self.organization, **data)
        return self.respond(conversation, http_status.HTTP_201_CREATED)

    @extend_schema(request=ConversationUpdateSerializer, responses={200: ConversationSerializer})
    def update(self, request, pk=None):
        data = self.validated(ConversationUpdateSerializer)
        conversation = services.conversation_update(conversation=self.get_object(), **data)
        return self.respond(conversation)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.conversation_delete(conversation=self.get_object())
        return self.no_content()

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MESSAGES_LIMIT_MAX,
                                       "default": MESSAGES_LIMIT_DEFAULT}, required=False,
                             description="1–100, default 100."),
            OpenApiParameter("before", OpenApiTypes.UUID, required=False,
                             description="A message id of this conversation: only older messages."),
            INCLUDE_INTERNAL,
        ],
        responses={
            200: OpenApiResponse(MessageSerializer(many=True), description="The newest `limit` matching messages, "
                                 "oldest first; a `Link: <…>; rel=\"next\"` header when older ones remain."),
            400: OpenApiResponse(description="`query.limit`, `query.include_internal` or `query.before` invalid."),
        },
    )
    @action(detail=True, methods=["get"], url_path="messages")
    def messages(self, request, pk=None):
        errors = {}
        limit, limit_error = _parse_bounded(
            request.query_params.get("limit"), MESSAGES_LIMIT_DEFAULT, 1, MESSAGES_LIMIT_MAX
        )
        if limit_error:
            errors["query.limit"] = [limit_error]
        try:
            include_internal = include_internal_param(request)
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        conversation = self.get_object()
        org = self.organization
        rows = visible_messages(org, include_internal).filter(conversation=conversation)
        raw_before = request.query_params.get("before")
        if raw_before is not None:
            before_pk = parse_uuid(raw_before.strip())
            # A cursor may be any message of the thread, internal or deleted ones included.
            cursor = None if before_pk is None else (
                ConversationMessage.with_deleted.for_org(org).filter(conversation=conversation, pk=before_pk)
                .only("id", "created_at").first()
            )
            if cursor is None:
                raise ValidationError({"query.before": ["The specified message does not exist."]})
            rows = rows.filter(
                Q(created_at__lt=cursor.created_at) | Q(created_at=cursor.created_at, id__lt=cursor.pk)
            )
        page = list(rows.select_related("sender", "sender__role").order_by("-created_at", "-id")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit][::-1]
        response = Response(MessageSerializer(page, many=True, context=self.get_serializer_context()).data)
        if has_more and page:
            url = request.build_absolute_uri(f"/api/conversations/{conversation.pk}/messages")
            url += f"?before={page[0].pk}&limit={limit}" + ("&include_internal=true" if include_internal else "")
            response["Link"] = f'<{url}>; rel="next"'
        return response

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    @messages.mapping.post
    def create_message(self, request, pk=None):
        data = self.validated(MessageCreateSerializer)
        conversation = self.get_object()
        message = services.conversation_message_create(conversation=conversation, sender=request.user, **data)
        fresh = ConversationMessage.objects.for_org(self.organization).select_related("sender", "sender__role").get(
            pk=message.pk
        )
        return Response(MessageSerializer(fresh, context=self.get_serializer_context()).data,
                        status=http_status.HTTP_201_CREATED)


class ConversationMessageViewSet(LegacyScopedViewSet):
    """`DELETE /api/conversation-messages/{id}`: soft delete of a message of a live conversation of a live project."""

    model = ConversationMessage
    serializer_class = MessageSerializer

    def narrow(self, qs):
        return qs.filter(conversation__deleted_at__isnull=True, conversation__project__deleted_at__isnull=True)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.conversation_message_delete(message=self.get_object())
        return self.no_content()

