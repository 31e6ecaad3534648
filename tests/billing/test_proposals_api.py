"""`/api/proposals` (contract proposals.md): shapes, validation, status guards, sign, tenancy, query counts."""
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Proposal, ProposalItem, ProposalSignature, ProposalStatus
from orders.models import Order
from serviceengine.api.fields import format_datetime
from serviceengine.models import Role, User
from tests import factories
from tests.billing.factories import make_proposal
from tests.helpers import assert_constant_queries, assert_detail, assert_envelope, count_queries

URL = "/api/proposals"
TS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$"


def url(proposal_or_id, suffix=""):
    pk = getattr(proposal_or_id, "pk", proposal_or_id)
    return f"{URL}/{pk}{suffix}"


@pytest.fixture
def service(org):
    return factories.make_service(org, name="Monthly SEO Package", description="Keyword research", currency="USD")


@pytest.fixture
def service2(org):
    return factories.make_service(org, name="Audit", description=None, currency="EUR")


def body(**over):
    data = {
        "client_email": "  Pat@Prospect.Example.com ",
        "client_name_f": " Pat ",
        "client_name_l": "Prospect",
        "client_company": "Prospect LLC",
        "items": [],
        "notes": "Valid for 30 days",
    }
    data.update(over)
    return data


def iso(value):
    return format_datetime(value)


def proposal_json(p: Proposal, *, items=True) -> dict:
    """The contract's proposal object, built from the database row."""
    out = {
        "id": str(p.pk),
        "client_email": p.client_email,
        "client_name": f"{p.client_name_f} {p.client_name_l}".strip(),
        "client_name_f": p.client_name_f,
        "client_name_l": p.client_name_l,
        "client_company": p.client_company,
        "status": ["Draft", "Sent", "Signed", "Rejected"][p.status],
        "status_id": p.status,
        "total": f"{p.total:.2f}",
        "notes": p.notes,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "sent_at": iso(p.sent_at) if p.sent_at else None,
        "signed_at": iso(p.signed_at) if p.signed_at else None,
        "converted_order_id": str(p.converted_order_id) if p.converted_order_id else None,
        "converted_engagement_id": str(p.converted_engagement_id) if p.converted_engagement_id else None,
    }
    if items:
        out["items"] = [
            {
                "id": str(i.pk),
                "service_id": str(i.service_id),
                "service_name": i.service.name,
                "service_description": i.service.description,
                "quantity": i.quantity,
                "price": f"{i.price:.2f}",
                "created_at": iso(i.created_at),
            }
            for i in ProposalItem.unscoped.filter(proposal=p).select_related("service").order_by("created_at", "id")
        ]
        signature = ProposalSignature.unscoped.filter(proposal=p).first()
        out["signature"] = None if signature is None else {
            "name": signature.name,
            "email": signature.email,
            "ip_address": signature.ip_address,
            "user_agent": signature.user_agent,
            "signed_at": iso(signature.signed_at),
            "document_sha256": signature.document_sha256,
        }
    return out


# --- create -------------------------------------------------------------------------------------------------


def test_create_returns_the_full_proposal(api, org, service, service2):
    items = [
        {"service_id": str(service.pk), "quantity": 2, "price": 150},
        {"service_id": str(service2.pk), "price": "19.995"},
        {"service_id": str(service.pk).upper(), "quantity": "3", "price": 0.1},
    ]
    response = api.post(URL, body(items=items), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    proposal = Proposal.unscoped.get(pk=data["id"])
    assert proposal.organization_id == org.pk
    assert data == proposal_json(proposal)
    assert list(data) == list(proposal_json(proposal))
    assert data["client_email"] == "pat@prospect.example.com"
    assert data["client_name_f"] == "Pat" and data["client_name"] == "Pat Prospect"
    assert data["status"] == "Draft" and data["status_id"] == 0
    # 2 × 150 + 1 × 20.00 (19.995 rounded half away from zero) + 3 × 0.10
    assert data["total"] == "320.30"
    assert [i["service_id"] for i in data["items"]] == [str(service.pk), str(service2.pk), str(service.pk)]
    assert [i["quantity"] for i in data["items"]] == [2, 1, 3]
    assert [i["price"] for i in data["items"]] == ["150.00", "20.00", "0.10"]
    assert data["items"][0]["service_name"] == "Monthly SEO Package"
    assert data["items"][0]["service_description"] == "Keyword research"
    assert data["items"][1]["service_description"] is None
    assert data["sent_at"] is None and data["signed_at"] is None and data["converted_order_id"] is None


def test_create_minimal_body_defaults(api, service):
    response = api.post(
        URL,
        {"client_email": "a@example.com", "client_name_f": "A", "client_name_l": "B",
         "items": [{"service_id": str(service.pk), "price": 10}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["client_company"] is None and data["notes"] is None
    assert data["items"][0]["quantity"] == 1
    assert data["total"] == "10.00"


def test_create_requires_the_documented_fields(api):
    assert_envelope(
        api.post(URL, {}, format="json"),
        400,
        {
            "client_email": ["Field required"],
            "client_name_f": ["Field required"],
            "client_name_l": ["Field required"],
            "items": ["Field required"],
        },
    )


def test_create_missing_body_is_root_field_required(api):
    assert_envelope(api.post(URL, data="", content_type="application/json"), 400, {"root": ["Field required"]})


def test_create_schema_errors_are_all_listed(api, service):
    response = api.post(
        URL,
        {
            "client_email": "not-an-email",
            "client_name_f": "   ",
            "client_name_l": "x" * 101,
            "client_company": 5,
            "items": [
                {"quantity": 0, "price": -1},
                {"service_id": str(service.pk), "quantity": None},
                "nope",
            ],
            "notes": 7,
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["client_email"][0].startswith("value is not a valid email address: ")
    assert errors["client_name_f"] == ["String should have at least 1 character"]
    assert errors["client_name_l"] == ["String should have at most 100 characters"]
    assert errors["client_company"] == ["Input should be a valid string"]
    assert errors["items.0.service_id"] == ["Field required"]
    assert errors["items.0.quantity"] == ["Input should be greater than or equal to 1"]
    assert errors["items.0.price"] == ["Input should be greater than or equal to 0"]
    assert errors["items.1.quantity"] == ["Input should be a valid integer"]
    assert errors["items.1.price"] == ["Field required"]
    assert errors["items.2"] == ["Input should be a valid dictionary or object to extract fields from"]
    assert errors["notes"] == ["Input should be a valid string"]
    assert list(errors)[:4] == ["client_email", "client_name_f", "client_name_l", "client_company"]


def test_create_empty_items(api):
    assert_envelope(
        api.post(URL, body(items=[]), format="json"),
        400,
        {"items": ["List should have at least 1 item after validation, not 0"]},
    )


def test_create_items_not_a_list(api):
    assert_envelope(api.post(URL, body(items={"a": 1}), format="json"), 400, {"items": ["Input should be a valid list"]})


def test_create_email_too_long(api, service):
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.com"
    response = api.post(URL, body(client_email=email, items=[{"service_id": str(service.pk), "price": 1}]), format="json")
    assert response.status_code == 400
    assert "client_email" in response.json()["errors"]


@pytest.mark.parametrize("kind", ["unknown", "other_org", "deleted", "malformed"])
def test_create_unknown_service_is_422_naming_the_first_offender(api, org, other_org, service, kind):
    bad = {
        "unknown": str(uuid.uuid4()),
        "other_org": str(factories.make_service(other_org).pk),
        "deleted": str(factories.make_service(org, deleted_at=timezone.now()).pk),
        "malformed": "not-a-uuid",
    }[kind]
    second_bad = str(uuid.uuid4())
    items = [
        {"service_id": str(service.pk), "price": 1},
        {"service_id": bad, "price": 1},
        {"service_id": second_bad, "price": 1},
    ]
    assert_envelope(
        api.post(URL, body(items=items), format="json"), 422, {"items": [f"Service with ID {bad} does not exist."]}
    )
    assert not Proposal.unscoped.exists()


def test_create_schema_errors_win_over_unknown_services(api):
    response = api.post(URL, body(client_name_f="", items=[{"service_id": str(uuid.uuid4()), "price": 1}]), format="json")
    assert_envelope(response, 400, {"client_name_f": ["String should have at least 1 character"]})


def test_create_total_too_large_is_a_400_not_a_database_error(api, service):
    items = [{"service_id": str(service.pk), "quantity": 2_000_000_000, "price": 999_999_999}] * 3
    assert_envelope(api.post(URL, body(items=items), format="json"), 400, {"items": ["The proposal total is too large."]})
    assert not Proposal.unscoped.exists()


def test_unauthenticated(db, anon):
    assert_detail(anon.get(URL), 401, "Unauthorized")
    assert_detail(anon.post(URL, {}, format="json"), 401, "Unauthorized")


# --- retrieve -----------------------------------------------------------------------------------------------


def test_retrieve_returns_the_proposal_with_items(api, org, service, service2):
    proposal = make_proposal(org, services_=[service, service2], notes="Hello")
    response = api.get(url(proposal))
    assert response.status_code == 200
    assert response.json() == proposal_json(proposal)


def test_retrieve_shows_current_service_name_even_when_soft_deleted(api, org, service):
    proposal = make_proposal(org, services_=[service])
    type(service).unscoped.filter(pk=service.pk).update(
        name="Renamed", description="New text", deleted_at=timezone.now()
    )
    item = api.get(url(proposal)).json()["items"][0]
    assert item["service_name"] == "Renamed"
    assert item["service_description"] == "New text"


@pytest.mark.parametrize("suffix", ["", "/send", "/sign"])
def test_not_found_cases(api, org, other_org, suffix):
    method = api.get if suffix == "" else api.post
    deleted = make_proposal(org)
    Proposal.unscoped.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    for pk in ("not-a-uuid", "123", str(uuid.uuid4()), make_proposal(other_org).pk, deleted.pk):
        assert_detail(method(url(pk, suffix)), 404, "Not Found")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_unrouted_methods_are_405(api, org, method):
    proposal = make_proposal(org)
    assert_detail(getattr(api, method)(url(proposal), {}, format="json"), 405, "Method Not Allowed")


def test_send_and_sign_only_accept_post(api, org):
    proposal = make_proposal(org)
    assert_detail(api.get(url(proposal, "/send")), 405, "Method Not Allowed")
    assert_detail(api.put(url(proposal, "/sign"), {}, format="json"), 405, "Method Not Allowed")
    assert_detail(api.patch(URL, {}, format="json"), 405, "Method Not Allowed")


# --- list ---------------------------------------------------------------------------------------------------


def test_list_rows_have_no_items_and_meta_has_links(api, org):
    proposals = [make_proposal(org) for _ in range(3)]
    response = api.get(URL, {"limit": 2, "page": 2})
    assert response.status_code == 200
    data = response.json()
    oldest = Proposal.unscoped.get(pk=proposals[0].pk)
    assert data["data"] == [proposal_json(oldest, items=False)]
    path = "http://testserver/api/proposals"
    assert data["links"] == {
        "first": f"{path}?page=1&limit=2",
        "last": f"{path}?page=2&limit=2",
        "prev": f"{path}?page=1&limit=2",
        "next": None,
    }
    assert data["meta"] == {
        "current_page": 2, "from": 3, "to": 3, "last_page": 2, "per_page": 2, "total": 3, "path": path,
        "links": [
            {"url": f"{path}?page=1&limit=2", "label": "Previous", "active": False},
            {"url": f"{path}?page=1&limit=2", "label": "1", "active": False},
            {"url": f"{path}?page=2&limit=2", "label": "2", "active": True},
            {"url": None, "label": "Next", "active": False},
        ],
    }


def test_list_is_scoped_and_hides_soft_deleted(api, org, other_org):
    mine = make_proposal(org)
    deleted = make_proposal(org)
    Proposal.unscoped.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    make_proposal(other_org)
    data = api.get(URL).json()
    assert [row["id"] for row in data["data"]] == [str(mine.pk)]
    assert data["meta"]["total"] == 1


def test_list_filters_and_sorts(api, org):
    draft = make_proposal(org, client_email="b@example.com")
    sent = make_proposal(org, status="sent", client_email="a@example.com")
    signed = make_proposal(org, status="signed", client_email="c@example.com")
    ids = lambda r: [row["id"] for row in r.json()["data"]]  # noqa: E731
    assert ids(api.get(URL, {"filters[status][$eq]": "1"})) == [str(sent.pk)]
    assert ids(api.get(URL, {"filters[client_email][$eq]": "c@example.com"})) == [str(signed.pk)]
    response = api.get(URL, {"filters[status][$in][]": ["0", "2"], "sort": "client_email:asc"})
    assert ids(response) == [str(draft.pk), str(signed.pk)]
    assert response.json()["meta"]["total"] == 2
    assert ids(api.get(URL, {"sort": "client_email:asc"})) == [str(sent.pk), str(draft.pk), str(signed.pk)]
    assert ids(api.get(URL, {"sort": "status:desc"})) == [str(signed.pk), str(sent.pk), str(draft.pk)]
    assert ids(api.get(URL)) == [str(signed.pk), str(sent.pk), str(draft.pk)]  # created_at desc
    assert_envelope(
        api.get(URL, {"filters[status][$eq]": "x"}), 400, {"filters[status][$eq]": ["The filter value is invalid."]}
    )
    assert_envelope(api.get(URL, {"limit": 0}), 400, {"query.limit": ["Input should be greater than or equal to 1"]})


def test_list_query_count_is_constant(api, org, service):
    budget = assert_constant_queries(api, URL, lambda: make_proposal(org, services_=[service, service]), budget=6)
    assert budget == 2  # token, page (the live total inside)


def test_list_query_count_independent_of_page_size(api, org):
    for _ in range(3):
        make_proposal(org)
    _r1, one = count_queries(lambda: api.get(URL, {"limit": 1}))
    _r2, many = count_queries(lambda: api.get(URL, {"limit": 100}))
    assert len(one) == len(many) <= 6


def test_retrieve_query_count_is_constant_whatever_the_number_of_items(api, org):
    proposal = make_proposal(org)

    def add_item():
        ProposalItem.unscoped.create(
            organization=org, proposal=proposal, service=factories.make_service(org), quantity=1, price=Decimal("1")
        )

    # token, proposal, items (PostgreSQL: embedded in the proposal's row)
    assert assert_constant_queries(api, url(proposal), add_item, budget=6) == (2 if connection.vendor == "postgresql" else 3)


# --- send ---------------------------------------------------------------------------------------------------


def test_send_moves_draft_to_sent(api, org):
    proposal = make_proposal(org)
    response = api.post(url(proposal, "/send"))
    assert response.status_code == 200, response.content
    proposal.refresh_from_db()
    data = response.json()
    assert data == proposal_json(proposal)
    assert data["status"] == "Sent" and data["status_id"] == 1
    assert data["sent_at"] is not None and data["sent_at"] == data["updated_at"]


def test_send_includes_service_descriptions(api, org, service):
    proposal = make_proposal(org, services_=[service])
    assert api.post(url(proposal, "/send")).json()["items"][0]["service_description"] == "Keyword research"


def test_send_ignores_any_body(api, org):
    proposal = make_proposal(org)
    response = api.post(url(proposal, "/send"), data="{not json", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "Sent"


@pytest.mark.parametrize("status,label", [("sent", "Sent"), ("signed", "Signed")])
def test_send_from_another_status_is_refused(api, org, status, label):
    proposal = make_proposal(org, status=status)
    before = Proposal.unscoped.get(pk=proposal.pk)
    assert_detail(api.post(url(proposal, "/send")), 400, f"Cannot send proposal with status {label}")
    after = Proposal.unscoped.get(pk=proposal.pk)
    assert (after.status, after.sent_at, after.updated_at) == (before.status, before.sent_at, before.updated_at)


def test_send_rejected_proposal_is_refused(api, org):
    proposal = make_proposal(org)
    Proposal.unscoped.filter(pk=proposal.pk).update(status=ProposalStatus.REJECTED)
    assert_detail(api.post(url(proposal, "/send")), 400, "Cannot send proposal with status Rejected")


# --- sign ---------------------------------------------------------------------------------------------------


def test_sign_creates_client_and_order(api, org, service, service2):
    proposal = make_proposal(
        org,
        status="sent",
        client_email="Pat@Prospect.example.com",
        client_company="Prospect LLC",
        notes="Valid for 30 days",
        items=[
            {"service_id": str(service.pk), "quantity": 2, "price": Decimal("150.00")},
            {"service_id": str(service2.pk), "quantity": 1, "price": Decimal("0.50")},
        ],
    )
    response = api.post(url(proposal, "/sign"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert list(data) == ["proposal", "order"]
    proposal.refresh_from_db()
    assert data["proposal"] == proposal_json(proposal)
    assert data["proposal"]["status"] == "Signed" and data["proposal"]["status_id"] == 2
    assert data["proposal"]["signed_at"] == data["proposal"]["updated_at"]

    order = Order.unscoped.get(pk=data["order"]["id"])
    client = User.unscoped.get(organization=org, email="pat@prospect.example.com")
    assert data["order"] == {
        "id": str(order.pk),
        "number": order.number,
        "user_id": str(client.pk),
        "service_id": str(service.pk),
        "service": "Monthly SEO Package",
        "price": "300.50",
        "currency": "USD",
        "quantity": 1,
        "status": "Unpaid",
        "status_id": 0,
        "note": "Created from proposal. Valid for 30 days",
        "created_at": data["proposal"]["signed_at"],
    }
    assert len(order.number) == 8 and order.number.isalnum() and order.number.upper() == order.number
    assert data["proposal"]["converted_order_id"] == str(order.pk)
    assert order.organization_id == org.pk and order.invoice_id is None
    assert order.metadata == {
        "proposal_id": str(proposal.pk),
        "proposal_items": [
            {"service_id": str(service.pk), "service_name": "Monthly SEO Package", "quantity": 2, "price": "150.00"},
            {"service_id": str(service2.pk), "service_name": "Audit", "quantity": 1, "price": "0.50"},
        ],
    }
    assert order.form_data == {}
    assert (client.name_f, client.name_l, client.company) == ("Pat", "Prospect", "Prospect LLC")
    assert client.role == Role.objects.client_role() and client.status == 1 and client.balance == 0
    assert client.custom_fields == {} and client.address_id is None
    assert 100000 <= client.aff_id <= 999999 and client.aff_link.startswith("https://example.com/r/")


def test_sign_uses_existing_user_case_insensitively(api, org):
    existing = factories.make_client(org, email="known@example.com")
    proposal = make_proposal(org, status="sent", client_email="KNOWN@Example.com")
    users_before = User.unscoped.count()
    data = api.post(url(proposal, "/sign")).json()
    assert data["order"]["user_id"] == str(existing.pk)
    assert User.unscoped.count() == users_before


def test_sign_matches_team_members_too(api, org, owner):
    proposal = make_proposal(org, status="sent", client_email=owner.email)
    assert api.post(url(proposal, "/sign")).json()["order"]["user_id"] == str(owner.pk)


def test_sign_ignores_a_client_of_another_org(api, org, other_org):
    other = factories.make_client(other_org, email="shared@example.com")
    proposal = make_proposal(org, status="sent", client_email="shared@example.com")
    user_id = api.post(url(proposal, "/sign")).json()["order"]["user_id"]
    assert user_id != str(other.pk)
    assert User.unscoped.get(pk=user_id).organization_id == org.pk


def test_sign_note_without_notes(api, org):
    proposal = make_proposal(org, status="sent")
    assert api.post(url(proposal, "/sign")).json()["order"]["note"] == "Created from proposal."


def test_sign_with_a_soft_deleted_first_service_uses_its_current_name(api, org):
    service = factories.make_service(org, name="Old", currency="")
    proposal = make_proposal(org, status="sent", services_=[service])
    type(service).unscoped.filter(pk=service.pk).update(name="Current", deleted_at=timezone.now())
    order = api.post(url(proposal, "/sign")).json()["order"]
    assert order["service"] == "Current"
    assert order["currency"] == "USD"  # an empty service currency falls back to USD


@pytest.mark.parametrize("status,label", [("draft", "Draft"), ("signed", "Signed")])
def test_sign_from_another_status_is_refused(api, org, status, label):
    proposal = make_proposal(org, status=status)
    orders_before = Order.unscoped.count()
    assert_detail(api.post(url(proposal, "/sign")), 400, f"Cannot sign proposal with status {label}")
    assert Order.unscoped.count() == orders_before


def test_sign_twice_produces_one_order(api, org):
    proposal = make_proposal(org, status="sent")
    assert api.post(url(proposal, "/sign")).status_code == 200
    assert_detail(api.post(url(proposal, "/sign")), 400, "Cannot sign proposal with status Signed")
    assert Order.unscoped.filter(organization=org).count() == 1


def test_sign_without_client_role_is_500_and_writes_nothing(api, org):
    proposal = make_proposal(org, status="sent", client_email="new@example.com")
    Role.objects.filter(dashboard_access=0).update(dashboard_access=1)
    assert_detail(api.post(url(proposal, "/sign")), 500, "Client role not configured")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SENT and proposal.converted_order_id is None
    assert not Order.unscoped.exists()
    assert not User.unscoped.filter(email="new@example.com").exists()


def test_sign_ignores_any_body(api, org):
    proposal = make_proposal(org, status="sent")
    response = api.post(url(proposal, "/sign"), data="[1, 2", content_type="application/json")
    assert response.status_code == 200


def test_signed_order_and_client_are_visible_to_their_endpoints(api, org):
    proposal = make_proposal(org, status="sent", client_email="fresh@example.com")
    order_id = api.post(url(proposal, "/sign")).json()["order"]["id"]
    order = Order.objects.for_org(org).get(pk=order_id)
    assert order.user.email == "fresh@example.com"
