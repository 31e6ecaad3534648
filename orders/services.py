"""Order workflows (contract orders.md). `order_create` and `tags_find_or_create` are shared: billing opens orders
when proposals are signed and invoices paid; support tags tickets. The API's own entry points (`order_place`,
`order_update`, the task and message functions) resolve the ids sent in bodies within the organization and raise
DomainError with the contract's keys and messages, in the contract's order of checks."""
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.sql import InsertQuery
from django.utils import timezone

from catalog.models import Service
from events.services import record_event, snapshot
from serviceengine.core.errors import DomainError
from serviceengine.models import User
from serviceengine.perf.compiled import CompiledQuery, Joined, Many, pk_value
from serviceengine.core.services import (
    assign,
    columns_of,
    dedupe,
    parse_uuid,
    parse_uuids,
    resolve_team_members,
    users_by_pk,
)

from .models import (
    Order,
    OrderEmployee,
    OrderMessage,
    OrderTag,
    OrderTask,
    Tag,
    TaskEmployee,
)

NUMBER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NUMBER_LENGTH = 8
NUMBER_ATTEMPTS = 20
NUMBER_TAKEN = "The order number has already been taken."
NUMBER_CONSTRAINT = "order_number_unique_per_org"  # Order.Meta: (organization, number) unique
USER_ID_NOT_UUID = "The user_id must be a valid UUID."
CLIENT_MISSING = "The specified client does not exist."
SERVICE_REQUIRED = "Either service_id or service must be provided."
SERVICE_MISSING = "The specified service does not exist."
EMPLOYEE_MISSING = "Employee with ID {id} does not exist."
EMPLOYEE_IDS_NOT_UUIDS = "All employee_ids must be valid UUIDs."
FOR_CLIENT_WITH_EMPLOYEES = "Cannot assign employees when for_client is true."
DEADLINE_AND_DUE_AT = "Cannot specify both deadline and due_at."


def order_number_generate() -> str:
    """8 characters drawn uniformly from A–Z and 0–9 (contract §10.8)."""
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def metadata_from_items(items) -> dict:
    """`[{title, value}, ...]` → `{title: value}` (contract §10.7): empty titles skipped, a repeated title keeps
    the last value, a missing value is ``""``."""
    out = {}
    for item in items or ():
        title = item.get("title")
        if title:
            out[title] = item.get("value") or ""
    return out


def tags_find_or_create(*, organization, names: list[str]) -> list[Tag]:
    """The organization's tags with these names, matched ignoring case (an existing tag keeps its stored
    spelling), creating the missing ones; in the order given, names equal ignoring case collapsed (first kept,
    contract §10.5). Safe under concurrency: two requests creating the same new tag both succeed and share one
    row (the case-insensitive unique constraint + ON CONFLICT DO NOTHING, then re-read). Each tag this call
    inserted (the row carries the id generated here; a concurrent request's row does not) records `tag.created`."""
    wanted, seen = [], set()
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            wanted.append(name)
    if not wanted:
        return []
    found = _tags_by_lower_name(organization, wanted)
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        # The insert is stamped with the organization explicitly. Sorted, so that concurrent requests
        # inserting overlapping names take their row locks in the same order (no deadlock).
        new = [Tag(organization=organization, name=name) for name in sorted(missing)]
        Tag.all_objects.bulk_create(new, ignore_conflicts=True)
        found.update(_tags_by_lower_name(organization, missing))
        inserted = {tag.pk for tag in new}
        for tag in found.values():
            if tag.pk in inserted:
                _record_tag_created(tag)
    return dedupe(found[name.lower()] for name in wanted if name.lower() in found)


def _record_tag_created(tag: Tag) -> None:
    """`tag.created` for a tag created by name. A new tag is on no order or ticket yet: with its usage counts set,
    the tag renderer (tags/apps.py) renders the row at hand, so creating tags costs no read per tag."""
    tag.orders_count = tag.tickets_count = 0
    record_event("tag.created", tag)


# A tag row as the ORM loads it (every column), by lower-cased name or exact name: compiled once per number of
# names (serviceengine/perf/compiled.py); creating an order or a ticket with tags reads them on every request.
_TAGS_BY_NAME = CompiledQuery(
    Tag,
    lambda org_id, lower_names, names: Tag.objects.for_org(org_id)
    .alias(lower_name=Lower("name"))
    .filter(Q(lower_name__in=lower_names) | Q(name__in=names))
    .order_by("created_at", "id")
    .values_list(*(f.attname for f in Tag._meta.concrete_fields)),
)


def _tags_by_lower_name(organization, names: list[str]) -> dict[str, Tag]:
    """`{name.lower(): tag}` for the organization's tags whose name equals one of `names` ignoring case."""
    lower_names = sorted({name.lower() for name in names})
    found = {}
    for tag in _TAGS_BY_NAME.instances(pk_value(organization), Many(lower_names), Many(names)):
        found.setdefault(tag.name.lower(), tag)
    return found


def set_order_tags(order: Order, tags: list[Tag], *, new: bool = False) -> None:
    """Replace the order's tags with exactly these, in this order (duplicates collapsed). A `new` order has none
    to delete."""
    if not new:
        OrderTag.objects.for_org(order.organization_id).filter(order=order).delete()
    OrderTag.objects.bulk_create([OrderTag(order=order, tag=tag) for tag in dedupe(tags)])


def set_order_employees(order: Order, employees, *, new: bool = False) -> None:
    """Replace the order's employees with exactly these, in this order (duplicates collapsed). A `new` order has
    none to delete."""
    if not new:
        OrderEmployee.objects.for_org(order.organization_id).filter(order=order).delete()
    OrderEmployee.objects.bulk_create([OrderEmployee(order=order, user=user) for user in dedupe(employees)])


def order_create(
    *,
    organization,
    user,
    service_name: str,
    service=None,
    price: Decimal = Decimal("0.00"),
    currency: str = "USD",
    quantity: int = 1,
    status: int = 0,
    number: str | None = None,
    note: str | None = None,
    metadata: dict | None = None,
    invoice_id=None,
    engagement_id=None,
    created_at=None,
    date_started=None,
    date_completed=None,
    date_due=None,
    employees=(),
    tag_names=(),
    **columns,
) -> Order:
    """Create an order with its employees and tags; `columns` are further columns written as given. Without `number` a unique one is generated (retried on
    collision, never a 500); a given `number` already used in the organization (soft-deleted orders included)
    raises DomainError(400) on `number`. Employees must already be validated team members. Atomic: the order, its
    links and its `order.created` event are written in one transaction (the caller's when there is one); a number
    collision writes nothing before the next draw."""
    fields = dict(
        organization=organization,
        user=user,
        service=service,
        service_name=service_name,
        price=Decimal("0.00") if price is None else price,
        currency=currency or "USD",
        quantity=quantity,
        status=status,
        note=note,
        metadata=metadata or {},
        form_data={},
        invoice_id=invoice_id,
        engagement_id=engagement_id,  # set by proposal sign only (engagements.md)
        date_started=date_started,
        date_completed=date_completed,
        date_due=date_due,
        **columns,
    )
    if created_at is not None:  # backdated; otherwise created_at and updated_at are one instant (BaseModel)
        fields["created_at"] = created_at
    links = {"employees": employees, "tag_names": tag_names}
    if number is not None:
        # all_objects: a soft-deleted order keeps its number (contract §10.8).
        if Order.all_objects.filter(organization=organization, number=number).exists():
            raise DomainError(400, field="number", message=NUMBER_TAKEN)
        order = _order_insert(fields, number, **links)
        if order is None:  # taken by a concurrent request between the check and the insert
            raise DomainError(400, field="number", message=NUMBER_TAKEN)
        return order
    for _ in range(NUMBER_ATTEMPTS):
        order = _order_insert(fields, order_number_generate(), **links)
        if order is not None:
            return order
    # 20 collisions in a 36^8 space: something else is wrong
    raise RuntimeError("could not generate a unique order number")


def _order_insert(fields: dict, number: str, *, employees, tag_names) -> Order | None:
    """The order with this number, its links and its `order.created` event, in one transaction (the caller's when
    there is one: no savepoint of its own, which would cost two statements per order); None, with nothing written,
    when the number is taken (by a concurrent request too). The INSERT skips a taken number itself (ON CONFLICT on
    the organization's number, `_insert_unless_number_taken`) instead of failing, so a collision aborts nothing and
    needs no savepoint to roll back; any other integrity error still raises (and fails the caller's transaction,
    as it did)."""
    with transaction.atomic(savepoint=False):
        order = Order(number=number, **fields)
        if not _insert_unless_number_taken(order):
            return None
        if employees:
            set_order_employees(order, employees, new=True)
        if tag_names:
            tags = tags_find_or_create(organization=fields["organization"], names=list(tag_names))
            set_order_tags(order, tags, new=True)
        record_event("order.created", order)
        return order


def _insert_unless_number_taken(order: Order) -> bool:
    """INSERT the new `order` unless its organization has an order with its number (soft-deleted ones included:
    the unique constraint covers every row), as one statement: `INSERT ... ON CONFLICT (organization_id, number)
    DO NOTHING` (PostgreSQL; SQLite ≥ 3.24). True when the row was written (then `order` is saved, as `save()`
    leaves it). The SQL is the ORM's own INSERT (field `pre_save`: `updated_at`), with the conflict clause added:
    the ORM's `ignore_conflicts` would also skip other violations (SQLite's INSERT OR IGNORE) and cannot say
    whether the row was written."""
    meta = Order._meta
    connection = transaction.get_connection(Order.all_objects.db)
    query = InsertQuery(Order)
    query.insert_values(meta.local_concrete_fields, [order])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    unique = next(c for c in meta.constraints if c.name == NUMBER_CONSTRAINT)
    target = ", ".join(quote(meta.get_field(name).column) for name in unique.fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({target}) DO NOTHING", params)
        written = cursor.rowcount == 1
    if written:
        order._state.adding = False
        order._state.db = connection.alias
    return written


def _order_employees(organization, raw_ids, users=None) -> list[User]:
    """Team members for an order's `employees` (dashboard_access rule, one query, or none given `users`, a
    `users_by_pk` of them); 422 on the first bad id."""
    return resolve_team_members(organization, raw_ids, field="employees", message=EMPLOYEE_MISSING, users=users)


# The columns of a live service an order takes from it (the snapshot, §10.11): a full row costs more to fetch
# and build than the check itself. Compiled once: creating an order reads it on every request.
_SERVICE_FOR_ORDER = CompiledQuery(
    Service,
    lambda org_id, pk: Service.objects.for_org(org_id).filter(pk=pk).order_by()
    .values_list("id", "name", "price", "currency"),
)


def _service_in_org(organization, raw_id) -> Service:
    """A live service of the organization (its id, name, price and currency loaded), or DomainError(422) on
    `service_id` (a malformed, unknown or other organization's id alike, as `resolve_ref`)."""
    pk = parse_uuid(raw_id)
    found = _SERVICE_FOR_ORDER.instances(pk_value(organization), pk) if pk is not None else []
    if not found:
        raise DomainError(422, field="service_id", message=SERVICE_MISSING)
    return found[0]


def order_place(
    *,
    organization,
    user_id: str,
    service_id: str | None = None,
    service: str | None = None,
    status: int | None = None,
    employees: list[str] | None = None,
    tags: list[str] | None = None,
    number: str | None = None,
    metadata: list[dict] | None = None,
    created_at=None,
    **columns,
) -> Order:
    """`POST /api/orders`: check the references in the contract's order (user_id format 400, client 422,
    service presence 400, service 422, employees 422, number 400), snapshot the service (§10.11), then
    `order_create`. Empty `service_id`/`service`/`number` strings are treated as absent by the serializer. Every
    other key the write serializer validated that names an order column (`note`, `date_due`, ...) is written as
    sent. Not a transaction of its own: it only reads until `order_create`, whose transaction holds every write
    (one savepoint fewer per create inside the request's transaction)."""
    client_pk = parse_uuid(user_id)
    if client_pk is None:
        raise DomainError(400, field="user_id", message=USER_ID_NOT_UUID)
    # The client and the employees are users of the organization: one query reads them all (the checks below keep
    # the contract's order). Any user may be the client, team members included (contract, defect 35).
    users = users_by_pk(organization, [client_pk, *parse_uuids(employees or ())])
    client = users.get(client_pk)
    if client is None:
        raise DomainError(422, field="user_id", message=CLIENT_MISSING)
    if not service_id and not service:
        raise DomainError(400, field="service", message=SERVICE_REQUIRED)
    linked = _service_in_org(organization, service_id) if service_id else None
    members = _order_employees(organization, employees, users) if employees else []
    if linked is not None:
        service_name = service or linked.name
        price = linked.price if linked.price is not None else Decimal("0.00")
        currency = linked.currency or "USD"
    else:
        service_name, price, currency = service, Decimal("0.00"), "USD"
    return order_create(
        organization=organization,
        user=client,
        service=linked,
        service_name=service_name,
        price=price,
        currency=currency,
        status=status or 0,
        number=number,
        metadata=metadata_from_items(metadata),
        created_at=created_at,
        employees=members,
        tag_names=tags or (),
        **columns_of(Order, columns),
    )


# A live order locked for its update, with its organization joined (not locked: its row is needed by the update,
# one query fewer): every column of both, as `select_related("organization")` loads them. Compiled once: the ORM
# wrote this SQL on every update.
_ORDER_ROW = Joined(Order, {"organization": None})
_ORDER_LOCKED = CompiledQuery(
    Order,
    lambda org_id, pk: Order.objects.for_org(org_id).filter(pk=pk).select_for_update(of=("self",)).order_by()
    .values_list(*_ORDER_ROW.columns),
)


def _order_locked(organization_id, pk) -> Order | None:
    """The live order with this id locked (FOR UPDATE OF the order on PostgreSQL), its `organization` loaded; or
    None."""
    rows = _ORDER_LOCKED.tuples(pk_value(organization_id), pk)[1]
    return _ORDER_ROW.load(_ORDER_LOCKED.alias, rows[0]) if rows else None


# No savepoint of its own inside a caller's transaction (the request's, the admin form's): two statements fewer per
# update, and nothing recovers from a failure here: a DomainError fails the caller's transaction as a whole.
@transaction.atomic(savepoint=False)
def order_update(*, order: Order, changes: dict) -> Order:
    """`PUT /api/orders/{id}`: partial update of the keys present in `changes` (already validated; absent/null
    keys are not in it). `service_id: ""` unlinks the service; changing the service never touches the
    snapshot. `employees`/`tags` replace their sets. Raises DomainError(404) unless the order is live (`order` may
    be a stand-in with `pk` and `organization_id` only: the row is read here, under its lock), then DomainError(422)
    on `service_id`, then `employees`."""
    order = _order_locked(order.organization_id, order.pk)
    if order is None:  # unknown, or soft-deleted (by a concurrent request too)
        raise DomainError(404, detail="Not Found")
    organization = order.organization
    before = snapshot(order)
    update_fields = ["updated_at"]
    if "service_id" in changes:
        raw = changes["service_id"]
        order.service = _service_in_org(organization, raw) if raw else None
        update_fields.append("service")
    members = _order_employees(organization, changes["employees"]) if "employees" in changes else None
    if "service" in changes:
        order.service_name = changes["service"]
        update_fields.append("service_name")
    if "metadata" in changes:
        order.metadata = metadata_from_items(changes["metadata"])
        update_fields.append("metadata")
    # Every other column the write serializer validated is written as sent.
    update_fields += assign(order, changes, skip=("metadata",))
    order.save(update_fields=update_fields)
    if members is not None:
        set_order_employees(order, members)
    if "tags" in changes:
        set_order_tags(order, tags_find_or_create(organization=organization, names=changes["tags"]))
    event = record_event("order.updated", order, previous=before)
    if "status" in event.previous_attributes:
        record_event("order.status_changed", order, data=event.data, previous=before)
    return order


@transaction.atomic
def order_delete(*, order: Order) -> None:
    """Soft delete: the order, its tasks and messages become 404 everywhere; rows stay (contract §9)."""
    record_event("order.deleted", order)  # before the delete: the order as it was
    Order.objects.for_org(order.organization_id).filter(pk=order.pk).soft_delete()


def _task_employees(organization, raw_ids) -> list[User]:
    """Team members for a task's `employee_ids`: first every element must be a UUID, then each must pass the
    dashboard_access rule (contract checks 5 and 6); one query."""
    raw_ids = list(raw_ids)
    if any(parse_uuid(raw) is None for raw in raw_ids):
        raise DomainError(422, field="employee_ids", message=EMPLOYEE_IDS_NOT_UUIDS)
    return resolve_team_members(organization, raw_ids, field="employee_ids", message=EMPLOYEE_MISSING)


def _set_task_employees(task: OrderTask, members) -> None:
    org_id = task.organization_id
    TaskEmployee.objects.for_org(org_id).filter(task=task).delete()
    TaskEmployee.objects.bulk_create(
        [TaskEmployee(organization_id=org_id, task=task, user=user) for user in dedupe(members)]
    )


def _check_task_rules(*, for_client: bool, employee_ids, deadline, due_at) -> None:
    if for_client and employee_ids:
        raise DomainError(400, field="for_client", message=FOR_CLIENT_WITH_EMPLOYEES)
    if deadline is not None and due_at is not None:
        raise DomainError(400, field="deadline", message=DEADLINE_AND_DUE_AT)


@transaction.atomic
def order_task_create(
    *,
    order: Order,
    name: str,
    description: str | None = None,
    employee_ids: list[str] | None = None,
    sort_order: int | None = None,
    is_public: bool = False,
    for_client: bool = False,
    deadline: int | None = None,
    due_at=None,
    **columns,
) -> OrderTask:
    """Create a task of an order. Raises DomainError 400 `for_client` / `deadline`, then 422 `employee_ids`
    (contract checks 3–6). The order itself is not modified."""
    _check_task_rules(for_client=for_client, employee_ids=employee_ids, deadline=deadline, due_at=due_at)
    members = _task_employees(order.organization_id, employee_ids) if employee_ids else []
    task = OrderTask.all_objects.create(
        organization_id=order.organization_id,
        order=order,
        name=name,
        description=description,
        sort_order=sort_order or 0,
        is_public=is_public,
        for_client=for_client,
        deadline=deadline,
        due_at=due_at,
        **columns_of(OrderTask, columns),  # any further column the write serializer validated
    )
    if members:
        TaskEmployee.objects.bulk_create([TaskEmployee(task=task, user=user) for user in dedupe(members)])
    record_event("order_task.created", task)
    return task


@transaction.atomic
def order_task_update(*, task: OrderTask, changes: dict) -> OrderTask:
    """Partial update of a task. The rules look at the resulting values (sent, else current): for_client with
    sent employees → 400, deadline and due_at both set → 400, then employee ids → 422. Sent `employee_ids`
    replace the assignments."""
    task = OrderTask.objects.for_org(task.organization_id).select_for_update().get(pk=task.pk)
    before = snapshot(task)
    _check_task_rules(
        for_client=changes.get("for_client", task.for_client),
        employee_ids=changes.get("employee_ids"),
        deadline=changes.get("deadline", task.deadline),
        due_at=changes.get("due_at", task.due_at),
    )
    members = _task_employees(task.organization_id, changes["employee_ids"]) if "employee_ids" in changes else None
    update_fields = ["updated_at", *assign(task, changes)]
    task.save(update_fields=update_fields)
    if members is not None:
        _set_task_employees(task, members)
    record_event("order_task.updated", task, previous=before)
    return task


@transaction.atomic
def order_task_delete(*, task: OrderTask) -> None:
    """Hard delete; the employee assignments go with it (cascade)."""
    record_event("order_task.deleted", task)  # before the delete: the task as it was
    OrderTask.objects.for_org(task.organization_id).filter(pk=task.pk).delete()


@transaction.atomic
def order_task_complete(*, task: OrderTask, user: User) -> OrderTask:
    """Mark complete by `user` now. Idempotent: an already complete task keeps its original stamps (defect 28)."""
    task = OrderTask.objects.for_org(task.organization_id).select_for_update().get(pk=task.pk)
    if not task.is_complete:  # completing a complete task changes nothing: no event either
        before = snapshot(task)
        task.is_complete = True
        task.completed_by = user
        task.completed_at = timezone.now()
        task.save(update_fields=["is_complete", "completed_by", "completed_at", "updated_at"])
        record_event("order_task.completed", task, previous=before)
    return task


@transaction.atomic
def order_task_reopen(*, task: OrderTask) -> OrderTask:
    """Mark incomplete: clears `completed_by`/`completed_at` (a no-op on an incomplete task)."""
    task = OrderTask.objects.for_org(task.organization_id).select_for_update().get(pk=task.pk)
    if task.is_complete or task.completed_by_id or task.completed_at:
        before = snapshot(task)
        task.is_complete = False
        task.completed_by = None
        task.completed_at = None
        task.save(update_fields=["is_complete", "completed_by", "completed_at", "updated_at"])
        record_event("order_task.uncompleted", task, previous=before)
    return task


@transaction.atomic
def order_message_create(
    *,
    order: Order,
    author: User,
    message: str,
    is_public: bool | None = None,
    staff_only: bool | None = None,
    files: list[str] | None = None,
) -> OrderMessage:
    """Post a message by `author` (the token's user). `is_public` defaults to true; `staff_only` is used only
    when `is_public` is absent. The order's `last_message_at` becomes exactly the message's `created_at`,
    without touching the order's `updated_at` (a queryset update skips auto_now)."""
    if is_public is None:
        is_public = True if staff_only is None else not staff_only
    created = OrderMessage.all_objects.create(
        organization_id=order.organization_id,
        order=order,
        user=author,
        message=message,
        is_public=is_public,
        files=list(files or []),
    )
    Order.all_objects.for_org(order.organization_id).filter(pk=order.pk).update(last_message_at=created.created_at)
    record_event("order_message.created", created)
    return created


@transaction.atomic
def order_message_delete(*, message: OrderMessage) -> None:
    """Hard delete; the order's `last_message_at` is not recalculated (contract §9)."""
    record_event("order_message.deleted", message)  # before the delete: the message as it was
    OrderMessage.objects.for_org(message.organization_id).filter(pk=message.pk).delete()
