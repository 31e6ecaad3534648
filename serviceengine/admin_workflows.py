"""The admin writes through the services (issue 12): the pieces every app's admin shares.

- `ServiceFormAdminMixin`: a model admin whose `save_model`/`save_formset` call services. Django runs the whole
  add/change view in one transaction, so a `DomainError` raised by a service rolls every write of the submission
  back (the row, its inlines, their events); the form is then shown again with the service's message on the field
  it names (or above the form), never a 500.
- `run_per_row`: a changelist action calling one service per selected row. Each row is its own service call (its
  own transaction): a refused row is reported with `message_user` and the others go on.
- `adopt`: the admin's form instance becomes the row a create service made.
- `admin_team_member`: the team member a staff account acts as, where a service needs a person (completing a task).
- `TeamAndTagsForm` / `show_team_and_tags`: the employees and tags fields of the order and ticket forms, which their
  services set together with the row.

The actor of the events these services record is the signed-in staff account (`jobs.actors.ActorMiddleware`).
"""
import logging

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import FilteredSelectMultiple

from serviceengine.core.errors import DomainError
from serviceengine.models import User

logger = logging.getLogger(__name__)

UNEXPECTED = "could not be changed (unexpected error, logged)."


def tag_names(text: str) -> list[str]:
    """`"vip, rush"` → `["vip", "rush"]` (blank names dropped; case-insensitive duplicates are the service's)."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class TeamAndTagsForm(forms.ModelForm):
    """A row's columns plus its employees and tags (orders, tickets), which the services set with the row.
    Subclasses give the Meta; the admin's `get_form` calls `show_team_and_tags`."""

    assigned_employees = forms.ModelMultipleChoiceField(
        queryset=User.all_objects.none(), required=False, label="Employees",
        widget=FilteredSelectMultiple("employees", is_stacked=False),
    )
    tag_names = forms.CharField(
        required=False, label="Tags", max_length=2000, help_text="Comma-separated; new names create tags.",
    )

    def clean_tag_names(self):
        names = tag_names(self.cleaned_data["tag_names"])
        if any(len(name) > 255 for name in names):
            raise forms.ValidationError("A tag name has at most 255 characters.")
        return names


def show_team_and_tags(form, members, obj, employee_model, tag_model, parent: str) -> None:
    """Offer `members` as the employees and, for an existing row, show its current team and tags in assignment
    order (`employee_model`/`tag_model`: the junctions whose `parent` field is the row)."""
    form.fields["assigned_employees"].queryset = members
    if obj is not None:
        org_id = obj.organization_id
        links = employee_model.objects.for_org(org_id).filter(**{parent: obj}).order_by("id")
        form.initial["assigned_employees"] = [link.user_id for link in links]
        tags = tag_model.objects.for_org(org_id).filter(**{parent: obj}).select_related("tag").order_by("id")
        form.initial["tag_names"] = ", ".join(link.tag.name for link in tags)


def error_text(exc: DomainError) -> str:
    """The human sentence of a DomainError: its detail, or its field message."""
    return exc.detail or exc.message or str(exc)


class ServiceFormAdminMixin:
    """Add/change forms saved by services: a DomainError becomes a form error after a full rollback.

    `service_error_fields` maps a service's error field (`user_id`, `service_id`, ...) to the form field that
    shows it; an unmapped field that is also a form field is used as is, anything else goes above the form."""

    service_error_fields: dict = {}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            if request.method != "POST" or getattr(request, "_service_error", None) is not None:
                raise
            # The first pass's transaction is rolled back by now: run the view again, with the form refusing.
            request._service_error = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        exc = getattr(request, "_service_error", None)
        if exc is None:
            return form
        mapping = self.service_error_fields

        def clean(self_form):
            cleaned = form.clean(self_form)
            field = mapping.get(exc.field, exc.field) if exc.field else None
            if field not in self_form.fields:
                field = None
            prefix = "" if field or not exc.field else f"{exc.field}: "
            self_form.add_error(field, prefix + error_text(exc))
            return cleaned

        return type(form.__name__, (form,), {"clean": clean})


def run_per_row(model_admin, request, queryset, workflow, *, label, done: str, unchanged: str | None = None):
    """Call `workflow(obj)` for each selected row, each in its own service transaction.

    `workflow` returns False when the row needed nothing (reported with `unchanged`, e.g. "already complete"), and
    anything else when it changed. A DomainError is reported for its row and the others go on; an unexpected
    error is logged with its traceback and reported as such, so one bad row never turns the page into a 500."""
    count = 0
    for obj in queryset:
        try:
            changed = workflow(obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{label(obj)}: {error_text(exc)}", messages.ERROR)
        except Exception:  # noqa: BLE001 - reported per row; the traceback goes to the log
            logger.exception("admin action on %s %s failed", obj._meta.label, obj.pk)
            model_admin.message_user(request, f"{label(obj)}: {UNEXPECTED}", messages.ERROR)
        else:
            if changed is False:
                if unchanged:
                    model_admin.message_user(request, f"{label(obj)}: {unchanged}", messages.WARNING)
            else:
                count += 1
    if count:
        model_admin.message_user(request, done.format(count=count), messages.SUCCESS)
    return count


def adopt(obj, row) -> None:
    """Make the admin's unsaved form instance the row a create service made: Django goes on with `obj` (the
    inlines' parent, the log entry, the redirect), so it must be that row."""
    for field in row._meta.concrete_fields:
        setattr(obj, field.attname, getattr(row, field.attname))
    obj._state.adding, obj._state.db = False, row._state.db


def admin_team_member(request, organization_id):
    """The team member (dashboard access) of the organization whose e-mail is the staff account's, or None."""
    email = (getattr(request.user, "email", "") or "").strip().lower()
    if not email:
        return None
    return (
        User.objects.for_org(organization_id).filter(email=email, role__dashboard_access__gt=0).order_by("id").first()
    )


def action_input(model_admin, request, queryset, form_class, *, title: str, explanation: str, submit_label: str):
    """An action that needs input (a payment method, a confirmation): `(form, None)` once the intermediate page
    was submitted valid, else `(None, response)` with the page to show (again, with its errors)."""
    from django.contrib.admin import helpers
    from django.template.response import TemplateResponse

    if request.POST.get("apply") == "yes":
        form = form_class(request.POST)
        if form.is_valid():
            return form, None
    else:
        form = form_class()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "explanation": explanation,
        "submit_label": submit_label,
        "form": form,
        "objects": list(queryset),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return None, TemplateResponse(request, "admin/workflow_confirm.html", context)
