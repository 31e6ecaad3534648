"""Service catalog workflows (contract services.md): create, partial update and soft delete of services,
with the folder and employee reference checks in the contract's order."""
from django.db import transaction

from events.services import record_event, snapshot

from serviceengine.core.services import assign, columns_of, resolve_ref, resolve_team_members

from .models import Service, ServiceEmployee, ServiceFolder

FOLDER_MISSING = "The specified folder does not exist."
EMPLOYEE_MISSING = "Employee with ID {id} does not exist."


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
    org_id = service.organization_id
    ServiceEmployee.objects.for_org(org_id).filter(service=service).delete()
    ServiceEmployee.objects.bulk_create(
        [ServiceEmployee(organization_id=org_id, service=service, user=user) for user in members]
    )


@transaction.atomic
def service_create(*, organization, data: dict) -> Service:
    """Create a service from a validated body (services.md POST): `folder_id` ("" already dropped) must be a
    folder of the organization, then every `employees` id a team member of it (422 otherwise, in that order).
    `sort_order` starts at 0 and `image` is null."""
    folder = folder_resolve(organization=organization, raw_id=data["folder_id"]) if "folder_id" in data else None
    members = employees_resolve(organization=organization, raw_ids=data["employees"]) if data.get("employees") else []
    # Every other key the write serializer validated is a column written as sent.
    service = Service.all_objects.create(
        organization=organization,
        folder=folder,
        **columns_of(Service, data, skip=("sort_order", "image")),
        sort_order=0,
        image=None,
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
    assign(service, changes)
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
