"""The tenant-scoped admin base, and the admin of the core models.

A staff account (a Django user with `is_staff` and a `StaffProfile`) sees and changes only its organization's
rows: changelists, forms, foreign-key choices, autocomplete and raw-id popups are all narrowed through
`TenantAdmin.get_queryset`/`formfield_for_*`, and new rows are stamped with the organization. Superusers see
every organization and can filter by it. Every later model admin inherits `TenantAdmin` (or `TenantInline`).

Tenancy fails closed (serviceengine/core/tenancy.py): a staff account's querysets are narrowed to its
organization; only a superuser's go through the `unscoped` manager, because a superuser administers every
organization.
"""
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.urls import NoReverseMatch, reverse
from django.utils.text import Truncator
from django.utils import timezone

from serviceengine.core.rates import normalize_rate
from serviceengine.core.tenancy import SoftDeleteMixin, is_org_owned
from .models import Address, ApiToken, Organization, Role, StaffProfile, TeamMember, User, hash_token

admin.site.site_header = "Service Engine X"
admin.site.site_title = "Service Engine X admin"
admin.site.index_title = "Administration"


def staff_organization(request):
    """The organization of the signed-in staff account, or None (superusers without a profile, or nobody)."""
    profile = getattr(request.user, "staff_profile", None) if request.user.is_authenticated else None
    return profile.organization if profile else None


def is_tenant_staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and staff_organization(request) is not None


def scoped_choices(model, request):
    """Choices for a foreign key to `model`: the staff account's organization only, live rows only."""
    if not is_org_owned(model):
        return model._default_manager.all()
    live = issubclass(model, SoftDeleteMixin)
    if request.user.is_superuser:
        # unscoped: a superuser administers every organization.
        return model.unscoped.filter(deleted_at__isnull=True) if live else model.unscoped.all()
    manager = model.objects if live else model.all_objects
    org = staff_organization(request)
    return manager.for_org(org) if org else manager.none()


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input whose label for the current value is looked up among the field's (scoped) choices: a
    refused form naming another organization's id shows no label for it (Django's widget reads the default
    manager, which fails closed)."""

    def __init__(self, rel, admin_site, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        try:
            obj = self.queryset.get(**{self.rel.get_related_field().name: value})
        except (ValueError, ValidationError, self.queryset.model.DoesNotExist):
            return "", ""
        try:
            url = reverse(f"{self.admin_site.name}:{obj._meta.app_label}_{obj._meta.model_name}_change", args=(obj.pk,))
        except NoReverseMatch:
            url = ""
        return Truncator(obj).words(14), url


class TenantScopedMixin:
    """Shared by model admins and inlines: scoping of querysets, choices and permissions."""

    def get_queryset(self, request):
        if not is_org_owned(self.model):
            return super().get_queryset(request)
        if request.user.is_superuser:
            # unscoped: a superuser administers every organization (soft-deleted rows included, as in all_objects).
            qs = self.model.unscoped.all()
            ordering = self.get_ordering(request)
            return qs.order_by(*ordering) if ordering else qs
        qs = super().get_queryset(request)  # the default manager (all_objects): soft-deleted rows included
        org = staff_organization(request)
        return qs.for_org(org) if org else qs.none()

    def _allowed(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or is_tenant_staff(request))

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and db_field.name != "organization":
            kwargs["queryset"] = scoped_choices(db_field.related_model, request)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and type(field.widget) is ForeignKeyRawIdWidget:
            field.widget = ScopedRawIdWidget(db_field.remote_field, self.admin_site, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped_choices(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class TenantAdmin(TenantScopedMixin, admin.ModelAdmin):
    """Base of every org-owned model's admin."""

    list_per_page = 100

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("organization")
        return exclude

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not request.user.is_superuser:
            fields = [f for f in fields if f != "organization"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and request.user.is_superuser:
            fields.append("organization")  # rows never move between organizations
        return fields

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            filters.insert(0, "organization")
        return filters

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.is_superuser and "organization" not in display:
            display.append("organization")
        return display

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if request.user.is_superuser and isinstance(related, (list, tuple)):
            return [*related, "organization"]
        return related

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        org = staff_organization(request)
        if obj is None and org is not None and not request.user.is_superuser:
            # Stamp the organization before validation, so model.clean() checks related rows against it.
            base_init = form.__init__

            def __init__(self, *args, **kw):
                base_init(self, *args, **kw)
                self.instance.organization = org

            form = type(form.__name__, (form,), {"__init__": __init__})
        return form

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.organization = staff_organization(request)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        parent = form.instance
        for inline_form in formset.forms:
            instance = inline_form.instance
            if is_org_owned(type(instance)) and not instance.organization_id:
                instance.organization = parent.organization
        super().save_formset(request, form, formset, change)


class TenantInlineFormSet(BaseInlineFormSet):
    """Resolves a submitted row id among the parent's own rows: Django's formset looks ids up through the model's
    default manager, which fails closed (and would read every organization's rows if it did not)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get(self.model._meta.pk.name)
        if isinstance(field, ModelChoiceField):
            field.queryset = self.get_queryset()


class TenantInline(TenantScopedMixin):
    """Mixin for inlines of org-owned children: the organization comes from the parent row."""

    extra = 0
    formset = TenantInlineFormSet

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "organization"]


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class SoftDeleteAdminMixin:
    """For soft-deletable models: a deleted/live filter, a restore action and a soft-delete action.

    An admin whose model has a delete service defines `soft_delete_row(obj)` calling it: the bulk action and the
    delete page then go through it (its `*.deleted` event with the admin actor), one row at a time, a refused row
    reported and the others deleted. Restoring has no service (no event type): it stays a plain update."""

    actions = ["restore_selected", "soft_delete_selected"]
    soft_delete_row = None

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), DeletedFilter]

    @admin.action(description="Restore selected (undo soft delete)")
    def restore_selected(self, request, queryset):
        count = queryset.filter(deleted_at__isnull=False).update(deleted_at=None, updated_at=timezone.now())
        self.message_user(request, f"Restored {count} row(s).", messages.SUCCESS)

    @admin.action(description="Soft-delete selected")
    def soft_delete_selected(self, request, queryset):
        live = queryset.filter(deleted_at__isnull=True)
        if self.soft_delete_row is not None:
            from .admin_workflows import run_per_row

            run_per_row(self, request, live, self.soft_delete_row, label=str, done="Deleted {count} row(s).")
            return
        now = timezone.now()
        count = live.update(deleted_at=now, updated_at=now)
        self.message_user(request, f"Deleted {count} row(s).", messages.SUCCESS)

    def get_deleted_objects(self, objs, request):
        if self.soft_delete_row is None:
            return super().get_deleted_objects(objs, request)
        # A soft delete cascades to nothing: the confirmation lists only the rows themselves.
        return [str(obj) for obj in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        if self.soft_delete_row is None:
            return super().delete_model(request, obj)
        if obj.deleted_at is None:
            self.soft_delete_row(obj)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    readonly_fields = ("id", "created_at", "updated_at")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org = staff_organization(request)
        return qs.filter(pk=org.pk) if org else qs.none()

    def has_module_permission(self, request):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are global: superusers edit them, staff may look."""

    list_display = ("name", "dashboard_access", "order_access", "ticket_access", "invoice_access", "created_at")
    search_fields = ("name",)
    list_filter = ("dashboard_access",)
    readonly_fields = ("id", "created_at", "updated_at")

    def has_module_permission(self, request):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class PersonAdmin(TenantAdmin):
    """Everyone of the organization, clients and team members alike; the target of person autocompletes."""

    list_display = ("email", "name_f", "name_l", "role", "created_at")
    list_select_related = ("role",)
    list_filter = ("role",)
    search_fields = ("email", "name_f", "name_l", "company")
    autocomplete_fields = ("address",)
    readonly_fields = ("aff_id", "aff_link", "created_at", "updated_at")
    ordering = ("email", "id")

    def save_model(self, request, obj, form, change):
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(Address)
class AddressAdmin(TenantAdmin):
    list_display = ("line_1", "city", "country", "postcode", "created_at")
    search_fields = ("line_1", "city", "postcode", "company_name", "name_f", "name_l")
    list_filter = ("country",)


@admin.register(TeamMember)
class TeamMemberAdmin(TenantAdmin):
    """People of the organization whose role has dashboard access: they can be assigned and hold API tokens."""

    list_display = ("email", "name_f", "name_l", "role", "created_at")
    list_select_related = ("role",)
    list_filter = ("role",)
    search_fields = ("email", "name_f", "name_l")
    fields = ("email", "name_f", "name_l", "role", "phone", "note", "organization")
    readonly_fields = ("created_at",)
    ordering = ("name_f", "name_l", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(role__dashboard_access__gt=0)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["queryset"] = Role.objects.filter(dashboard_access__gt=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdmin):
    """Tokens are shown once, when created; afterwards only their hash prefix is visible."""

    list_display = (
        "name", "user", "scope", "rate_limit_display", "hash_prefix", "created_at", "last_used_at", "expires_at",
        "revoked_at",
    )
    list_select_related = ("user",)
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "user__email")
    autocomplete_fields = ("user",)
    fields = ("organization", "user", "name", "scope", "rate_limit", "expires_at", "revoked_at")

    @admin.display(description="rate limit", ordering="rate_limit")
    def rate_limit_display(self, obj):
        return obj.rate_limit or f"default ({settings.API_RATE_LIMIT})"
    actions = ["revoke_selected"]

    @admin.display(description="token hash")
    def hash_prefix(self, obj):
        return f"{obj.token_hash[:12]}…"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = scoped_choices(User, request).filter(role__dashboard_access__gt=0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if obj.rate_limit:
            obj.rate_limit = normalize_rate(obj.rate_limit)  # the form's validator already accepted it
        if not change:
            raw = ApiToken.generate_raw()
            obj.token_hash = hash_token(raw)
            super().save_model(request, obj, form, change)
            self.message_user(
                request,
                f"Token created. Copy it now, it will not be shown again: {raw}",
                messages.WARNING,
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name = "organization (for staff accounts)"


AuthUser = get_user_model()
if admin.site.is_registered(AuthUser):
    admin.site.unregister(AuthUser)


@admin.register(AuthUser)
class StaffAccountAdmin(DjangoUserAdmin):
    """Django login accounts; a staff account belongs to one organization through its profile."""

    inlines = [StaffProfileInline]
    list_display = ("username", "email", "is_staff", "is_superuser", "organization")
    list_select_related = ("staff_profile__organization",)

    @admin.display(description="organization")
    def organization(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.organization.slug if profile else "—"

