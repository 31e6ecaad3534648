"""Core models: organizations (the tenant), global roles, people (clients and team members), addresses,
API tokens and the link between Django admin accounts and their organization.
"""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from serviceengine.core.tenancy import BaseModel, OrgQuerySet, TenantModel
from serviceengine.core.errors import DomainError
from serviceengine.core.rates import normalize_rate, validate_rate
from serviceengine.core.reads import reads

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TOKEN_PREFIX = "sx_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


class Organization(BaseModel):
    """The tenant: every business row belongs to exactly one organization (contract §4, §10.1)."""

    name = models.CharField(max_length=255)
    slug = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(SLUG_PATTERN, "Lowercase words joined by single hyphens, e.g. acme-studio.")],
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.slug})"


class RoleQuerySet(models.QuerySet):
    def client_role(self) -> "Role":
        """The client role (contract §10.3): `dashboard_access = 0`, preferring the one named Client, else the
        oldest. Raises DomainError 500 when none exists."""
        role = (
            self.filter(dashboard_access=0)
            .order_by(models.Case(models.When(name="Client", then=0), default=1), "created_at", "id")
            .first()
        )
        if role is None:
            raise DomainError(500, detail="Client role not configured")
        return role


class Role(BaseModel):
    """A global role (not owned by an organization). Permission levels are stored and returned, not enforced."""

    LEVELS = [(0, "None"), (1, "Own"), (2, "Group"), (3, "All")]
    LEVEL_FIELDS = (
        "dashboard_access", "order_access", "order_management", "ticket_access", "ticket_management",
        "invoice_access", "invoice_management", "clients", "services", "coupons", "forms", "messaging",
        "affiliates",
    )
    FLAG_FIELDS = (
        "settings_company", "settings_payments", "settings_team", "settings_modules", "settings_integrations",
        "settings_orders", "settings_tickets", "settings_accounts", "settings_messages", "settings_tags",
        "settings_sidebar", "settings_dashboard", "settings_templates", "settings_emails", "settings_language",
        "settings_logs",
    )

    name = models.CharField(max_length=255)
    dashboard_access = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    order_access = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    order_management = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    ticket_access = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    ticket_management = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    invoice_access = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    invoice_management = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    clients = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    services = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    coupons = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    forms = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    messaging = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    affiliates = models.PositiveSmallIntegerField(choices=LEVELS, default=0)
    settings_company = models.BooleanField(default=False)
    settings_payments = models.BooleanField(default=False)
    settings_team = models.BooleanField(default=False)
    settings_modules = models.BooleanField(default=False)
    settings_integrations = models.BooleanField(default=False)
    settings_orders = models.BooleanField(default=False)
    settings_tickets = models.BooleanField(default=False)
    settings_accounts = models.BooleanField(default=False)
    settings_messages = models.BooleanField(default=False)
    settings_tags = models.BooleanField(default=False)
    settings_sidebar = models.BooleanField(default=False)
    settings_dashboard = models.BooleanField(default=False)
    settings_templates = models.BooleanField(default=False)
    settings_emails = models.BooleanField(default=False)
    settings_language = models.BooleanField(default=False)
    settings_logs = models.BooleanField(default=False)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name

    @property
    def is_staff_role(self) -> bool:
        return self.dashboard_access > 0


class Address(TenantModel):
    """A postal address; a client has at most one (contract §10.4). Every column is nullable."""

    line_1 = models.CharField(max_length=255, null=True, blank=True)
    line_2 = models.CharField(max_length=255, null=True, blank=True)
    city = models.CharField(max_length=255, null=True, blank=True)
    state = models.CharField(max_length=255, null=True, blank=True)
    country = models.CharField(max_length=10, null=True, blank=True)
    postcode = models.CharField(max_length=50, null=True, blank=True)
    name_f = models.CharField(max_length=255, null=True, blank=True)
    name_l = models.CharField(max_length=255, null=True, blank=True)
    tax_id = models.CharField(max_length=100, null=True, blank=True)
    company_name = models.CharField(max_length=255, null=True, blank=True)
    company_vat = models.CharField(max_length=100, null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return ", ".join(p for p in (self.line_1, self.city, self.country) if p) or str(self.id)


class UserQuerySet(OrgQuerySet):
    def clients(self):
        return self.filter(role__dashboard_access=0)

    def team_members(self):
        return self.filter(role__dashboard_access__gt=0)


class User(TenantModel):
    """A person of an organization: a client (client role) or a team member (`dashboard_access > 0`).

    This is the contract's `users` table (§10.2), not a Django login account: admin logins are
    `django.contrib.auth` users linked to an organization by `StaffProfile`.
    """

    email = models.CharField(max_length=255)
    name_f = models.CharField(max_length=255, default="", blank=True)
    name_l = models.CharField(max_length=255, default="", blank=True)
    company = models.CharField(max_length=255, null=True, blank=True)
    phone = models.CharField(max_length=50, null=True, blank=True)
    tax_id = models.CharField(max_length=100, null=True, blank=True)
    note = models.TextField(null=True, blank=True)
    # No index of its own: a global role has a handful of values, so `role_id` alone only ever finds "every
    # client of every organization". Tenants' queries use (organization, role) instead (Meta.indexes).
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="users", db_index=False)
    status = models.IntegerField(default=1)
    balance = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    spent = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    optin = models.CharField(max_length=50, null=True, blank=True)
    stripe_id = models.CharField(max_length=255, null=True, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    aff_id = models.IntegerField(null=True, blank=True)
    aff_link = models.CharField(max_length=255, null=True, blank=True)
    ga_cid = models.CharField(max_length=255, null=True, blank=True)
    address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = UserQuerySet.as_manager()  # always followed by .for_org()

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="user_email_unique_per_org"),
        ]
        # The clients list (contract §8.1): its default order and every filter and sort lead with the organization
        # (email: the unique constraint; id filters: the primary key). `role` makes the list's COUNT, which joins
        # the role, an index-only scan.
        indexes = [
            models.Index(fields=["organization", "-created_at", "id"], name="user_org_created"),
            models.Index(fields=["organization", "role"], name="user_org_role"),
            models.Index(fields=["organization", "id"], name="user_org_id"),
            models.Index(fields=["organization", "-name_f", "id"], name="user_org_name_f"),
            models.Index(fields=["organization", "-name_l", "id"], name="user_org_name_l"),
            models.Index(fields=["organization", "status", "-created_at", "id"], name="user_org_status"),
            models.Index(fields=["organization", "-balance", "id"], name="user_org_balance"),
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    @property
    @reads("name_f", "name_l")
    def full_name(self) -> str:
        return f"{self.name_f or ''} {self.name_l or ''}".strip()

    @property
    def is_authenticated(self) -> bool:
        """DRF's permission checks read this on `request.user` (the token's team member)."""
        return True

    @property
    def is_team_member(self) -> bool:
        return self.role.dashboard_access > 0

    @staticmethod
    def new_affiliate() -> tuple[int, str]:
        """A fresh `(aff_id, aff_link)` pair (contract §10.10)."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        code = "".join(secrets.choice(alphabet) for _ in range(6))
        return 100000 + secrets.randbelow(900000), f"https://example.com/r/{code}"


class TeamMember(User):
    """Admin view of the people whose role has dashboard access."""

    class Meta:
        proxy = True
        default_manager_name = "all_objects"
        verbose_name = "team member"


def hash_token(raw: str) -> str:
    """SHA-256 hex digest of a raw token: the only form in which tokens are stored (contract §3)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(OrgQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


class ApiToken(TenantModel):
    """A bearer token for the API, issued for a team member. Only its SHA-256 hash is stored.

    `scope` read allows GET and HEAD only (issue 14); `rate_limit` (`N/second|minute|hour`) overrides the
    server's `API_RATE_LIMIT` for this token, empty means the default."""

    SCOPE_READ = "read"
    SCOPE_WRITE = "write"
    SCOPES = [(SCOPE_READ, "read (GET and HEAD only)"), (SCOPE_WRITE, "write (every method)")]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=255, default="API token")
    scope = models.CharField(max_length=5, choices=SCOPES, default=SCOPE_WRITE)
    rate_limit = models.CharField(
        max_length=20, blank=True, default="", validators=[validate_rate],
        help_text="N/second, N/minute or N/hour; empty = the server's API_RATE_LIMIT.",
    )
    # Unique per organization (the constraint leads with it, so the table can be distributed by organization);
    # `issue` keeps hashes unique across organizations, and `token_hash_lookup` serves the token lookup.
    token_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()  # always followed by .for_org()

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        verbose_name = "API token"
        constraints = [
            models.UniqueConstraint(fields=["organization", "token_hash"], name="api_token_hash_unique_per_org")
        ]
        indexes = [models.Index(fields=["token_hash"], name="token_hash_lookup")]

    def __str__(self):
        return f"{self.name} ({self.token_hash[:8]}…)"

    @staticmethod
    def generate_raw() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @classmethod
    def issue(
        cls, *, organization, user, name="API token", expires_at=None, raw=None, scope=SCOPE_WRITE, rate_limit=""
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its raw value, which is never stored and cannot be recovered."""
        raw = raw or cls.generate_raw()
        # unscoped: a token hash must be unique across organizations (the lookup learns the organization from it).
        if raw and cls.unscoped.filter(token_hash=hash_token(raw)).exists():
            raise DomainError(400, detail="This token value is already in use")
        token = cls.all_objects.create(
            organization=organization, user=user, name=name, expires_at=expires_at, token_hash=hash_token(raw),
            scope=scope, rate_limit=normalize_rate(rate_limit) if rate_limit else "",
        )
        return token, raw

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at < (now or timezone.now())

    @property
    def is_read_only(self) -> bool:
        return self.scope == self.SCOPE_READ

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def touch(self, now=None):
        """Record use, writing at most once per `TOKEN_TOUCH_INTERVAL` (contract §3, defect 46)."""
        now = now or timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= TOKEN_TOUCH_INTERVAL:
            ApiToken.all_objects.filter(organization_id=self.organization_id, pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at", "updated_at"])


class StaffProfile(models.Model):
    """Links a Django admin account to the one organization whose rows it may see and change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff_profiles")

    def __str__(self):
        return f"{self.user} @ {self.organization.slug}"


class LiveCount(models.Model):
    """Exact count of the live rows (`deleted_at IS NULL`) of one organization in one table: the SUM of `n` over
    the (organization, table) rows. Written only by database triggers (serviceengine/perf/counts.py), read by
    `counts.live_total`, so an unfiltered list learns its total without a COUNT over the tenant's rows.

    `organization_id` is a plain UUID, not a foreign key: deleting rows of an organization inserts negative
    deltas here, after Django's collector has already gathered what it cascades to."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.UUIDField()
    table = models.CharField(max_length=63)  # the counted model's db_table
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organization_id", "table"], name="livecount_org_table")]

    def __str__(self):
        return f"{self.table} @ {self.organization_id}: {self.n:+d}"


class UsageCount(models.Model):
    """How many live parents one key row is linked to through one junction (a tag's live orders through
    `orders_ordertag`): the SUM of `n` over the (organization, table, key) rows. Written only by database triggers
    (serviceengine/perf/counts.py `USAGE`), read by `counts.usage_subquery`. Like LiveCount, plain UUIDs: the
    triggers write the deltas of deletions after Django's collector has gathered its cascade."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.UUIDField()
    table = models.CharField(max_length=63)  # the junction's db_table
    key = models.UUIDField()  # the counted row (a tag)
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organization_id", "table", "key"], name="usagecount_org_table_key")]

    def __str__(self):
        return f"{self.table} {self.key} @ {self.organization_id}: {self.n:+d}"
