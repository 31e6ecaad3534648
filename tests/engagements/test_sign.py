"""Signing a proposal opens an engagement and one project per item, in the sign's transaction (Decision 1)."""
from unittest import mock

from billing.models import Proposal
from engagements.models import Engagement, Project
from orders.models import Order
from tests import factories
from tests.billing.factories import make_proposal

SIGN_ORDER_KEYS = ["id", "number", "user_id", "service_id", "service", "price", "currency", "quantity", "status",
                   "status_id", "note", "created_at"]


def test_sign_opens_the_engagement_and_its_projects(api, org):
    seo = factories.make_service(org, name="Monthly SEO Package", description="Keywords")
    audit = factories.make_service(org, name="Audit", description=None)
    proposal = make_proposal(org, status="sent", services_=[seo, audit], client_company="  Prospect LLC ",
                             client_email="pat@prospect.example.com")
    audit.name = "Website Audit"  # the service's current name at sign time
    audit.save()
    resp = api.post(f"/api/proposals/{proposal.id}/sign")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert list(body) == ["proposal", "order"]
    assert list(body["order"]) == SIGN_ORDER_KEYS  # the compact order is unchanged
    engagement = Engagement.objects.for_org(org).get()
    assert body["proposal"]["converted_engagement_id"] == str(engagement.id)
    order = Order.objects.for_org(org).get()
    assert order.engagement_id == engagement.id
    assert set(order.metadata) == {"proposal_id", "proposal_items"}
    assert (engagement.name, engagement.status, engagement.proposal_id) == ("Prospect LLC", 1, proposal.id)
    assert engagement.client.email == "pat@prospect.example.com"
    projects = api.get(f"/api/engagements/{engagement.id}").json()["projects"]
    assert [(p["name"], p["phase"], p["status"]) for p in projects] == [
        ("Monthly SEO Package", "Kickoff", "Active"), ("Website Audit", "Kickoff", "Active")]
    rows = Project.objects.for_org(org).order_by("created_at", "id")
    assert [(p.service_id, p.description) for p in rows] == [(seo.id, "Keywords"), (audit.id, None)]
    assert api.get(f"/api/orders/{order.id}").json()["engagement_id"] == str(engagement.id)
    listed = api.get("/api/proposals").json()["data"][0]
    assert listed["converted_engagement_id"] == str(engagement.id)


def test_engagement_is_named_after_the_client_without_a_company(api, org):
    proposal = make_proposal(org, status="sent", client_company="   ", client_name_f="Sam", client_name_l="Sent")
    api.post(f"/api/proposals/{proposal.id}/sign")
    assert Engagement.objects.for_org(org).get().name == "Sam Sent"


def test_orders_created_otherwise_have_no_engagement(api, org):
    client = factories.make_client(org)
    resp = api.post("/api/orders", {"user_id": str(client.id), "service": "Custom", "engagement_id": str(client.id)},
                    format="json")
    assert resp.status_code == 201
    assert resp.json()["engagement_id"] is None
    draft = make_proposal(org)
    assert api.get(f"/api/proposals/{draft.id}").json()["converted_engagement_id"] is None


def test_a_failing_sign_opens_nothing(api, org):
    proposal = make_proposal(org, status="sent")
    with mock.patch("engagements.services.Project.all_objects.create", side_effect=RuntimeError("boom")):
        resp = api.post(f"/api/proposals/{proposal.id}/sign")
    assert resp.status_code == 500
    assert not Engagement.unscoped.exists() and not Order.unscoped.exists()
    proposal.refresh_from_db()
    assert proposal.status == 1 and proposal.converted_engagement_id is None


def test_second_sign_opens_no_second_engagement(api, org):
    proposal = make_proposal(org, status="sent")
    assert api.post(f"/api/proposals/{proposal.id}/sign").status_code == 200
    assert api.post(f"/api/proposals/{proposal.id}/sign").status_code == 400
    assert Engagement.objects.for_org(org).count() == 1
    assert Proposal.objects.for_org(org).get().converted_engagement_id is not None
