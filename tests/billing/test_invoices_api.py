"""`/api/invoices` list, create, retrieve, update and delete (contract invoices.md)."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Invoice, InvoiceItem
from serviceengine.api.fields import format_datetime, format_money
from serviceengine.models import Role, User
from tests import factories
from tests.billing.factories import item, make_coupon, make_invoice
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope, count_queries

URL = "/api/invoices"
LABELS = {0: "Draft", 1: "Unpaid", 3: "Paid", 4: "Refunded", 5: "Cancelled", 7: "Partially Paid"}
ROLE_KEYS = [
    "id", "name", "dashboard_access", "order_access", "order_management", "ticket_access", "ticket_management",
    "invoice_access", "invoice_management", "clients", "services", "coupons", "forms", "messaging", "affiliates",
    "settings_company", "settings_payments", "settings_team", "settings_modules", "settings_integrations",
    "settings_orders", "settings_tickets", "settings_accounts", "settings_messages", "settings_tags",
    "settings_sidebar", "settings_dashboard", "settings_templates", "settings_emails", "settings_language",
    "settings_logs", "created_at", "updated_at",
]
ADDRESS_KEYS = [
    "id", "line_1", "line_2", "city", "state", "country", "postcode", "name_f", "name_l", "tax_id", "company_name",
    "company_vat", "created_at", "updated_at",
]


def url(invoice_or_id, suffix=""):
    return f"{URL}/{getattr(invoice_or_id, 'pk', invoice_or_id)}{suffix}"


@pytest.fixture
def ada(org):
    address = factories.make_address(org, line_1="12 Analytical Row", city="London", country="GB", postcode="N1 9GU",
                                     name_f="Ada", name_l="Byron", tax_id="GB-1", company_name="Engines Ltd")
    return factories.make_client(org, email="ada@engines.example.com", name_f="Ada", name_l="Byron",
                                 company="Engines Ltd", tax_id="GB-1", address=address)


def client_json(user: User) -> dict:
    address = user.address
    role = user.role
    return {
        "id": str(user.pk),
        "name": f"{user.name_f} {user.name_l}".strip(),
        "name_f": user.name_f,
        "name_l": user.name_l,
        "email": user.email,
        "company": user.company,
        "phone": user.phone,
        "tax_id": user.tax_id,
        "aff_id": user.aff_id,
        "stripe_id": user.stripe_id,
        "balance": format_money(user.balance),
        "custom_fields": user.custom_fields,
        "status": user.status,
        "address": None if address is None else {
            "id": str(address.pk), "line_1": address.line_1, "line_2": address.line_2, "city": address.city,
            "state": address.state, "country": address.country, "postcode": address.postcode,
            "name_f": address.name_f, "name_l": address.name_l, "tax_id": address.tax_id,
            "company_name": address.company_name, "company_vat": address.company_vat,
            "created_at": format_datetime(address.created_at), "updated_at": format_datetime(address.updated_at),
        },
        "role": {key: (str(getattr(role, key)) if key == "id" else format_datetime(getattr(role, key))
                       if key.endswith("_at") else getattr(role, key)) for key in ROLE_KEYS},
    }


def invoice_json(invoice: Invoice) -> dict:
    """The contract's invoice object, built from the database row."""
    invoice = Invoice.unscoped.select_related("user__address", "user__role").get(pk=invoice.pk)
    items = InvoiceItem.unscoped.filter(invoice=invoice).order_by("created_at", "id")
    return {
        "id": str(invoice.pk),
        "number": invoice.number,
        "number_prefix": "INV-",
        "client": client_json(invoice.user) if invoice.user else None,
        "items": [
            {
                "id": str(i.pk), "invoice_id": str(invoice.pk), "name": i.name, "description": i.description,
                "quantity": i.quantity, "amount": format_money(i.amount), "discount": format_money(i.discount),
                "discount2": None, "total": format_money(i.total),
                "service_id": str(i.service_id) if i.service_id else None,
                "order_id": str(i.order_id) if i.order_id else None, "options": i.options,
                "created_at": format_datetime(i.created_at), "updated_at": format_datetime(i.updated_at),
            }
            for i in items
        ],
        "billing_address": invoice.billing_address,
        "status": LABELS.get(invoice.status, "Unknown"),
        "status_id": invoice.status,
        "created_at": format_datetime(invoice.created_at),
        "updated_at": format_datetime(invoice.updated_at),
        "date_due": format_datetime(invoice.date_due),
        "date_paid": format_datetime(invoice.date_paid),
        "credit": format_money(invoice.credit),
        "tax": format_money(invoice.tax),
        "tax_name": invoice.tax_name,
        "tax_percent": format_money(invoice.tax_percent),
        "currency": "USD",
        "reason": None,
        "note": invoice.note,
        "ip_address": invoice.ip_address,
        "loc_confirm": False,
        "recurring": invoice.recurring,
        "coupon_id": str(invoice.coupon_id) if invoice.coupon_id else None,
        "transaction_id": invoice.transaction_id,
        "paysys": invoice.paysys,
        "subtotal": format_money(invoice.subtotal),
        "discount": format_money(invoice.discount),
        "total": format_money(invoice.total),
        "employee_id": None,
        "view_link": None,
        "download_link": None,
        "thanks_link": None,
        "subscription_id": str(invoice.subscription_id) if invoice.subscription_id else None,
    }


# --- create -------------------------------------------------------------------------------------------------


def test_create_with_user_id_returns_the_full_invoice(api, org, ada):
    service = factories.make_service(org)
    response = api.post(
        URL,
        {
            "user_id": str(ada.pk),
            "items": [
                {"name": "Consulting", "quantity": 2, "amount": 50, "discount": "5"},
                {"name": " Setup ", "description": "One-off", "quantity": "1", "amount": -0.5, "service_id": str(service.pk),
                 "options": {"size": "L"}},
            ],
            "tax": 10,
            "tax_type": 1,
            "note": "Thanks",
            "org_id": str(uuid.uuid4()),
            "number": "HACK-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    invoice = Invoice.unscoped.get(pk=data["id"])
    assert data == invoice_json(invoice)
    assert list(data) == list(invoice_json(invoice))
    assert invoice.organization_id == org.pk
    assert data["number"] == "INV-00001"
    assert data["client"]["id"] == str(ada.pk) and data["client"]["name"] == "Ada Byron"
    assert isinstance(data["client"]["aff_id"], int) and data["client"]["balance"] == "0.00"
    assert list(data["client"]["address"]) == ADDRESS_KEYS and list(data["client"]["role"]) == ROLE_KEYS
    assert data["client"]["role"]["name"] == "Client"
    assert data["billing_address"] == {
        "line_1": "12 Analytical Row", "line_2": None, "city": "London", "state": None, "postcode": "N1 9GU",
        "country": "GB", "name_f": "Ada", "name_l": "Byron", "company_name": "Engines Ltd", "company_vat": None,
        "tax_id": None,
    }
    assert list(data["billing_address"]) == [
        "line_1", "line_2", "city", "state", "postcode", "country", "name_f", "name_l", "company_name",
        "company_vat", "tax_id",
    ]
    assert [i["total"] for i in data["items"]] == ["95.00", "-0.50"]
    assert [i["name"] for i in data["items"]] == ["Consulting", "Setup"]
    assert data["items"][0]["discount"] == "5.00" and data["items"][1]["discount"] == "0.00"
    assert data["items"][0]["options"] == {} and data["items"][1]["options"] == {"size": "L"}
    assert data["items"][1]["service_id"] == str(service.pk)
    assert (data["subtotal"], data["tax"], data["total"]) == ("94.50", "10.00", "104.50")
    assert (data["tax_name"], data["tax_percent"]) == ("Tax", "0.00")
    assert (data["status"], data["status_id"]) == ("Unpaid", 1)
    assert data["credit"] == "0.00" and data["currency"] == "USD" and data["loc_confirm"] is False
    assert invoice.date_due - invoice.created_at == timedelta(days=14)
    assert data["date_paid"] is None and data["paysys"] is None and data["transaction_id"] is None


def test_create_minimal(api, org):
    user = factories.make_client(org)
    response = api.post(URL, {"user_id": str(user.pk), "items": [{"name": "A", "quantity": 1, "amount": 3}]}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["billing_address"] is None  # the client has no address
    assert (data["tax"], data["tax_name"], data["tax_percent"], data["total"]) == ("0.00", None, "0.00", "3.00")
    assert data["recurring"] is None and data["coupon_id"] is None and data["note"] is None


def test_create_percentage_tax_type(api, org):
    user = factories.make_client(org)
    data = api.post(
        URL, {"user_id": str(user.pk), "items": [item(amount=100)], "tax": 20, "tax_type": 2}, format="json"
    ).json()
    assert (data["tax"], data["tax_name"], data["tax_percent"], data["total"]) == ("20.00", "Tax", "20.00", "120.00")


def test_create_tax_type_zero_has_no_tax_name(api, org):
    user = factories.make_client(org)
    data = api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1)], "tax_type": 0}, format="json").json()
    assert data["tax_name"] is None


def test_create_with_recurring_and_coupon(api, org):
    user, coupon = factories.make_client(org), make_coupon(org)
    data = api.post(
        URL,
        {"user_id": str(user.pk), "items": [item(amount=1)], "recurring": {"r_period_t": "M", "r_period_l": 1},
         "coupon_id": str(coupon.pk), "status": 0},
        format="json",
    ).json()
    assert data["recurring"] == {"r_period_l": 1, "r_period_t": "M"}
    assert list(data["recurring"]) == ["r_period_l", "r_period_t"]
    assert data["coupon_id"] == str(coupon.pk)
    assert (data["status"], data["status_id"]) == ("Draft", 0)


def test_create_status_null_means_unpaid(api, org):
    user = factories.make_client(org)
    data = api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1)], "status": None}, format="json").json()
    assert data["status_id"] == 1


def test_create_user_id_may_be_any_role(api, org, owner):
    data = api.post(URL, {"user_id": str(owner.pk), "items": [item(amount=1)]}, format="json").json()
    assert data["client"]["id"] == str(owner.pk)


def test_create_by_email_uses_the_existing_user_case_insensitively(api, org, ada):
    count = User.unscoped.count()
    response = api.post(URL, {"email": "ADA@Engines.Example.com", "items": [item(amount=1)]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["client"]["id"] == str(ada.pk)
    assert User.unscoped.count() == count


def test_create_by_email_creates_a_client_with_whitelisted_user_data(api, org):
    response = api.post(
        URL,
        {
            "email": " New.Client@Example.com ",
            "items": [item(amount=1)],
            "user_data": {
                "name_f": "New", "name_l": "Client", "company": "NC Ltd", "phone": "+44 1", "tax_id": "T-1",
                "note": "vip", "optin": "yes", "stripe_id": "cus_123", "custom_fields": {"tier": "gold"},
                "org_id": str(uuid.uuid4()), "role_id": str(uuid.uuid4()), "balance": 1000, "aff_id": 5,
                "email": "other@example.com", "status": 9,
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    client = User.unscoped.get(email="new.client@example.com")
    assert client.organization_id == org.pk
    assert client.role == Role.objects.client_role()
    assert (client.name_f, client.name_l, client.company, client.phone, client.tax_id) == ("New", "Client", "NC Ltd", "+44 1", "T-1")
    assert (client.note, client.optin, client.stripe_id, client.custom_fields) == ("vip", "yes", "cus_123", {"tier": "gold"})
    assert client.balance == 0 and client.status == 1 and 100000 <= client.aff_id <= 999999
    assert client.aff_link.startswith("https://example.com/r/")
    assert response.json()["client"] == client_json(client)
    assert not User.unscoped.filter(email="other@example.com").exists()


def test_create_by_email_without_user_data(api, org):
    response = api.post(URL, {"email": "bare@example.com", "items": [item(amount=1)]}, format="json")
    assert response.status_code == 201
    client = User.unscoped.get(email="bare@example.com")
    assert (client.name_f, client.name_l) == ("", "")
    assert response.json()["client"]["name"] == ""


def test_create_user_id_wins_over_email(api, org, ada):
    data = api.post(URL, {"user_id": str(ada.pk), "email": "x@example.com", "items": [item(amount=1)]}, format="json").json()
    assert data["client"]["id"] == str(ada.pk)
    assert not User.unscoped.filter(email="x@example.com").exists()


def test_create_by_email_without_client_role_is_500(api, org):
    Role.objects.filter(dashboard_access=0).update(dashboard_access=1)
    response = api.post(URL, {"email": "new@example.com", "items": [item(amount=1)]}, format="json")
    assert_detail(response, 500, "Client role not configured")
    assert not Invoice.unscoped.exists()


def test_create_created_client_is_rolled_back_when_a_later_check_fails(api, org):
    response = api.post(
        URL, {"email": "ghost@example.com", "items": [item(amount=1)], "coupon_id": str(uuid.uuid4())}, format="json"
    )
    assert_envelope(response, 422, {"coupon_id": ["The specified coupon does not exist."]})
    assert not User.unscoped.filter(email="ghost@example.com").exists()


def test_create_schema_errors(api):
    response = api.post(
        URL,
        {
            "user_id": 5,
            "email": "nope",
            "items": [{"quantity": 0, "discount": None}, "x", {"name": "", "quantity": 1.5, "amount": "abc", "options": []}],
            "status": -1,
            "tax": None,
            "tax_type": "x",
            "recurring": {"r_period_l": 0, "r_period_t": "Y"},
            "coupon_id": 1,
            "note": 2,
            "user_data": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["user_id"] == ["Input should be a valid string"]
    assert errors["email"][0].startswith("value is not a valid email address: ")
    assert errors["items.0.name"] == ["Field required"]
    assert errors["items.0.quantity"] == ["Input should be greater than or equal to 1"]
    assert errors["items.0.amount"] == ["Field required"]
    assert errors["items.0.discount"] == ["Input should be a valid number"]
    assert errors["items.1"] == ["Input should be a valid dictionary or object to extract fields from"]
    assert errors["items.2.name"] == ["String should have at least 1 character"]
    assert errors["items.2.quantity"] == ["Input should be a valid integer, got a number with a fractional part"]
    assert errors["items.2.amount"] == ["Input should be a valid number, unable to parse string as a number"]
    assert errors["items.2.options"] == ["Input should be a valid dictionary"]
    assert errors["status"] == ["Input should be greater than or equal to 0"]
    assert errors["tax"] == ["Input should be a valid number"]
    assert errors["tax_type"] == ["Input should be a valid integer, unable to parse string as an integer"]
    assert errors["recurring.r_period_l"] == ["Input should be greater than or equal to 1"]
    assert errors["recurring.r_period_t"] == ["String should match pattern '^[MWD]$'"]
    assert errors["coupon_id"] == ["Input should be a valid string"]
    assert errors["note"] == ["Input should be a valid string"]
    assert errors["user_data"] == ["Input should be a valid dictionary"]


def test_create_requires_items(api):
    assert_envelope(api.post(URL, {"email": "a@example.com"}, format="json"), 400, {"items": ["Field required"]})
    assert_envelope(
        api.post(URL, {"email": "a@example.com", "items": []}, format="json"),
        400,
        {"items": ["List should have at least 1 item after validation, not 0"]},
    )


def test_create_recurring_errors(api):
    assert_envelope(
        api.post(URL, {"email": "a@example.com", "items": [item(amount=1)], "recurring": {}}, format="json"),
        400,
        {"recurring.r_period_l": ["Field required"], "recurring.r_period_t": ["Field required"]},
    )
    assert_envelope(
        api.post(URL, {"email": "a@example.com", "items": [item(amount=1)], "recurring": "M"}, format="json"),
        400,
        {"recurring": ["Input should be a valid dictionary or object to extract fields from"]},
    )


@pytest.mark.parametrize("extra", [{}, {"user_id": ""}, {"user_id": None, "email": None}])
def test_create_needs_user_id_or_email(api, extra):
    assert_envelope(
        api.post(URL, {"items": [item(amount=1)], **extra}, format="json"),
        400,
        {"user_id": ["Either user_id or email is required."]},
    )


def test_create_empty_email_is_a_schema_error(api):
    response = api.post(URL, {"email": "", "items": [item(amount=1)]}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["email"]


@pytest.mark.parametrize("status", [2, 6, 8, 100])
def test_create_invalid_status(api, org, status):
    user = factories.make_client(org)
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1)], "status": status}, format="json"),
        400,
        {"status": ["The selected status is invalid."]},
    )


def test_create_status_check_comes_before_the_user_check(api):
    assert_envelope(
        api.post(URL, {"user_id": str(uuid.uuid4()), "items": [item(amount=1)], "status": 2}, format="json"),
        400,
        {"status": ["The selected status is invalid."]},
    )


@pytest.mark.parametrize("kind", ["unknown", "malformed", "other_org"])
def test_create_unknown_user_is_422(api, other_org, kind):
    user_id = {"unknown": str(uuid.uuid4()), "malformed": "abc",
               "other_org": str(factories.make_client(other_org).pk)}[kind]
    assert_envelope(
        api.post(URL, {"user_id": user_id, "items": [item(amount=1)]}, format="json"),
        422,
        {"user_id": ["The specified client does not exist."]},
    )


def test_create_coupon_of_another_org_is_422(api, org, other_org):
    user = factories.make_client(org)
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1)], "coupon_id": str(make_coupon(other_org).pk)},
                 format="json"),
        422,
        {"coupon_id": ["The specified coupon does not exist."]},
    )


@pytest.mark.parametrize("kind", ["unknown", "malformed", "other_org", "deleted"])
def test_create_unknown_item_service_is_422_on_the_first_offender(api, org, other_org, kind):
    user = factories.make_client(org)
    good = factories.make_service(org)
    bad = {
        "unknown": str(uuid.uuid4()),
        "malformed": "xyz",
        "other_org": str(factories.make_service(other_org).pk),
        "deleted": str(factories.make_service(org, deleted_at=timezone.now()).pk),
    }[kind]
    items = [item(amount=1, service_id=str(good.pk)), item(amount=1), item(amount=1, service_id=bad),
             item(amount=1, service_id=str(uuid.uuid4()))]
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "items": items}, format="json"),
        422,
        {"items.2.service_id": ["The specified service does not exist."]},
    )
    assert not Invoice.unscoped.exists()


def test_create_empty_item_service_id_means_no_service(api, org):
    user = factories.make_client(org)
    data = api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1, service_id="")]}, format="json").json()
    assert data["items"][0]["service_id"] is None


def test_create_coupon_check_comes_before_item_services(api, org):
    user = factories.make_client(org)
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "coupon_id": "x", "items": [item(amount=1, service_id="y")]}, format="json"),
        422,
        {"coupon_id": ["The specified coupon does not exist."]},
    )


def test_create_totals_that_overflow_the_column_are_a_400(api, org):
    user = factories.make_client(org)
    huge = item(quantity=2_000_000_000, amount=999_999_999)
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "items": [huge]}, format="json"),
        400,
        {"items.0": ["The item total is too large."]},
    )
    big = item(quantity=9_000_000, amount=999_999_999)  # 8.99e15 each, fits; two of them do not
    assert_envelope(
        api.post(URL, {"user_id": str(user.pk), "items": [big, big]}, format="json"),
        400,
        {"items": ["The invoice total is too large."]},
    )
    assert not Invoice.unscoped.exists()


def test_invoice_numbers_are_per_organization_and_count_soft_deleted(api, org, other_org):
    user = factories.make_client(org)
    first = make_invoice(org, user=user)
    second = make_invoice(org, user=user)
    Invoice.unscoped.filter(pk=second.pk).update(deleted_at=timezone.now())
    make_invoice(other_org)
    data = api.post(URL, {"user_id": str(user.pk), "items": [item(amount=1)]}, format="json").json()
    assert (first.number, second.number, data["number"]) == ("INV-00001", "INV-00002", "INV-00003")
    assert Invoice.unscoped.get(organization=other_org).number == "INV-00001"


def test_invoice_number_follows_the_highest_sequence(org):
    user = factories.make_client(org)
    make_invoice(org, user=user)
    Invoice.unscoped.filter(organization=org).update(number_seq=123456, number="INV-123456")
    assert make_invoice(org, user=user).number == "INV-123457"


# --- retrieve and list --------------------------------------------------------------------------------------


def test_retrieve(api, org, ada):
    invoice = make_invoice(org, user=ada, items=[item(), item(name="Second", service_id=str(factories.make_service(org).pk))])
    response = api.get(url(invoice))
    assert response.status_code == 200
    assert response.json() == invoice_json(invoice)


def test_retrieve_with_deleted_client_has_null_client(api, org):
    invoice = make_invoice(org)
    Invoice.unscoped.filter(pk=invoice.pk).update(user=None)
    assert api.get(url(invoice)).json()["client"] is None


def test_retrieve_unknown_status_label(api, org):
    invoice = make_invoice(org)
    Invoice.unscoped.filter(pk=invoice.pk).update(status=2)
    data = api.get(url(invoice)).json()
    assert (data["status"], data["status_id"]) == ("Unknown", 2)


@pytest.mark.parametrize("method,suffix", [("get", ""), ("put", ""), ("delete", ""), ("post", "/charge"), ("post", "/mark_paid")])
def test_not_found_cases(api, org, other_org, settings, method, suffix):
    settings.PAYMENTS_SIMULATED = True
    deleted = make_invoice(org)
    Invoice.unscoped.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    body = {"items": [item(amount=1)]} if method == "put" else {"payment_method_id": "pm_1"}
    for pk in ("not-a-uuid", str(uuid.uuid4()), make_invoice(other_org).pk, deleted.pk):
        response = getattr(api, method)(url(pk, suffix), body, format="json")
        assert_detail(response, 404, "Not Found")


def test_patch_is_405(api, org):
    invoice = make_invoice(org)
    assert_detail(api.patch(url(invoice), {}, format="json"), 405, "Method Not Allowed")
    assert_detail(api.get(url(invoice, "/charge")), 405, "Method Not Allowed")
    assert_detail(api.delete(URL), 405, "Method Not Allowed")


def test_list(api, org, other_org):
    user = factories.make_client(org)
    first = make_invoice(org, user=user)
    second = make_invoice(org, user=user, status=0)
    deleted = make_invoice(org, user=user)
    Invoice.unscoped.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    make_invoice(other_org)
    response = api.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["data"] == [invoice_json(second), invoice_json(first)]
    path = "http://testserver/api/invoices"
    assert data["links"] == {"first": f"{path}?page=1&limit=20", "last": f"{path}?page=1&limit=20", "prev": None, "next": None}
    assert data["meta"] == {"current_page": 1, "from": 1, "to": 2, "last_page": 1, "per_page": 20, "total": 2, "path": path}


def test_list_filters_and_sorts(api, org):
    ada, bob = factories.make_client(org), factories.make_client(org)
    a = make_invoice(org, user=ada, items=[item(amount=30)])
    b = make_invoice(org, user=bob, items=[item(amount=10)], status=0)
    c = make_invoice(org, user=ada, items=[item(amount=20)])
    ids = lambda r: [row["id"] for row in r.json()["data"]]  # noqa: E731
    assert ids(api.get(URL, {"filters[user_id][$eq]": str(ada.pk), "sort": "created_at:asc"})) == [str(a.pk), str(c.pk)]
    response = api.get(URL, {"filters[status][$eq]": "0"})
    assert ids(response) == [str(b.pk)] and response.json()["meta"]["total"] == 1
    assert ids(api.get(URL, {"sort": "total:asc"})) == [str(b.pk), str(c.pk), str(a.pk)]
    assert ids(api.get(URL, {"sort": "number:desc"})) == [str(c.pk), str(b.pk), str(a.pk)]
    assert ids(api.get(URL, {"sort": "nonsense:asc"})) == [str(a.pk), str(b.pk), str(c.pk)]  # falls back to created_at
    assert ids(api.get(URL, {"filters[id][$in][]": [str(a.pk), str(b.pk)], "sort": "id:asc"})) == sorted([str(a.pk), str(b.pk)])
    due = format_datetime(Invoice.unscoped.get(pk=b.pk).date_due)
    assert ids(api.get(URL, {"filters[date_due][$gt]": due, "sort": "created_at:asc"})) == [str(c.pk)]
    assert_envelope(api.get(URL, {"filters[user_id][$eq]": "x"}), 400, {"filters[user_id][$eq]": ["The filter value is invalid."]})


def test_list_query_count_is_constant(api, org):
    service = factories.make_service(org)

    def add_row():
        address = factories.make_address(org)
        user = factories.make_client(org, address=address)
        make_invoice(org, user=user, items=[item(), item(service_id=str(service.pk)), item()])

    # token, page (the total inside), items (PostgreSQL: embedded in the page, serviceengine/perf/lean.py)
    assert assert_constant_queries(api, URL, add_row, budget=6) == (2 if connection.vendor == "postgresql" else 3)


def test_list_query_count_independent_of_page_size(api, org):
    for _ in range(3):
        make_invoice(org, items=[item(), item()])
    _r1, one = count_queries(lambda: api.get(URL, {"limit": 1}))
    _r2, many = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert len(one) == len(many) <= 6


def test_retrieve_query_count_is_constant_whatever_the_number_of_items(api, org, ada):
    invoice = make_invoice(org, user=ada)

    def add_item():
        InvoiceItem.unscoped.create(organization=org, invoice=invoice, name="x", quantity=1, amount=1, total=1)

    # token, invoice, items (PostgreSQL: embedded in the invoice's row)
    assert assert_constant_queries(api, url(invoice), add_item, budget=6) == (2 if connection.vendor == "postgresql" else 3)


# --- update -------------------------------------------------------------------------------------------------


def test_update_replaces_items_and_recomputes_totals(api, org, ada):
    invoice = make_invoice(org, user=ada, items=[item(), item()], tax=Decimal("10"), tax_type=1, note="old")
    old_items = set(InvoiceItem.unscoped.filter(invoice=invoice).values_list("pk", flat=True))
    response = api.put(url(invoice), {"items": [{"name": "New", "quantity": 3, "amount": 20, "discount": 1}]}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data == invoice_json(invoice)
    assert [i["name"] for i in data["items"]] == ["New"] and data["items"][0]["id"] not in {str(p) for p in old_items}
    assert not InvoiceItem.unscoped.filter(pk__in=old_items).exists()
    assert (data["subtotal"], data["tax"], data["total"], data["tax_name"]) == ("59.00", "10.00", "69.00", "Tax")
    assert data["note"] == "old" and data["number"] == invoice.number


def test_update_fields(api, org, ada):
    invoice = make_invoice(org, user=ada, recurring={"r_period_l": 1, "r_period_t": "M"})
    bob = factories.make_client(org, address=factories.make_address(org, line_1="Elsewhere"))
    coupon = make_coupon(org)
    data = api.put(
        url(invoice),
        {"items": [item(amount=100)], "user_id": str(bob.pk), "status": 0, "tax": 5, "tax_type": 2,
         "recurring": {"r_period_l": 2, "r_period_t": "W"}, "coupon_id": str(coupon.pk), "note": "new"},
        format="json",
    ).json()
    assert data["client"]["id"] == str(bob.pk)
    assert data["billing_address"]["line_1"] == "12 Analytical Row"  # not re-snapshotted
    assert (data["status_id"], data["tax"], data["tax_name"], data["tax_percent"]) == (0, "5.00", "Tax", "5.00")
    assert (data["subtotal"], data["discount"], data["total"]) == ("100.00", "10.00", "95.00")  # the coupon's 10.00
    assert data["recurring"] == {"r_period_l": 2, "r_period_t": "W"}
    assert data["coupon_id"] == str(coupon.pk) and data["note"] == "new"


def test_update_nulls_keep_values_but_recurring_null_clears(api, org):
    coupon = make_coupon(org)
    invoice = make_invoice(org, recurring={"r_period_l": 1, "r_period_t": "M"}, coupon_id=str(coupon.pk),
                           note="keep", tax=Decimal("3"), tax_type=2)
    data = api.put(
        url(invoice),
        {"items": [item(amount=1)], "user_id": None, "status": None, "tax": None, "tax_type": None,
         "coupon_id": None, "note": None},
        format="json",
    ).json()
    assert data["recurring"] == {"r_period_l": 1, "r_period_t": "M"}
    assert (data["coupon_id"], data["note"], data["tax"], data["tax_percent"]) == (str(coupon.pk), "keep", "3.00", "3.00")
    assert data["client"]["id"] == str(invoice.user_id) and data["status_id"] == 1
    assert (data["discount"], data["total"]) == ("1.00", "3.00")  # the kept coupon's 10.00, capped at the 1.00 item
    data = api.put(url(invoice), {"items": [item(amount=1)], "recurring": None}, format="json").json()
    assert data["recurring"] is None


def test_update_tax_type_recomputes_labels_from_the_resulting_tax(api, org):
    invoice = make_invoice(org, tax=Decimal("7"), tax_type=1)
    data = api.put(url(invoice), {"items": [item(amount=1)], "tax_type": 2}, format="json").json()
    assert (data["tax_name"], data["tax_percent"]) == ("Tax", "7.00")
    data = api.put(url(invoice), {"items": [item(amount=1)], "tax_type": 0, "tax": 2}, format="json").json()
    assert (data["tax_name"], data["tax_percent"], data["tax"]) == (None, "0.00", "2.00")


def test_update_requires_items(api, org):
    invoice = make_invoice(org)
    assert_envelope(api.put(url(invoice), {"note": "x"}, format="json"), 400, {"items": ["Field required"]})
    assert_envelope(api.put(url(invoice), data="", content_type="application/json"), 400, {"root": ["Field required"]})


def test_update_schema_errors_come_before_404(api):
    assert_envelope(api.put(url(uuid.uuid4()), {"items": []}, format="json"), 400,
                    {"items": ["List should have at least 1 item after validation, not 0"]})


ALLOWED = {
    (0, 1), (0, 5), (1, 0), (1, 5), (3, 4), (5, 0), (5, 1), (7, 3), (7, 4), (7, 5),
}


@pytest.mark.parametrize("current", [0, 1, 3, 4, 5, 7])
@pytest.mark.parametrize("new", [0, 1, 3, 4, 5, 7])
def test_update_status_transitions(api, org, current, new):
    invoice = make_invoice(org, status=current)
    response = api.put(url(invoice), {"items": [item(amount=1)], "status": new}, format="json")
    if current == new or (current, new) in ALLOWED:
        assert response.status_code == 200, response.content
        assert response.json()["status_id"] == new
        assert response.json()["date_paid"] is None  # a PUT never touches date_paid
    else:
        assert_envelope(response, 400, {"status": [f"Cannot transition from {LABELS[current]} to {LABELS[new]}."]})
        assert Invoice.unscoped.get(pk=invoice.pk).status == current


@pytest.mark.parametrize("status", [2, 6, -1, 99])
def test_update_invalid_status(api, org, status):
    invoice = make_invoice(org)
    assert_envelope(api.put(url(invoice), {"items": [item(amount=1)], "status": status}, format="json"), 400,
                    {"status": ["The selected status is invalid."]})


def test_update_reference_errors(api, org, other_org):
    invoice = make_invoice(org)
    put = lambda **extra: api.put(url(invoice), {"items": [item(amount=1)], **extra}, format="json")  # noqa: E731
    assert_envelope(put(user_id=str(factories.make_client(other_org).pk)), 422, {"user_id": ["The specified client does not exist."]})
    assert_envelope(put(user_id=""), 422, {"user_id": ["The specified client does not exist."]})
    assert_envelope(put(coupon_id=str(uuid.uuid4())), 422, {"coupon_id": ["The specified coupon does not exist."]})
    assert_envelope(
        api.put(url(invoice), {"items": [item(amount=1), item(amount=1, service_id=str(uuid.uuid4()))]}, format="json"),
        422,
        {"items.1.service_id": ["The specified service does not exist."]},
    )
    assert put(user_id=str(invoice.user_id)).status_code == 200  # unchanged user is not re-checked


def test_update_keeps_the_client_even_if_it_is_now_a_team_member(api, org, owner):
    invoice = make_invoice(org, user=owner)
    assert api.put(url(invoice), {"items": [item(amount=1)], "user_id": str(owner.pk)}, format="json").status_code == 200


def test_update_overflowing_total_is_a_400(api, org):
    invoice = make_invoice(org, tax=Decimal("999999999"))
    big = item(quantity=10_000_000, amount=999_999_999)  # fits alone; the tax pushes it over
    assert_envelope(api.put(url(invoice), {"items": [big]}, format="json"), 400, {"tax": ["The invoice total is too large."]})


# --- delete -------------------------------------------------------------------------------------------------


def test_delete_is_a_soft_delete(api, org):
    invoice = make_invoice(org)
    response = api.delete(url(invoice))
    assert response.status_code == 204 and response.content == b""
    assert Invoice.unscoped.get(pk=invoice.pk).deleted_at is not None
    assert_detail(api.get(url(invoice)), 404, "Not Found")
    assert_detail(api.delete(url(invoice)), 404, "Not Found")
    assert api.get(URL).json()["meta"]["total"] == 0


def test_other_org_cannot_touch_an_invoice(other_api, org):
    invoice = make_invoice(org)
    assert_detail(other_api.get(url(invoice)), 404, "Not Found")
    assert_detail(other_api.delete(url(invoice)), 404, "Not Found")
    assert Invoice.unscoped.get(pk=invoice.pk).deleted_at is None
