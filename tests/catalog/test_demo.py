"""`catalog.demo.seed`: one folder and one-time and recurring services, created once."""
from catalog import demo
from catalog.models import Service, ServiceEmployee, ServiceFolder


def test_seed_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    services = Service.objects.for_org(org)
    assert services.count() == len(demo.DEMO_SERVICES)
    assert set(services.values_list("recurring", flat=True)) >= {0, 1}
    assert ServiceFolder.objects.for_org(org).count() == 1 and services.filter(folder__isnull=False).exists()
    assert ServiceEmployee.unscoped.filter(service__organization=org, user=owner).count() == 1
    demo.seed(organization=org, owner=owner)
    assert services.count() == len(demo.DEMO_SERVICES)
    assert ServiceFolder.objects.for_org(org).count() == 1
    assert ServiceEmployee.unscoped.filter(service__organization=org).count() == 1


def test_a_deleted_demo_service_is_not_recreated(org, owner):
    demo.seed(organization=org, owner=owner)
    Service.objects.for_org(org).filter(name="Logo Design").soft_delete()
    demo.seed(organization=org, owner=owner)
    assert Service.with_deleted.for_org(org).filter(name="Logo Design").count() == 1
