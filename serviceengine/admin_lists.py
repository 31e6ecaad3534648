"""Changelist tools shared by every model admin (issue 18): the client and assignee filters, and CSV export.

`export_csv` is a site-wide admin action (`admin.site.add_action`, see reports/admin.py): tick "select all" on a
filtered changelist and it downloads exactly that list, the changelist's columns as CSV, streamed in chunks with
the admin's own `list_select_related` (no query per row). The filters list only the staff user's organization's
people (`scoped_choices`), so no other organization's names appear in a sidebar.
"""
import csv

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db.models import Model
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst, slugify

from serviceengine.core.services import parse_uuid
from serviceengine.models import User

from .admin import scoped_choices

FILTER_CHOICES_MAX = 100  # a sidebar is not a search box: beyond this, use the search or a dashboard link
# A spreadsheet runs a cell starting with one of these as a formula: such cells get a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _PersonFilter(admin.SimpleListFilter):
    """Rows related to one person of the organization, chosen by id (`?<parameter_name>=<uuid>`)."""

    path = ""  # the ORM path from the row to the person
    team = False  # team members (assignees) or clients

    def lookups(self, request, model_admin):
        people = scoped_choices(User, request)
        people = people.filter(role__dashboard_access__gt=0) if self.team else people.filter(role__dashboard_access=0)
        selected = parse_uuid(self.value())
        rows = list(people.order_by("name_f", "name_l", "email", "id").only("id", "name_f", "name_l", "email")
                    [:FILTER_CHOICES_MAX])
        if selected and all(person.id != selected for person in rows):
            rows += list(people.filter(id=selected).only("id", "name_f", "name_l", "email"))
        return [(str(person.id), f"{person.name_f} {person.name_l}".strip() or person.email) for person in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        person = parse_uuid(value)
        if person is None:
            return queryset.none()
        return queryset.filter(**{self.path: person}).distinct()


def client_filter(path: str = "user"):
    """A changelist filter on the row's client (`?client=<uuid>`)."""
    return type("ClientFilter", (_PersonFilter,), {"title": "client", "parameter_name": "client", "path": path})


def assignee_filter(path: str = "employees"):
    """A changelist filter on an assigned team member (`?assignee=<uuid>`)."""
    return type(
        "AssigneeFilter", (_PersonFilter,), {"title": "assignee", "parameter_name": "assignee", "path": path, "team": True}
    )


def date_filter(field: str):
    return (field, admin.DateFieldListFilter)


class _Echo:
    def write(self, value):
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Model):
        value = str(value)
    text = strip_tags(str(value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@admin.action(description="Export selected to CSV")
def export_csv(modeladmin, request, queryset):
    """The selected rows (all of a filtered list with "select all") as CSV: the changelist's columns, in its order."""
    columns = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    related = modeladmin.get_list_select_related(request)
    if related is True:
        queryset = queryset.select_related()
    elif related:
        queryset = queryset.select_related(*related)
    ordering = modeladmin.get_ordering(request) or modeladmin.model._meta.ordering or ("pk",)
    queryset = queryset.order_by(*ordering)

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(
            [capfirst(strip_tags(str(label_for_field(name, modeladmin.model, modeladmin)))) for name in columns]
        )
        for obj in queryset.iterator(chunk_size=500):
            values = []
            for name in columns:
                field, _attr, value = lookup_field(name, obj, modeladmin)
                if field is not None and getattr(field, "flatchoices", None):
                    value = dict(field.flatchoices).get(value, value)
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                values.append(csv_cell(value))
            yield writer.writerow(values)

    filename = f"{slugify(modeladmin.model._meta.verbose_name_plural)}-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
