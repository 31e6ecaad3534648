"""The service catalog (contract services.md): services, their folders and assigned team members."""
from django.db import models

from serviceengine.core.tenancy import OrgOwned, SoftDeleteMixin, TenantModel, live_index


class RecurringType(models.IntegerChoices):
    ONE_TIME = 0, "One-time"
    RECURRING = 1, "Recurring"
    TRIAL = 2, "Trial/setup"


class ServiceFolder(TenantModel):
    """A folder grouping services; managed in the admin, referenced by `folder_id`."""

    name = models.CharField(max_length=255)
    sort_order = models.IntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["sort_order", "name", "id"]

    def __str__(self):
        return self.name


class Service(SoftDeleteMixin, TenantModel):
    """A service the organization sells. Soft-deleted services vanish from the API but stay referenced."""

    PERIOD_TYPES = [("D", "Days"), ("W", "Weeks"), ("M", "Months"), ("Y", "Years")]

    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    image = models.CharField(max_length=255, null=True, blank=True)
    recurring = models.SmallIntegerField(choices=RecurringType.choices, default=RecurringType.ONE_TIME)
    price = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=10, default="USD")
    f_price = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    f_period_l = models.IntegerField(null=True, blank=True)
    f_period_t = models.CharField(max_length=1, choices=PERIOD_TYPES, null=True, blank=True)
    r_price = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    r_period_l = models.IntegerField(null=True, blank=True)
    r_period_t = models.CharField(max_length=1, choices=PERIOD_TYPES, null=True, blank=True)
    recurring_action = models.IntegerField(null=True, blank=True)
    multi_order = models.BooleanField(default=True)
    request_orders = models.BooleanField(default=False)
    max_active_requests = models.IntegerField(null=True, blank=True)
    deadline = models.IntegerField(null=True, blank=True)
    public = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)
    group_quantities = models.BooleanField(default=False)
    folder = models.ForeignKey(ServiceFolder, null=True, blank=True, on_delete=models.SET_NULL, related_name="services")
    metadata = models.JSONField(default=dict, blank=True)
    braintree_plan_id = models.CharField(max_length=255, null=True, blank=True)
    hoth_product_key = models.CharField(max_length=255, null=True, blank=True)
    hoth_package_name = models.CharField(max_length=255, null=True, blank=True)
    provider_id = models.IntegerField(null=True, blank=True)
    provider_service_id = models.IntegerField(null=True, blank=True)
    employees = models.ManyToManyField(
        "serviceengine.User", through="ServiceEmployee", related_name="assigned_services", blank=True
    )

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        # The list (contract §8.1): default order, filters and sorts, over live rows only (see `live_index`).
        indexes = [
            live_index("organization", "-created_at", "id", name="service_org_created"),
            live_index("organization", "id", name="service_org_id"),
            live_index("organization", "-name", "id", name="service_org_name"),
            live_index("organization", "-price", "id", name="service_org_price"),
            live_index("organization", "recurring", "-created_at", "id", name="service_org_recurring"),
            live_index("organization", "public", "-created_at", "id", name="service_org_public"),
            live_index("organization", "-sort_order", "id", name="service_org_sort_order"),
            live_index("organization", "currency", "-created_at", "id", name="service_org_currency"),
            live_index("organization", "folder", "-created_at", "id", name="service_org_folder"),
        ]

    def __str__(self):
        return self.name


class ServiceEmployee(OrgOwned):
    """A team member assigned to a service (junction: the service's organization)."""

    org_from = "service"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="employee_links")
    user = models.ForeignKey("serviceengine.User", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgOwned.Meta):
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "service", "user"], name="service_employee_unique_per_org")
        ]
