"""The admin keeps a staff account of organization B away from organization A's rows (STYLE §9).

Every registered admin of an org-owned model is found in `admin.site._registry` (global models such as roles
and organizations, and Django's own login accounts, are skipped), so an admin registered later is checked
too: its changelist, change/delete/history pages, actions, form choices and autocomplete endpoints.
"""
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.urls import reverse

from serviceengine.admin import DeletedFilter
from serviceengine.core.tenancy import TenantModel
from tests.helpers import staff_browser

from .conftest import assert_same_snapshot, project_models, snapshot

TENANT_ADMINS = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if issubclass(model, TenantModel)),
    key=lambda pair: pair[0]._meta.label,
)
ADMIN_IDS = [model._meta.label for model, _ in TENANT_ADMINS]


def autocomplete_fields():
    """(source model, field name) for every autocomplete field of every admin and of every admin's inlines."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        for field in model_admin.autocomplete_fields:
            found.add((model, field))
        for inline in model_admin.inlines:
            for field in inline.autocomplete_fields:
                found.add((inline.model, field))
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1]))


AUTOCOMPLETE = autocomplete_fields()


def org_pks(org) -> set[str]:
    """The ids of every row of every org-owned model that belongs to `org`."""
    pks = set()
    for model in project_models():
        if issubclass(model, TenantModel):
            pks.update(str(pk) for pk in model._base_manager.filter(organization=org).values_list("pk", flat=True))
    return pks


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_b(tenant_a, tenant_b):
    return staff_browser(tenant_b.org, "staff-of-b")


@pytest.fixture
def request_b(staff_b):
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="staff-of-b")
    return request


def test_every_org_owned_model_admin_is_checked():
    assert {"orders.Order", "billing.Invoice", "support.Ticket", "clients.Client", "serviceengine.ApiToken"} <= set(
        ADMIN_IDS
    )
    assert len(AUTOCOMPLETE) >= 10


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=ADMIN_IDS)
def test_changelist_shows_no_other_tenant_rows(staff_b, request_b, tenant_a, model, model_admin):
    a_pks = org_pks(tenant_a.org)
    own = {str(pk) for pk in model_admin.get_queryset(request_b).values_list("pk", flat=True)}
    queries = [{}, {"q": "alpha"}, {"all": ""}]
    if DeletedFilter in model_admin.get_list_filter(request_b):
        queries.append({"deleted": "yes"})  # soft-deleted rows are listed to staff: still only their own
    for query in queries:
        response = staff_b.get(url(model, "changelist"), query)
        assert response.status_code == 200, query
        page = response.content.decode()
        assert not [pk for pk in a_pks if pk in page], query
    page = staff_b.get(url(model, "changelist")).content.decode()
    assert own and any(pk in page for pk in own)  # B's own rows are listed: the page does show rows


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=ADMIN_IDS)
def test_other_tenant_rows_cannot_be_opened_changed_or_deleted(staff_b, tenant_a, model, model_admin):
    rows = [str(pk) for pk in model._base_manager.filter(organization=tenant_a.org).values_list("pk", flat=True)]
    assert rows
    before = snapshot()
    for pk in rows:
        for view in ("change", "delete", "history"):
            response = staff_b.get(url(model, view, pk))
            assert response.status_code == 302 and pk not in response.content.decode(), (view, pk)
        assert staff_b.post(url(model, "change", pk), {"name": "Stolen", "email": "x@y.example.com"}).status_code == 302
        assert staff_b.post(url(model, "delete", pk), {"post": "yes"}).status_code == 302
    assert_same_snapshot(before, snapshot())


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=ADMIN_IDS)
def test_actions_never_reach_other_tenant_rows(staff_b, request_b, tenant_a, model, model_admin):
    rows = [str(pk) for pk in model._base_manager.filter(organization=tenant_a.org).values_list("pk", flat=True)]
    actions = list(model_admin.get_actions(request_b))
    assert actions or model is get_user_model()
    before = snapshot()
    for action in actions:
        data = {"action": action, "_selected_action": rows, "index": 0, "post": "yes"}
        assert staff_b.post(url(model, "changelist"), data).status_code in (200, 302), action
    assert_same_snapshot(before, snapshot())


@pytest.mark.parametrize(("model", "model_admin"), TENANT_ADMINS, ids=ADMIN_IDS)
def test_form_choices_hold_no_other_tenant_rows(request_b, tenant_a, tenant_b, model, model_admin):
    a_pks = org_pks(tenant_a.org)
    own = model._base_manager.filter(organization=tenant_b.org).first()
    obj = None if model_admin.has_add_permission(request_b) else own
    forms = [model_admin.get_form(request_b, obj)]
    forms += [formset.form for formset, _inline in model_admin.get_formsets_with_inlines(request_b, obj)]
    checked = 0
    for form in forms:
        for name, field in form.base_fields.items():
            if isinstance(field, ModelChoiceField):
                leaked = {str(pk) for pk in field.queryset.values_list("pk", flat=True)} & a_pks
                assert not leaked, (form.__name__, name)
                checked += 1
    editable_relations = {f.name for f in model._meta.fields if f.is_relation} & set(forms[0].base_fields)
    assert checked or not editable_relations - {"organization"}


@pytest.mark.parametrize(
    ("source", "field"), AUTOCOMPLETE, ids=[f"{m._meta.label}.{f}" for m, f in AUTOCOMPLETE]
)
def test_autocomplete_offers_no_other_tenant_rows(staff_b, tenant_a, source, field):
    a_pks = org_pks(tenant_a.org)
    for term in ("", "alpha", "a"):
        params = {"app_label": source._meta.app_label, "model_name": source._meta.model_name, "field_name": field,
                  "term": term}
        response = staff_b.get("/admin/autocomplete/", params)
        assert response.status_code == 200, (term, response.content)
        ids = {row["id"] for row in response.json()["results"]}
        assert not ids & a_pks, term
        if term == "":
            assert ids  # B's own rows are offered: the endpoint does answer with rows


# --- foreign ids posted in add forms (raw-id and autocomplete widgets) -----------------------------------------


CREATED = {"created_at_0": "2026-01-05", "created_at_1": "10:00:00"}  # the admin's split date-time widget


ADD_FORMS = [
    ("clients.Client", "address", "address",
     lambda b: {"email": "new-client@bravo.example.com", "status": 1, **CREATED}),
    ("serviceengine.User", "address", "address",
     lambda b: {"email": "new-user@bravo.example.com", "role": b.client.role_id, "status": 1, "balance": "0",
                "spent": "0"}),
    ("serviceengine.ApiToken", "user", "member", lambda b: {"name": "Admin token", "scope": "write"}),
    ("catalog.Service", "folder", "folder",
     lambda b: {"name": "Admin service", "recurring": 0, "currency": "USD", "sort_order": 0}),
    ("orders.Order", "user", "client",
     lambda b: {"number": "ADMIN001", "service_name": "Work", "price": "1.00", "currency": "USD", "quantity": 1,
                "status": 0, "service": b.service.pk}),
    ("orders.Order", "service", "service",
     lambda b: {"number": "ADMIN002", "service_name": "Work", "price": "1.00", "currency": "USD", "quantity": 1,
                "status": 0, "user": b.client.pk}),
    ("billing.Subscription", "user", "client", lambda b: {"status": 1, "invoice": b.invoice.pk, **CREATED}),
    ("billing.Subscription", "invoice", "invoice", lambda b: {"status": 1, "user": b.client.pk, **CREATED}),
    ("support.Ticket", "user", "client",
     lambda b: {"subject": "Admin ticket", "status": 1, "source": "Admin", "order": b.order.pk}),
    ("support.Ticket", "order", "order",
     lambda b: {"subject": "Admin ticket", "status": 1, "source": "Admin", "user": b.client.pk}),
]


def add_form_data(browser, add_url, fields: dict) -> dict:
    """`fields`, plus empty management forms for every inline shown on the add page."""
    page = browser.get(add_url)
    assert page.status_code == 200
    data = dict(fields)
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0,
                     f"{prefix}-MAX_NUM_FORMS": 1000})
    return data


@pytest.mark.parametrize(
    ("label", "field", "target", "base"), ADD_FORMS, ids=[f"{label}.{field}" for label, field, *_ in ADD_FORMS]
)
def test_add_form_refuses_other_tenant_ids(staff_b, tenant_a, tenant_b, label, field, target, base):
    from django.apps import apps

    model = apps.get_model(label)
    add_url = url(model, "add")
    own_rows = model._base_manager.filter(organization=tenant_b.org).count()
    before = snapshot()
    foreign = {**base(tenant_b), field: getattr(tenant_a, target).pk}
    refused = staff_b.post(add_url, add_form_data(staff_b, add_url, foreign))
    assert refused.status_code == 200 and field in refused.context["adminform"].form.errors
    assert_same_snapshot(before, snapshot())
    # The same form with B's own row is accepted: only the foreign id made the difference.
    own = {**base(tenant_b), field: getattr(tenant_b, target).pk}
    accepted = staff_b.post(add_url, add_form_data(staff_b, add_url, own))
    assert accepted.status_code == 302, accepted.context["adminform"].form.errors if accepted.context else accepted
    assert model._base_manager.filter(organization=tenant_b.org).count() == own_rows + 1
