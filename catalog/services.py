"""Service catalog workflows (contract services.md): create, partial update and soft delete of services,
with the folder and employee reference checks in the contract's order."""
from django.db import transaction

from events.services import record_event, snapshot

from serviceengine.core.services import resolve_ref, resolve_team_members

from .models import Service, ServiceEmployee, ServiceFolder

FOLDER_MISSING = "The specified folder does not exist."
EMPLOYEE_MISSING = "Employee with ID {id} does not exist."
# Columns a request may write as sent; `folder_id` and `employees` are resolved first (services.md).
SERVICE_FIELDS = (
    "name", "description", "recurring", "currency", "price", "f_price", "f_period_l", "f_period_t", "r_price",
    "r_period_l", "r_period_t", "recurring_action", "deadline", "public", "group_quantities", "multi_order",
    "request_orders", "max_active_requests", "metadata", "sort_order", "braintree_plan_id", "hoth_product_key",
    "hoth_package_name", "provider_id", "provider_service_id",
)


def folder_resolve(*, organization, raw_id) -> ServiceFolder:
    """The organization's folder with this id; DomainError(422) on `folder_id` when the id is malformed,
    unknown or another organization's."""
    return resolve_ref(ServiceFolder.objects.for_org(organization), raw_id, field="folder_id", message=FOLDER_MISSING)


def employees_resolve(*, organization, raw_ids: list) -> list:
    """Team members for these ids with the dashboard_access rule (contract §10.2), duplicates collapsed, in one
    query; DomainError(422) on `employees` naming the first bad id in the order sent."""
    return resolve_team_members(organization, raw_ids, field="employees", message=EMPLOYEE_MISSING)


def set_service_employees(service: Service, members) -> None:
    """Replace the service's assigned team members with exactly these."""
    ServiceEmployee.objects.filter(service=service).delete()
    ServiceEmployee.objects.bulk_create([ServiceEmployee(service=service, user=user) for user in members])


@transaction.atomic
def service_create(*, organization, data: dict) -> Service:
    """Create a service from a validated body (services.md POST): `folder_id` ("" already dropped) must be a
    folder of the organization, then every `employees` id a team member of it (422 otherwise, in that order).
    `sort_order` starts at 0 and `image` is null."""
    folder = folder_resolve(organization=organization, raw_id=data["folder_id"]) if "folder_id" in data else None
    members = employees_resolve(organization=organization, raw_ids=data["employees"]) if data.get("employees") else []
    service = Service.all_objects.create(
        organization=organization,
        folder=folder,
        sort_order=0,
        image=None,
        **{field: data[field] for field in SERVICE_FIELDS if field in data and field != "sort_order"},
    )
    if members:
        set_service_employees(service, members)
    record_event("service.created", service)
    return service


@transaction.atomic
def service_update(*, service: Service, changes: dict) -> Service:
    """Apply a partial update (services.md PUT): only the keys present change. `folder_id: ""` clears the
    folder, another value must be a folder of the organization (422); `employees`, when present (even empty),
    is validated (422 on the first bad id) and replaces the assignments."""
    service = Service.objects.for_org(service.organization).select_for_update().get(pk=service.pk)
    organization = service.organization
    before = snapshot(service)
    if "folder_id" in changes:
        raw = changes["folder_id"]
        service.folder = None if raw == "" else folder_resolve(organization=organization, raw_id=raw)
    members = None
    if "employees" in changes:
        members = employees_resolve(organization=organization, raw_ids=changes["employees"])
    for field in SERVICE_FIELDS:
        if field in changes:
            setattr(service, field, changes[field])
    service.save()
    if members is not None:
        set_service_employees(service, members)
    record_event("service.updated", service, previous=before)
    return service


@transaction.atomic
def service_delete(*, service: Service) -> None:
    """Soft-delete (contract §9): `deleted_at` = now. Orders, proposal items and invoice items keep their
    reference; the service disappears from every endpoint."""
    service = Service.objects.for_org(service.organization).select_for_update().get(pk=service.pk)
    record_event("service.deleted", service)  # before the delete: the service as it was
    service.soft_delete()
