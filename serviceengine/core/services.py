"""Core services: organizations, team members and tokens (used by the commands and the admin), and the
reference helpers every app uses to resolve ids sent in bodies within one organization."""
import re
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q

from serviceengine.core.errors import DomainError
from serviceengine.core.rates import normalize_rate
from serviceengine.models import ApiToken, Organization, Role, User
from serviceengine.perf.compiled import CompiledQuery, Many, pk_value

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(value) -> uuid.UUID | None:
    """A UUID from its canonical 8-4-4-4-12 form (any case), or None for anything else (contract §5)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        return None
    return uuid.UUID(value)


def dedupe(values: Iterable) -> list:
    """Values in first-seen order without repeats (contract defect 11: duplicates are collapsed)."""
    seen, out = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def find_in_org(queryset, raw_id):
    """The row of an org-scoped queryset with this id, or None when the id is malformed or not there."""
    pk = parse_uuid(raw_id)
    if pk is None:
        return None
    return queryset.filter(pk=pk).first()


def resolve_ref(queryset, raw_id, *, field: str, message: str):
    """The row of an org-scoped queryset with this id, or DomainError(422) on `field` (contract §4: a malformed,
    unknown or other organization's id in a body is one and the same validation error)."""
    obj = find_in_org(queryset, raw_id)
    if obj is None:
        raise DomainError(422, field=field, message=message)
    return obj


def resolve_team_members(organization, raw_ids, *, field: str, message: str, users=None) -> list[User]:
    """`team_members_by_ids`, or DomainError(422) on `field`; `{id}` in the message names the first bad id."""
    members, bad = team_members_by_ids(organization, list(raw_ids), users=users)
    if bad is not None:
        raise DomainError(422, field=field, message=message.format(id=bad))
    return members


def parse_uuids(raw_ids) -> list[uuid.UUID]:
    """The values of `raw_ids` that are UUIDs (`parse_uuid`), the others left out."""
    return [pk for pk in map(parse_uuid, raw_ids) if pk is not None]


# The users of an organization with these ids, each with the team member rule (contract §10.2): compiled once per
# number of ids (serviceengine/perf/compiled.py), as writes naming a client or team members read it every time.
_USERS_BY_PK = CompiledQuery(
    User,
    lambda org_id, pks: User.objects.for_org(org_id)
    .filter(pk__in=pks)
    .annotate(has_dashboard_access=ExpressionWrapper(Q(role__dashboard_access__gt=0), output_field=BooleanField()))
    .order_by()  # read into a dict
    .values_list("id", "organization_id", "has_dashboard_access"),
)


def users_by_pk(organization, pks) -> dict:
    """`{id: user}` for the organization's users with these ids, in one query, each with `has_dashboard_access`
    (the team member rule, contract §10.2): a write that names a client and team members checks both with it
    (`team_members_by_ids(users=...)`). Only the ids are read: the callers link the users (foreign keys, junction
    rows)."""
    pks = list(pks)
    if not pks:
        return {}
    users = {}
    for pk, organization_id, has_dashboard_access in _USERS_BY_PK.tuples(pk_value(organization), Many(pks))[1]:
        user = User.from_db(_USERS_BY_PK.alias, ["id", "organization_id"], [pk, organization_id])
        user.has_dashboard_access = has_dashboard_access
        users[pk] = user
    return users


def team_members_by_ids(organization, raw_ids: list, *, users=None) -> tuple[list[User], object | None]:
    """Resolve employee ids with the dashboard_access rule (contract §10.2) in one query, or in none when `users`
    (`users_by_pk` of at least these ids) was read already.

    Returns `(members in first-seen order, None)`, or `([], first_bad_id)` where `first_bad_id` is the first
    value (as sent) that is not a UUID, not a user of the organization, or not a team member. Duplicates are
    collapsed by UUID, so the same id in two spellings (case) is one assignment.
    """
    parsed = [(raw, parse_uuid(raw)) for raw in raw_ids]
    if users is None:
        users = users_by_pk(organization, [pk for _raw, pk in parsed if pk is not None])
    found = {pk: user for pk, user in users.items() if user.has_dashboard_access}
    members = []
    for raw, pk in parsed:
        member = found.get(pk)
        if member is None:
            return [], raw
        members.append(member)
    return dedupe(members), None


@transaction.atomic
def organization_create(*, slug: str, name: str) -> Organization:
    """Create an organization. Raises DomainError(400) when the slug is malformed or taken."""
    org = Organization(slug=slug, name=name)
    try:
        org.full_clean()
    except ValidationError as exc:
        first = next(iter(exc.message_dict.items()))
        raise DomainError(400, detail=f"{first[0]}: {first[1][0]}") from None
    org.save()
    return org


def staff_role() -> Role:
    """The role given to team members created without one: the oldest role with dashboard access."""
    role = Role.objects.filter(dashboard_access__gt=0).order_by("-dashboard_access", "created_at", "id").first()
    if role is None:
        raise DomainError(500, detail="No role with dashboard access is configured")
    return role


@transaction.atomic
def team_member_create(*, organization, email: str, name_f: str, name_l: str, role: Role | None = None) -> User:
    """Create a team member (a user whose role has `dashboard_access > 0`). Raises DomainError(400) when the
    email is taken in the organization or the role has no dashboard access."""
    email = email.strip().lower()
    role = role or staff_role()
    if role.dashboard_access <= 0:
        raise DomainError(400, detail=f"Role {role.name} has no dashboard access")
    if User.objects.for_org(organization).filter(email=email).exists():
        raise DomainError(400, detail="The email has already been taken.")
    return User.all_objects.create(
        organization=organization, email=email, name_f=name_f.strip(), name_l=name_l.strip(), role=role
    )


@transaction.atomic
def api_token_create(
    *, organization, user: User | None = None, name: str = "API token", expires_at=None, raw=None,
    scope: str = ApiToken.SCOPE_WRITE, rate_limit: str = "",
):
    """Issue a token for a team member of the organization; returns `(token, raw value)`. `scope` is `read`
    (GET/HEAD only) or `write`; `rate_limit` (`N/second|minute|hour`, empty = the server default) is its own limit.

    Without a user, the organization's oldest team member is used, and an "API" team member is created when
    the organization has none yet, so that `create_org` followed by `create_api_token` is enough to start.
    """
    if user is None:
        user = User.objects.for_org(organization).team_members().order_by("created_at", "id").first()
        if user is None:
            user = team_member_create(
                organization=organization, email=f"api@{organization.slug}.example.com", name_f="API", name_l="User"
            )
    elif user.organization_id != organization.id or not user.role.dashboard_access > 0:
        raise DomainError(400, detail="Tokens are issued for team members of the organization")
    if scope not in (ApiToken.SCOPE_READ, ApiToken.SCOPE_WRITE):
        raise DomainError(400, detail="The scope of a token is read or write")
    if rate_limit:
        try:
            rate_limit = normalize_rate(rate_limit)
        except ValueError:
            raise DomainError(400, detail="A rate limit is N/second, N/minute or N/hour, for example 100/minute") from None
    return ApiToken.issue(
        organization=organization, user=user, name=name, expires_at=expires_at, raw=raw, scope=scope,
        rate_limit=rate_limit,
    )


def assign(instance, data: dict, *, skip=()) -> list[str]:
    """Set on `instance` every key of `data` that names a plain column of its model (not a relation, not the
    primary key), except `skip`: the keys a service resolves itself. `data` is what a write serializer validated,
    so the fields a create or update may set are exactly the write serializer's (no hand-kept list to forget a
    field in). Returns the names set, for `save(update_fields=...)`."""
    fields = _plain_columns(type(instance))
    names = [name for name in data if name in fields and name not in skip]
    for name in names:
        setattr(instance, name, data[name])
    return names


def columns_of(model, data: dict, *, skip=()) -> dict:
    """The keys of `data` that name plain columns of `model` (see `assign`), for `Model(**columns)`."""
    fields = _plain_columns(model)
    return {name: value for name, value in data.items() if name in fields and name not in skip}


def _plain_columns(model) -> set[str]:
    return {
        field.name for field in model._meta.concrete_fields
        if not field.is_relation and not field.primary_key and field.name not in ("organization", "deleted_at")
    }
