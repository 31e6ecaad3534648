"""`/api/engagements`, `/api/projects` (with advance), `/api/conversations` (with messages) and
`/api/conversation-messages` (contract engagements.md, 19 endpoints)."""
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from serviceengine.api import messages as msg
from serviceengine.api.fields import parse_bool_input
from serviceengine.api.filtering import ContractSortBackend
from serviceengine.api.pagination import _parse_bounded
from serviceengine.api.resource import Children, Resource
from serviceengine.api.search import SEARCH_PARAM, ContractSearchBackend
from serviceengine.api.schema import error_response
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin
from serviceengine.core.services import parse_uuid
from serviceengine.perf.compiled import CompiledQuery

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
    conversation_ordering,
    list_conditions,
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


def visible(include_internal: bool):
    """`qs → qs` of messages: the live ones, internal ones only when asked for (Decision 19)."""

    def scope(qs):
        qs = qs.filter(deleted_at__isnull=True)
        return qs if include_internal else qs.filter(is_internal=False)

    return scope


def message_count(include_internal: bool):
    """An annotation of conversations: the number of their live messages under the `include_internal` rule, as a
    correlated subquery narrowed to the conversation's organization."""

    def make():
        counted = (
            visible(include_internal)(
                ConversationMessage.all_objects.filter(organization_id=OuterRef("organization_id"),
                                                       conversation=OuterRef("pk"))
            )
            .order_by()
            .values("conversation")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    return make


def live_project(qs):
    """Conversations (or their messages, through `conversation__`) of live projects: a deleted project hides its
    threads."""
    return qs.filter(project__deleted_at__isnull=True)


# engagements.md "Conversation summary" / "Conversation object": newest activity first, threads without messages last.
CONVERSATION_ORDER = (F("last_message_at").desc(nulls_last=True), F("created_at").desc(), "id")

ENGAGEMENTS = Resource(
    model=Engagement,
    read=EngagementSerializer,
    list_read=EngagementRowSerializer,  # list rows carry no projects and no conversations (11 keys)
    create=EngagementCreateSerializer,
    update=EngagementUpdateSerializer,
    filters=ENGAGEMENT_FILTER_FIELDS,
    sorts=ENGAGEMENT_SORT_FIELDS,
    search=("name",),
    total_in_page=True,
    children={
        "projects": Children(scope=lambda qs: qs.filter(deleted_at__isnull=True), order=("created_at", "id")),
        "conversations": Children(
            scope=lambda qs: live_project(qs.filter(deleted_at__isnull=True)),
            annotations={"message_count": message_count(include_internal=False)},  # Decision 10: client-visible
            order=CONVERSATION_ORDER,
        ),
    },
)
PROJECTS = Resource(
    model=Project,
    read=ProjectSerializer,
    create=ProjectCreateSerializer,
    update=ProjectUpdateSerializer,
    filters=PROJECT_FILTER_FIELDS,
    sorts=PROJECT_SORT_FIELDS,
    search=("name", "description"),
    total_in_page=True,
)


def conversations(include_internal: bool) -> Resource:
    """The conversations resource under one `include_internal` rule: it changes the SQL of `message_count` and of
    the embedded messages, so each rule is a declaration of its own (the list and retrieve choose by the query)."""
    return Resource(
        model=Conversation,
        read=ConversationSerializer,
        create=ConversationCreateSerializer,
        update=ConversationUpdateSerializer,
        filters=CONVERSATION_FILTER_FIELDS,
        sorts=CONVERSATION_SORT_FIELDS,
        search=("subject",),
        ordering=conversation_ordering,
        total_in_page=True,
        scope=live_project,
        annotations={"message_count": message_count(include_internal)},
        children={
            "messages": Children(  # Decision 9: the newest 20, oldest first
                scope=visible(include_internal),
                order=("created_at", "id"),
                limit=EMBEDDED_MESSAGES,
                limit_by=("-created_at", "-id"),
            ),
        },
    )


CONVERSATIONS = conversations(include_internal=False)
CONVERSATIONS_WITH_INTERNAL = conversations(include_internal=True)
MESSAGES = Resource(
    model=ConversationMessage,
    read=MessageSerializer,
    create=MessageCreateSerializer,
    # a message of a deleted conversation, or of a deleted project, is 404
    scope=lambda qs: qs.filter(conversation__deleted_at__isnull=True, conversation__project__deleted_at__isnull=True),
)


def thread_page(org_id, conversation_id, *cursor, shape):
    """`GET /api/conversations/{id}/messages`: the thread's messages under the `include_internal` rule, newest
    first, older than the cursor (created_at, id) when there is one; shape = (include_internal, has cursor)."""
    include_internal, has_cursor = shape
    rows = visible(include_internal)(MESSAGES.base(org_id).filter(conversation_id=conversation_id))
    if has_cursor:
        created_at, pk = cursor
        rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
    return rows.order_by("-created_at", "-id").values_list(*MESSAGES.reader().columns)


THREAD_PAGE = CompiledQuery(ConversationMessage, thread_page)  # SQL written once per thread and shape


class ContractListMixin(ListMixin):
    """A list with shorthand id parameters and query parameters of its own (`prepare_query`), whose errors are
    reported at once with the paging and filter errors. Without `search=`, the filters and shorthand parameters are
    conditions of the resource's compiled reader (`Reader.page` unfiltered, else `Reader.filtered`: the SQL of the
    page and of its COUNT written once per shape, the resource's `ordering` for the sort); a searched list is built
    by the filter backends (the ORM) and read through `Reader.rows`."""

    def prepare_query(self, request) -> None:
        """Parse list parameters beyond paging and filters; raise ValidationError listing their errors."""

    def sort_backend(self) -> ContractSortBackend:
        return next(backend for backend in self.filter_backends if issubclass(backend, ContractSortBackend))()

    def list(self, request, *args, **kwargs):
        errors = {}
        for step in (self.paginator.parse_params, self.prepare_query):
            try:
                step(request)
            except ValidationError as exc:
                errors.update(exc.detail)
        searched = SEARCH_PARAM in request.query_params
        try:
            if searched:
                queryset = self.filter_queryset(self.get_queryset())
            else:
                conditions = list_conditions(request, self)
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        reader = self.resource.reader(self.get_serializer_class())
        if searched:
            rows = self.paginator.paginate_rows(
                request, queryset.count, lambda limit, offset: (reader.rows(queryset, limit, offset), None)
            )
        else:
            organization = self.organization
            sort = self.sort_backend().sort_key(request, self)
            listing = reader.filtered(organization, conditions, sort)  # no conditions: the unfiltered COUNT
            if conditions:
                rows = self.paginator.paginate_rows(
                    request, listing.count, lambda limit, offset: (listing.page(limit, offset), None)
                )
            else:
                rows = self.paginator.paginate_rows(
                    request, listing.count, lambda limit, offset: reader.page(organization, sort, limit, offset)
                )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


# --- engagements ---------------------------------------------------------------------------------------------


class EngagementViewSet(ContractListMixin, RetrieveMixin, OrgViewSet):
    """Engagements of the token's organization, Closed ones included; DELETE closes (idempotent)."""

    # queries (list):     token 1 + page 1 (client joined, COUNT inside) = 2; filtered: + count 1 = 3
    # queries (retrieve): token 1 + engagement 1 (client joined) + conversations 1 (counts inside) + projects 1
    #                     = 4; PostgreSQL 2 (the projects and conversations inside the engagement's row)

    resource = ENGAGEMENTS
    shorthand_fields = {"client_id": "client_id"}
    filter_backends = [ShorthandFilterBackend, ContractSearchBackend, ContractSortBackend]

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


class ProjectViewSet(ContractListMixin, RetrieveMixin, OrgViewSet):
    """Live projects of the token's organization; DELETE is a soft delete; `advance` moves one phase, race-safe."""

    # queries (list):     token 1 + page 1 (engagement, service joined, COUNT inside) = 2; filtered: + count 1 = 3
    # queries (retrieve): token 1 + project 1 (same joins) = 2

    resource = PROJECTS
    shorthand_fields = {"engagement_id": "engagement_id"}
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


class ConversationViewSet(ContractListMixin, OrgViewSet):
    """Live conversations of live projects; `messages` embeds the newest 20; the thread is read with the
    messages list and its `before` cursor. `include_internal` chooses the declaration the list and retrieve read
    through (CONVERSATIONS or CONVERSATIONS_WITH_INTERNAL); writes answer with the default (client-visible) one."""

    # queries (list):     token 1 + page 1 (project joined, message_count and COUNT inside) + messages 1 = 3;
    #                     filtered: + count 1 = 4; PostgreSQL: the messages inside the page's rows, one fewer
    # queries (retrieve): token 1 + conversation 1 (same) + messages 1 = 3; PostgreSQL: messages inside, 2
    # queries (messages): token 1 + [cursor 1] + messages 1 (authors, roles joined) = 2 or 3; + conversation 1
    #                     (exists) when no message was read

    resource = CONVERSATIONS
    shorthand_fields = {"project_id": "project_id", "engagement_id": "engagement_id"}
    filter_backends = [ShorthandFilterBackend, ContractSearchBackend, ConversationSortBackend]

    def prepare_query(self, request):
        if include_internal_param(request):
            self.resource = CONVERSATIONS_WITH_INTERNAL  # this request's reads only: an instance attribute

    @extend_schema(parameters=[INCLUDE_INTERNAL])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[INCLUDE_INTERNAL], responses={200: ConversationSerializer, 400: OpenApiResponse(
        description="`include_internal` is not a boolean (validation envelope).")})
    def retrieve(self, request, pk=None):
        self.prepare_query(request)  # contract §6: query errors before the path id
        return self.retrieve_response()

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
        conversation_pk = self.path_pk()
        org = self.organization
        raw_before = request.query_params.get("before")
        cursor = ()
        if raw_before is not None:
            before_pk = parse_uuid(raw_before.strip())
            # A cursor may be any message of the thread, internal or deleted ones included.
            found = None if before_pk is None else (
                ConversationMessage.with_deleted.for_org(org).filter(conversation_id=conversation_pk, pk=before_pk)
                .only("id", "created_at").first()
            )
            if found is None:
                self.require_conversation(conversation_pk)  # contract §6: an unknown thread is 404 first
                raise ValidationError({"query.before": ["The specified message does not exist."]})
            cursor = (found.created_at, found.pk)
        page = THREAD_PAGE.rows(org.pk, conversation_pk, *cursor, shape=(include_internal, bool(cursor)),
                                page=(limit + 1, 0))
        if not page:  # messages are read only from a live conversation of a live project: rows prove it exists
            self.require_conversation(conversation_pk)
        has_more = len(page) > limit
        page = page[:limit][::-1]
        response = Response(MessageSerializer(page, many=True, context=self.get_serializer_context()).data)
        if has_more and page:
            url = request.build_absolute_uri(f"/api/conversations/{conversation_pk}/messages")
            url += f"?before={page[0].pk}&limit={limit}" + ("&include_internal=true" if include_internal else "")
            response["Link"] = f'<{url}>; rel="next"'
        return response

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    @messages.mapping.post
    def create_message(self, request, pk=None):
        data = self.validated(MessageCreateSerializer)
        conversation = self.get_object()
        message = services.conversation_message_create(conversation=conversation, sender=request.user, **data)
        return self.respond(message, http_status.HTTP_201_CREATED, resource=MESSAGES)

    def require_conversation(self, pk) -> None:
        """404 unless `pk` is a live conversation of a live project of the organization (one query, no count)."""
        if not live_project(Conversation.objects.for_org(self.organization)).filter(pk=pk).exists():
            raise NotFound(msg.NOT_FOUND)


class ConversationMessageViewSet(OrgViewSet):
    """`DELETE /api/conversation-messages/{id}`: soft delete of a message of a live conversation of a live project."""

    resource = MESSAGES

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.conversation_message_delete(message=self.get_object())
        return self.no_content()
