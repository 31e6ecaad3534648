"""Client workflows (contract clients.md). `client_create` and `user_by_email` are also used by billing
(proposal sign, invoice by email)."""
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.utils import timezone

from events.services import record_event, snapshot
from serviceengine.core.errors import DomainError
from serviceengine.core.services import assign
from serviceengine.models import Address, Role, User

EMAIL_TAKEN = "The email has already been taken."
ADDRESS_LINES = ("line_1", "line_2", "city", "state", "country", "postcode")

# Dependants that forbid deleting a client, in the contract's order of checks (clients.md, DELETE).
# The reverse relations use the default manager (`all_objects`), so soft-deleted rows count.
DELETE_GUARDS = (
    ("orders", "Cannot delete client with existing orders"),
    ("invoices", "Cannot delete client with existing invoices"),
    ("tickets", "Cannot delete client with existing tickets"),
    ("subscriptions", "Cannot delete client with existing subscriptions"),  # mark_paid's recurring-invoice rows
    ("client_subscriptions", "Cannot delete client with existing subscriptions"),  # /api/subscriptions (issue 16)
    ("engagements", "Cannot delete client with existing engagements"),  # engagements.md, Closed ones included
)


def client_role() -> Role:
    """The client role (contract §10.3); DomainError(500, "Client role not configured") when there is none."""
    return Role.objects.client_role()


def paid_invoices_total():
    """A subquery for `spent`: the sum of `total` over the user's invoices that have `date_paid` set and are
    not soft-deleted; NULL when there is none (contract defect 23). Annotate with it, never compute per row.
    The invoice model is looked up lazily: billing depends on clients, never the reverse (STYLE §1)."""
    invoice = apps.get_model("billing", "Invoice")
    paid = (
        invoice.all_objects.filter(
            organization_id=OuterRef("organization_id"), user=OuterRef("pk"), date_paid__isnull=False,
            deleted_at__isnull=True,
        )
        .order_by()
        .values("user")
        .annotate(spent=Sum("total"))
        .values("spent")
    )
    return Subquery(paid, output_field=DecimalField(max_digits=18, decimal_places=2))


def email_taken(*, organization, email: str, exclude_pk=None) -> bool:
    """True when another user of the organization (any role) has this email, compared lower-cased."""
    qs = User.objects.for_org(organization).filter(email__iexact=email.strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _address_values(client: User, lines: dict) -> dict:
    """The address row for a client (clients.md side effects): the six lines as sent (absent ones null), the
    names, tax id and company copied from the client, and no VAT number."""
    return {
        **{line: lines.get(line) for line in ADDRESS_LINES},
        "name_f": client.name_f,
        "name_l": client.name_l,
        "tax_id": client.tax_id,
        "company_name": client.company,
        "company_vat": None,
    }


def _save_unique(user: User, **save_kwargs) -> None:
    """Save in a savepoint; a concurrent request that took the email first (the database constraint) is the
    same 400 as the up-front check, never a 500."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError:
        if email_taken(organization=user.organization, email=user.email, exclude_pk=user.pk):
            raise DomainError(400, field="email", message=EMAIL_TAKEN) from None
        raise


@transaction.atomic
def client_create(
    *, organization, email: str, name_f: str = "", name_l: str = "", address: dict | None = None, **fields
) -> User:
    """Create a client: the client role, status 1, balance 0, a generated affiliate id and link (contract
    §10.10), `created_at` now unless given. `email` must already be validated; it is stored lower-cased.
    With `address` (a dict of the six line fields, even empty) an address is created and linked.

    Raises DomainError(500, "Client role not configured") when no client role exists, and DomainError(400) on
    `email` when another user of the organization already has the email."""
    role = client_role()
    email = email.strip().lower()
    if email_taken(organization=organization, email=email):
        raise DomainError(400, field="email", message=EMAIL_TAKEN)
    aff_id, aff_link = User.new_affiliate()
    values = {
        "status": 1,
        "custom_fields": {},
        "created_at": timezone.now(),
        **{k: v for k, v in fields.items() if v is not None},
    }
    client = User(
        organization=organization,
        email=email,
        name_f=name_f,
        name_l=name_l,
        role=role,
        aff_id=aff_id,
        aff_link=aff_link,
        ga_cid=None,
        **values,
    )
    if address is not None:
        client.address = Address.all_objects.create(organization=organization, **_address_values(client, address))
    _save_unique(client, force_insert=True)
    record_event("client.created", client, object_type="client")
    return client


@transaction.atomic
def client_update(*, client: User, changes: dict) -> User:
    """Apply a partial update (clients.md PUT): only the keys present in `changes` are written, `status_id`
    becomes `status`. With `address` the six lines are replaced (absent ones become null), the names, tax id
    and company are copied from the updated client and `company_vat` is cleared; the client's address is
    updated in place or created and linked. Raises DomainError(400) on `email` when another user of the
    organization has it. `address_ref` (the admin's choice) links an existing address of the organization, or
    none (422 on `address` for another organization's)."""
    client = User.all_objects.for_org(client.organization_id).select_for_update().get(pk=client.pk)
    before = snapshot(client, object_type="client")
    if "email" in changes:
        changes = {**changes, "email": changes["email"].strip().lower()}
        if email_taken(organization=client.organization, email=changes["email"], exclude_pk=client.pk):
            raise DomainError(400, field="email", message=EMAIL_TAKEN)
    assign(client, changes, skip=("status",))  # the columns the write serializer validated, written as sent
    if "status_id" in changes:
        client.status = changes["status_id"]
    if "address_ref" in changes:  # the admin links an existing address of the organization (or none)
        ref = changes["address_ref"]
        if ref is not None and ref.organization_id != client.organization_id:
            raise DomainError(422, field="address", message="The specified address does not exist.")
        client.address_id = ref.pk if ref is not None else None
    if "address" in changes:
        values = _address_values(client, changes["address"])
        address = (
            Address.all_objects.for_org(client.organization_id).filter(pk=client.address_id).first()
            if client.address_id
            else None
        )
        if address is None:
            client.address = Address.all_objects.create(organization=client.organization, **values)
        else:
            for field, value in values.items():
                setattr(address, field, value)
            address.save()
    _save_unique(client)
    record_event("client.updated", client, object_type="client", previous=before)
    return client


def client_delete_refusal(*, client: User) -> str | None:
    """Why the client cannot be deleted (the first dependant kind found, in the contract's order), or None."""
    for relation, detail in DELETE_GUARDS:
        if getattr(client, relation).exists():
            return detail
    return None


@transaction.atomic
def client_delete(*, client: User) -> None:
    """Hard-delete a client (contract §9). Refused with 409 while the client has any order, invoice, ticket or
    subscription, soft-deleted ones included, checked in that order. The client's address goes too unless
    another user shares it. The row lock keeps a concurrent order or ticket from slipping in between."""
    client = User.all_objects.for_org(client.organization_id).select_for_update().get(pk=client.pk)
    refusal = client_delete_refusal(client=client)
    if refusal is not None:
        raise DomainError(409, detail=refusal)
    record_event("client.deleted", client, object_type="client")  # before the delete: the client as it was
    address_id = client.address_id
    client.delete()
    org_id = client.organization_id
    if address_id and not User.all_objects.for_org(org_id).filter(address_id=address_id).exists():
        Address.all_objects.for_org(org_id).filter(pk=address_id).delete()


def user_by_email(*, organization, email: str) -> User | None:
    """The organization's user (any role) with this email, compared lower-cased."""
    return User.objects.for_org(organization).filter(email=email.strip().lower()).first()
