"""The admin home shows the staff user's organization's dashboard (reports/dashboard.py) above the app list, and
every changelist gets the CSV export action (serviceengine/admin_lists.py).

Superusers without an organization (no StaffProfile) see the plain index: a dashboard mixes no organizations.
"""
from django.contrib import admin

from serviceengine.admin import staff_organization
from serviceengine.admin_lists import export_csv

from . import dashboard

admin.site.add_action(export_csv, "export_csv")
admin.site.index_template = "reports/admin_index.html"

_plain_index = admin.site.index


def index_with_dashboard(request, extra_context=None):
    organization = staff_organization(request)
    context = dict(extra_context or {})
    if organization is not None:
        context["dashboard"] = dashboard.build(organization)
    return _plain_index(request, extra_context=context)


# The site's URLs are built after every admin module ran (admin.site.urls in serviceengine/urls.py), so they
# route the index here.
admin.site.index = index_with_dashboard
