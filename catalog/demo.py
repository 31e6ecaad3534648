"""Demo catalog for `python manage.py seed_demo`: one folder and a few one-time and recurring services, one
of them assigned to the owner. Idempotent: folders and services are looked up by name first (soft-deleted
services included, so a service deleted in the demo is not re-created)."""
from decimal import Decimal

from .models import RecurringType, Service, ServiceFolder
from .services import set_service_employees

FOLDER_NAME = "Marketing"
DEMO_SERVICES = (
    {
        "name": "Monthly SEO Package", "description": "Keyword research and on-page fixes",
        "recurring": RecurringType.RECURRING, "price": Decimal("299.00"), "currency": "USD",
        "f_price": Decimal("299.00"), "f_period_l": 1, "f_period_t": "M", "r_price": Decimal("199.00"),
        "r_period_l": 1, "r_period_t": "M", "deadline": 30, "metadata": {"category": "seo"}, "in_folder": True,
        "assign_owner": True,
    },
    {
        "name": "Logo Design", "description": "Three concepts, two revision rounds",
        "recurring": RecurringType.ONE_TIME, "price": Decimal("1500.00"), "currency": "USD", "deadline": 14,
        "metadata": {"category": "design"}, "in_folder": True,
    },
    {
        "name": "Website Audit", "recurring": RecurringType.ONE_TIME, "price": Decimal("49.90"), "currency": "EUR",
        "sort_order": 1,
    },
    {
        "name": "Social Media Trial", "recurring": RecurringType.TRIAL, "price": Decimal("0.00"), "currency": "GBP",
        "f_price": Decimal("0.00"), "f_period_l": 14, "f_period_t": "D", "r_price": Decimal("99.00"),
        "r_period_l": 1, "r_period_t": "M", "public": False,
    },
)


def seed(*, organization, owner) -> None:
    """Add the demo folder and services that are missing from the organization."""
    folder = ServiceFolder.objects.for_org(organization).filter(name=FOLDER_NAME).first()
    if folder is None:
        folder = ServiceFolder.all_objects.create(organization=organization, name=FOLDER_NAME)
    existing = set(Service.with_deleted.for_org(organization).values_list("name", flat=True))
    for spec in DEMO_SERVICES:
        if spec["name"] in existing:
            continue
        fields = {k: v for k, v in spec.items() if k not in ("in_folder", "assign_owner")}
        service = Service.all_objects.create(
            organization=organization, folder=folder if spec.get("in_folder") else None, **fields
        )
        if spec.get("assign_owner") and owner.role.dashboard_access > 0:
            set_service_employees(service, [owner])
