"""List filters, sorts and shorthand parameters of engagements, projects and conversations (engagements.md
"Lists"), and the two list rules of their own: shorthand id parameters, and the conversations' default order."""
import uuid

from django.db.models import F
from rest_framework.exceptions import ValidationError

from serviceengine.api import messages as msg
from serviceengine.api.filtering import (
    Condition,
    ContractFilterBackend,
    ContractSortBackend,
    apply_condition,
    parse_filters,
    sort_ordering,
)

ENGAGEMENT_FILTER_FIELDS = {
    "id": "uuid",
    "client_id": "uuid",
    "status": "int",
    "proposal_id": "uuid",
    "created_at": "datetime",
    "closed_at": "datetime",
}
ENGAGEMENT_SORT_FIELDS = {
    "id": "id",
    "name": "name",
    "status": "status",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "closed_at": "closed_at",
}

PROJECT_FILTER_FIELDS = {
    "id": "uuid",
    "engagement_id": "uuid",
    "service_id": "uuid",
    "status": "int",
    "phase": "int",
    "created_at": "datetime",
}
PROJECT_SORT_FIELDS = {
    "id": "id",
    "name": "name",
    "status": "status",
    "phase": "phase",
    "created_at": "created_at",
    "updated_at": "updated_at",
}

CONVERSATION_FILTER_FIELDS = {
    "id": "uuid",
    "project_id": "uuid",
    "engagement_id": "uuid",
    "status": "int",
    "created_at": "datetime",
    "last_message_at": "datetime",
}
CONVERSATION_SORT_FIELDS = {
    "id": "id",
    "subject": "subject",
    "status": "status",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "last_message_at": "last_message_at",
}


def shorthand_value(raw: str):
    """A shorthand id parameter's value as a UUID, or None when it is not one."""
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        return None


def shorthand_conditions(request, view) -> tuple[list[Condition], dict]:
    """The view's `shorthand_fields` of the request as `filters[name][$eq]` conditions (an empty value is ignored),
    and the errors of those that are not UUIDs, keyed by the parameter name."""
    conditions, errors = [], {}
    for name, path in getattr(view, "shorthand_fields", {}).items():
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        value = shorthand_value(raw)
        if value is None:
            errors[name] = [msg.FILTER_INVALID]
        else:
            conditions.append(Condition(path, "uuid", "$eq", value))
    return conditions, errors


def list_conditions(request, view) -> list[Condition]:
    """Every condition of a list request: its `filters[...]` (in declaration order), then its shorthand
    parameters; a ValidationError listing the errors of both."""
    errors = {}
    conditions = []
    try:
        conditions = parse_filters(request, view) if getattr(view, "filter_fields", None) else []
    except ValidationError as exc:
        errors.update(exc.detail)
    shorthand, shorthand_errors = shorthand_conditions(request, view)
    errors.update(shorthand_errors)
    if errors:
        raise ValidationError(errors)
    return conditions + shorthand


class ShorthandFilterBackend(ContractFilterBackend):
    """`filters[field][$op]` plus the view's `shorthand_fields`: `name=value` means exactly
    `filters[name][$eq]=value` (both combine with AND); a value that is not a UUID answers 400 keyed by the
    parameter name. An empty value is ignored, like an empty `filters[...]` value. All errors are reported at once.
    (The lists themselves read through `list_conditions` and the compiled reader; this backend serves `search=`.)"""

    def filter_queryset(self, request, queryset, view):
        for condition in list_conditions(request, view):
            queryset = apply_condition(queryset, condition.path, condition.op, condition.value)
        return queryset

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for name in getattr(view, "shorthand_fields", {}):
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": f"Shorthand for `filters[{name}][$eq]`.",
                    "schema": {"type": "string", "format": "uuid"},
                }
            )
        return params


def conversation_ordering(path: str, ascending: bool) -> tuple:
    """The `order_by()` of a conversations sort (the resource's `ordering`): `last_message_at` keeps nulls last in
    both directions and breaks ties by `created_at` descending, then `id`; other fields sort as every list does."""
    if path == "last_message_at":
        column = F(path).asc(nulls_last=True) if ascending else F(path).desc(nulls_last=True)
        return column, F("created_at").desc(), "id"
    return sort_ordering(path, ascending)


class ConversationSortBackend(ContractSortBackend):
    """Conversations: the default (and the fallback for an unknown field) is `last_message_at:desc`; a null
    `last_message_at` sorts after every value in both directions, ties by `created_at` descending, then `id`."""

    default_field = "last_message_at"

    def filter_queryset(self, request, queryset, view):
        return queryset.order_by(*conversation_ordering(*self.sort_key(request, view)))

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["default"] = "last_message_at:desc"
        return params
