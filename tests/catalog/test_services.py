"""Catalog workflows called directly (the API and the admin share them)."""
import pytest

from catalog import services
from catalog.models import Service, ServiceEmployee
from serviceengine.core.errors import DomainError
from tests import factories
from tests.catalog.factories import make_folder


def test_service_create_resolves_folder_and_employees(org, owner):
    folder = make_folder(org)
    service = services.service_create(organization=org, data={
        "name": "S", "recurring": 0, "currency": "USD", "folder_id": str(folder.id), "employees": [str(owner.id)],
        "sort_order": 7,
    })
    assert service.folder == folder and service.sort_order == 0 and service.image is None
    assert list(ServiceEmployee.unscoped.filter(service=service).values_list("user_id", flat=True)) == [owner.id]


def test_service_create_refuses_another_organizations_folder(org, other_org):
    with pytest.raises(DomainError) as exc:
        services.service_create(organization=org, data={
            "name": "S", "recurring": 0, "currency": "USD", "folder_id": str(make_folder(other_org).id),
        })
    assert (exc.value.status, exc.value.errors) == (422, {"folder_id": ["The specified folder does not exist."]})


def test_service_update_clears_folder_and_replaces_employees(org, owner):
    service = factories.make_service(org, folder=make_folder(org))
    ServiceEmployee.unscoped.create(service=service, user=owner)
    service = services.service_update(service=service, changes={"folder_id": "", "employees": []})
    assert service.folder_id is None and not ServiceEmployee.unscoped.filter(service=service).exists()


def test_service_delete_is_soft(org):
    service = factories.make_service(org)
    services.service_delete(service=service)
    assert not Service.objects.for_org(org).filter(pk=service.pk).exists()
    assert Service.with_deleted.for_org(org).get(pk=service.pk).deleted_at is not None


def test_deleted_service_cannot_be_updated_or_deleted_again(org):
    service = factories.make_service(org)
    services.service_delete(service=service)
    with pytest.raises(Service.DoesNotExist):
        services.service_update(service=service, changes={"name": "x"})
    with pytest.raises(Service.DoesNotExist):
        services.service_delete(service=service)
