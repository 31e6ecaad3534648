"""Admin of engagements (projects and conversations inline), projects (filterable by phase and status, with an
"advance phase" action) and conversations (messages inline); tenant-scoped through the core admin base.

Workflows go through `engagements.services`, exactly as the API does: the advance action calls `project_advance` and
reports a refusal (Completed, Cancelled, Handoff) with `message_user`; messages added inline are posted through
`conversation_message_create`, so the thread's `last_message_at` follows them.
"""
from django.contrib import admin, messages

from serviceengine.admin import SoftDeleteAdminMixin, TenantAdmin, TenantInline
from serviceengine.core.errors import DomainError

from . import services
from .models import Conversation, ConversationMessage, Engagement, Project


class ProjectInline(TenantInline, admin.TabularInline):
    model = Project
    fields = ("name", "status", "phase", "service", "completed_at", "deleted_at")
    readonly_fields = ("phase", "completed_at", "deleted_at")  # phases move through the advance action
    autocomplete_fields = ("service",)
    ordering = ("created_at", "id")
    show_change_link = True


class ConversationInline(TenantInline, admin.TabularInline):
    model = Conversation
    fields = ("subject", "project", "status", "last_message_at", "deleted_at")
    readonly_fields = ("project", "last_message_at", "deleted_at")
    ordering = ("-created_at", "id")
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # a conversation belongs to a project: start it from the project's conversations


@admin.register(Engagement)
class EngagementAdmin(TenantAdmin):
    list_display = ("__str__", "client", "status", "proposal_id", "closed_at", "created_at")
    list_select_related = ("client",)
    list_filter = ("status",)
    search_fields = ("name", "client__email", "client__name_f", "client__name_l")
    autocomplete_fields = ("client",)
    readonly_fields = ("proposal_id", "closed_at", "created_at", "updated_at")
    inlines = (ProjectInline, ConversationInline)
    ordering = ("-created_at", "id")

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:  # the API's closed_at rule, through the service
            status = form.cleaned_data["status"]
            obj.status = Engagement.all_objects.for_org(obj.organization_id).get(pk=obj.pk).status
            super().save_model(request, obj, form, change)
            services.engagement_update(engagement=obj, status=status)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)


class ConversationMessageInline(TenantInline, admin.TabularInline):
    model = ConversationMessage
    fields = ("sender", "content", "is_internal", "attachments", "created_at", "deleted_at")
    readonly_fields = ("created_at", "deleted_at")
    autocomplete_fields = ("sender",)
    ordering = ("created_at", "id")


@admin.register(Project)
class ProjectAdmin(SoftDeleteAdminMixin, TenantAdmin):
    list_display = ("name", "engagement", "status", "phase", "service", "completed_at", "created_at", "deleted_at")
    list_select_related = ("engagement", "service")
    list_filter = ("phase", "status")
    search_fields = ("name", "engagement__name")
    autocomplete_fields = ("engagement", "service")
    readonly_fields = ("phase", "completed_at", "created_at", "updated_at", "deleted_at")
    actions = ("advance_phase", *SoftDeleteAdminMixin.actions)
    ordering = ("-created_at", "id")

    @admin.action(description="Advance phase of selected projects")
    def advance_phase(self, request, queryset):
        moved = 0
        for project in queryset.filter(deleted_at__isnull=True):
            try:
                services.project_advance(project=project)
            except DomainError as exc:
                self.message_user(request, f"{project.name}: {exc.detail or exc.message}", messages.ERROR)
            else:
                moved += 1
        if moved:
            self.message_user(request, f"Advanced {moved} project(s).", messages.SUCCESS)


@admin.register(Conversation)
class ConversationAdmin(SoftDeleteAdminMixin, TenantAdmin):
    list_display = ("__str__", "project", "engagement", "status", "last_message_at", "created_at", "deleted_at")
    list_select_related = ("project", "engagement")
    list_filter = ("status",)
    search_fields = ("subject", "project__name")
    autocomplete_fields = ("project",)
    readonly_fields = ("engagement", "last_message_at", "created_at", "updated_at", "deleted_at")
    inlines = (ConversationMessageInline,)
    ordering = ("-created_at", "id")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.engagement_id = obj.project.engagement_id  # the project's engagement, as the API sets it
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ConversationMessage:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for message in formset.deleted_objects:
            message.soft_delete()
        for message in instances:
            if message._state.adding:  # new: through the service, which stamps last_message_at
                services.conversation_message_create(
                    conversation=form.instance,
                    sender=message.sender,
                    content=message.content,
                    is_internal=message.is_internal,
                    attachments=message.attachments,
                )
            else:
                message.save()
        formset.save_m2m()
