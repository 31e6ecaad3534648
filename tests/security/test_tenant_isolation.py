"""Tenant isolation, cell by cell (contract §4): organization B's token never reaches organization A's rows.

- in a path, A's id behaves exactly like a random UUID: the same status and body (404 Not Found), nothing written;
- in lists and filters, A's rows never appear;
- in a body, A's id is refused with the same 422 as an unknown id, nothing written; tag names are per
  organization, so B naming A's tag creates B's own tag.

A is `tenant_a`, B is `tenant_b` (tests/security/conftest.py); `api_b` carries B's token.
"""
import json
import uuid

import pytest

from billing.models import Invoice
from orders.models import Order, OrderTag, Tag
from support.models import Ticket, TicketTag

from .conftest import assert_same_snapshot, snapshot

NOT_FOUND = {"detail": "Not Found"}
ITEM = {"name": "Work", "quantity": 1, "amount": 10}


def call(api, method, path, body=None):
    if body is None:
        return getattr(api, method.lower())(path)
    return getattr(api, method.lower())(path, body, format="json")


def body_of(response):
    return response.json() if response.content else None


# --- A's ids in paths: every resource, every method ------------------------------------------------------------

PATH_CELLS = [
    ("clients GET", "GET", "/api/clients/{}", None, "client"),
    ("clients PUT", "PUT", "/api/clients/{}", {"name_f": "Mallory"}, "client"),
    ("clients DELETE", "DELETE", "/api/clients/{}", None, "client"),
    ("clients activity GET", "GET", "/api/clients/{}/activity", None, "client"),
    ("services GET", "GET", "/api/services/{}", None, "service"),
    ("services PUT", "PUT", "/api/services/{}", {"name": "Hijacked"}, "service"),
    ("services DELETE", "DELETE", "/api/services/{}", None, "service"),
    ("orders GET", "GET", "/api/orders/{}", None, "order"),
    ("orders PUT", "PUT", "/api/orders/{}", {"note": "mine now", "status": 2}, "order"),
    ("orders DELETE", "DELETE", "/api/orders/{}", None, "order"),
    ("orders tasks GET", "GET", "/api/orders/{}/tasks", None, "order"),
    ("orders tasks POST", "POST", "/api/orders/{}/tasks", {"name": "Planted task"}, "order"),
    ("orders messages GET", "GET", "/api/orders/{}/messages", None, "order"),
    ("orders messages POST", "POST", "/api/orders/{}/messages", {"message": "Planted message"}, "order"),
    ("order-tasks PUT", "PUT", "/api/order-tasks/{}", {"name": "Renamed"}, "task"),
    ("order-tasks DELETE", "DELETE", "/api/order-tasks/{}", None, "task"),
    ("order-tasks complete POST", "POST", "/api/order-tasks/{}/complete", None, "task"),
    ("order-tasks complete DELETE", "DELETE", "/api/order-tasks/{}/complete", None, "task"),
    ("order-messages DELETE", "DELETE", "/api/order-messages/{}", None, "message"),
    ("proposals GET", "GET", "/api/proposals/{}", None, "proposal"),
    ("proposals send", "POST", "/api/proposals/{}/send", None, "proposal"),
    ("proposals sign", "POST", "/api/proposals/{}/sign", None, "sent_proposal"),
    ("invoices GET", "GET", "/api/invoices/{}", None, "invoice"),
    ("invoices PUT", "PUT", "/api/invoices/{}", {"items": [ITEM], "note": "mine now"}, "invoice"),
    ("invoices DELETE", "DELETE", "/api/invoices/{}", None, "invoice"),
    ("invoices charge", "POST", "/api/invoices/{}/charge", {"payment_method_id": "pm_card_visa"}, "invoice"),
    ("invoices mark_paid", "POST", "/api/invoices/{}/mark_paid", None, "invoice"),
    ("tickets GET", "GET", "/api/tickets/{}", None, "ticket"),
    ("tickets PUT", "PUT", "/api/tickets/{}", {"subject": "Hijacked", "status": 3}, "ticket"),
    ("tickets DELETE", "DELETE", "/api/tickets/{}", None, "ticket"),
    ("tickets messages GET", "GET", "/api/tickets/{}/messages", None, "ticket"),
    ("tickets messages POST", "POST", "/api/tickets/{}/messages", {"message": "Planted"}, "ticket"),
    ("ticket-messages DELETE", "DELETE", "/api/ticket-messages/{}", None, "ticket_message"),
    ("coupons GET", "GET", "/api/coupons/{}", None, "coupon"),
    ("coupons PUT", "PUT", "/api/coupons/{}", {"code": "HIJACKED", "max_redemptions": 1}, "coupon"),
    ("coupons DELETE", "DELETE", "/api/coupons/{}", None, "coupon"),
    ("tags GET", "GET", "/api/tags/{}", None, "tag"),
    ("tags PUT", "PUT", "/api/tags/{}", {"name": "Hijacked"}, "tag"),
    ("tags DELETE", "DELETE", "/api/tags/{}", None, "tag"),
    ("team GET", "GET", "/api/team/{}", None, "member"),
    ("engagements GET", "GET", "/api/engagements/{}", None, "engagement"),
    ("engagements PUT", "PUT", "/api/engagements/{}", {"name": "Hijacked", "status": 2}, "engagement"),
    ("engagements DELETE", "DELETE", "/api/engagements/{}", None, "engagement"),
    ("projects GET", "GET", "/api/projects/{}", None, "project"),
    ("projects PUT", "PUT", "/api/projects/{}", {"name": "Hijacked", "phase": 2}, "project"),
    ("projects DELETE", "DELETE", "/api/projects/{}", None, "project"),
    ("projects advance", "POST", "/api/projects/{}/advance", None, "project"),
    ("conversations GET", "GET", "/api/conversations/{}", None, "conversation"),
    ("conversations PUT", "PUT", "/api/conversations/{}", {"subject": "Hijacked", "status": 2}, "conversation"),
    ("conversations DELETE", "DELETE", "/api/conversations/{}", None, "conversation"),
    ("conversations messages GET", "GET", "/api/conversations/{}/messages", None, "conversation"),
    ("conversations messages POST", "POST", "/api/conversations/{}/messages", {"content": "Planted"},
     "conversation"),
    ("conversation-messages DELETE", "DELETE", "/api/conversation-messages/{}", None, "conversation_message"),
    ("subscriptions GET", "GET", "/api/subscriptions/{}", None, "billing_plan"),
    ("subscriptions PUT", "PUT", "/api/subscriptions/{}", {"currency": "EUR"}, "billing_plan"),
    ("subscriptions pause", "POST", "/api/subscriptions/{}/pause", None, "billing_plan"),
    ("subscriptions resume", "POST", "/api/subscriptions/{}/resume", None, "billing_plan"),
    ("subscriptions cancel", "POST", "/api/subscriptions/{}/cancel", None, "billing_plan"),
]


@pytest.mark.parametrize(("method", "path", "body", "target"), [pytest.param(*c[1:], id=c[0]) for c in PATH_CELLS])
def test_other_tenants_id_in_path_is_not_found(
    api_b, tenant_a, tenant_b, payments_simulated, method, path, body, target
):
    before = snapshot()
    foreign = call(api_b, method, path.format(getattr(tenant_a, target).pk), body)
    assert_same_snapshot(before, snapshot())
    unknown = call(api_b, method, path.format(uuid.uuid4()), body)
    assert (foreign.status_code, body_of(foreign)) == (unknown.status_code, body_of(unknown)) == (404, NOT_FOUND)


# --- lists and filters -----------------------------------------------------------------------------------------

LIST_CELLS = [
    ("clients", {}),
    ("clients", {"filters[id][$in][]": "{a.client.pk}"}),
    ("clients", {"filters[id][$eq]": "{a.client.pk}"}),
    ("clients", {"filters[email][$eq]": "{a.client.email}"}),
    ("services", {}),
    ("services", {"filters[id][$in][]": "{a.service.pk}"}),
    ("services", {"filters[folder_id][$eq]": "{a.folder.pk}"}),
    ("orders", {}),
    ("orders", {"filters[id][$in][]": "{a.order.pk}"}),
    ("orders", {"filters[user_id][$eq]": "{a.client.pk}"}),
    ("orders", {"filters[service_id][$eq]": "{a.service.pk}"}),
    ("orders", {"filters[number][$eq]": "{a.order.number}"}),
    ("proposals", {}),
    ("proposals", {"filters[id][$in][]": "{a.proposal.pk}"}),
    ("proposals", {"filters[client_email][$eq]": "{a.proposal.client_email}"}),
    ("invoices", {}),
    ("invoices", {"filters[id][$in][]": "{a.invoice.pk}"}),
    ("invoices", {"filters[user_id][$eq]": "{a.client.pk}"}),
    ("coupons", {}),
    ("coupons", {"filters[id][$in][]": "{a.coupon.pk}"}),
    ("coupons", {"filters[code][$eq]": "{a.coupon.code}"}),
    ("tickets", {}),
    ("tickets", {"filters[user_id][$eq]": "{a.client.pk}"}),
    ("tickets", {"filters[order_id][$eq]": "{a.order.pk}"}),
    ("engagements", {}),
    ("engagements", {"client_id": "{a.client.pk}"}),
    ("engagements", {"filters[id][$in][]": "{a.engagement.pk}"}),
    ("projects", {}),
    ("projects", {"engagement_id": "{a.engagement.pk}"}),
    ("projects", {"filters[service_id][$eq]": "{a.service.pk}"}),
    ("conversations", {}),
    ("conversations", {"engagement_id": "{a.engagement.pk}"}),
    ("conversations", {"project_id": "{a.project.pk}", "include_internal": "true"}),
    ("subscriptions", {}),
    ("subscriptions", {"filters[id][$in][]": "{a.billing_plan.pk}"}),
    ("subscriptions", {"filters[client_id][$eq]": "{a.client.pk}"}),
]


def ids_of(namespace) -> set[str]:
    return {str(value.pk) for value in vars(namespace).values() if hasattr(value, "pk")}


@pytest.mark.parametrize(
    ("resource", "query"), LIST_CELLS, ids=[f"{r} {'&'.join(q) or 'unfiltered'}" for r, q in LIST_CELLS]
)
def test_other_tenants_rows_never_appear_in_lists(api_b, tenant_a, tenant_b, resource, query):
    params = {key: value.format(a=tenant_a) for key, value in query.items()}
    response = api_b.get(f"/api/{resource}", params)
    assert response.status_code == 200, response.content
    text = response.content.decode()
    leaked = [i for i in ids_of(tenant_a) if i in text]
    assert not leaked, leaked
    total = response.json()["meta"]["total"]
    assert total == 0 if params else total >= 1  # unfiltered, B's own rows are listed: the check can see rows


@pytest.mark.parametrize("nested", ["tasks", "messages"])
def test_nested_lists_of_own_order_hold_only_own_rows(api_b, tenant_a, tenant_b, nested):
    response = api_b.get(f"/api/orders/{tenant_b.order.pk}/{nested}")
    assert response.status_code == 200 and len(response.json()) == 1
    assert not [i for i in ids_of(tenant_a) if i in response.content.decode()]


# --- A's ids inside B's bodies ---------------------------------------------------------------------------------


def b_ref(b, name):
    return str(getattr(b, name).pk)


BODY_CELLS = [
    ("orders create user_id", "POST", "/api/orders", lambda b, ref: {"user_id": ref, "service": "Work"},
     "client", "user_id"),
    ("orders create service_id", "POST", "/api/orders",
     lambda b, ref: {"user_id": b_ref(b, "client"), "service_id": ref}, "service", "service_id"),
    ("orders create employees", "POST", "/api/orders",
     lambda b, ref: {"user_id": b_ref(b, "client"), "service": "Work", "employees": [ref]}, "member", "employees"),
    ("orders update service_id", "PUT", "/api/orders/{b.order.pk}", lambda b, ref: {"service_id": ref},
     "service", "service_id"),
    ("orders update employees", "PUT", "/api/orders/{b.order.pk}", lambda b, ref: {"employees": [ref]},
     "member", "employees"),
    ("tasks create employee_ids", "POST", "/api/orders/{b.order.pk}/tasks",
     lambda b, ref: {"name": "Task", "employee_ids": [ref]}, "member", "employee_ids"),
    ("tasks update employee_ids", "PUT", "/api/order-tasks/{b.task.pk}", lambda b, ref: {"employee_ids": [ref]},
     "member", "employee_ids"),
    ("services create folder_id", "POST", "/api/services",
     lambda b, ref: {"name": "S", "recurring": 0, "currency": "USD", "folder_id": ref}, "folder", "folder_id"),
    ("services create employees", "POST", "/api/services",
     lambda b, ref: {"name": "S", "recurring": 0, "currency": "USD", "employees": [ref]}, "member", "employees"),
    ("services update folder_id", "PUT", "/api/services/{b.service.pk}", lambda b, ref: {"folder_id": ref},
     "folder", "folder_id"),
    ("services update employees", "PUT", "/api/services/{b.service.pk}", lambda b, ref: {"employees": [ref]},
     "member", "employees"),
    ("invoices create user_id", "POST", "/api/invoices", lambda b, ref: {"user_id": ref, "items": [ITEM]},
     "client", "user_id"),
    ("invoices create user_id (team member)", "POST", "/api/invoices",
     lambda b, ref: {"user_id": ref, "items": [ITEM]}, "member", "user_id"),
    ("invoices create coupon_id", "POST", "/api/invoices",
     lambda b, ref: {"user_id": b_ref(b, "client"), "coupon_id": ref, "items": [ITEM]}, "coupon", "coupon_id"),
    ("invoices create items service_id", "POST", "/api/invoices",
     lambda b, ref: {"user_id": b_ref(b, "client"), "items": [ITEM, {**ITEM, "service_id": ref}]},
     "service", "items.1.service_id"),
    ("invoices update user_id", "PUT", "/api/invoices/{b.invoice.pk}",
     lambda b, ref: {"user_id": ref, "items": [ITEM]}, "client", "user_id"),
    ("invoices update coupon_id", "PUT", "/api/invoices/{b.invoice.pk}",
     lambda b, ref: {"coupon_id": ref, "items": [ITEM]}, "coupon", "coupon_id"),
    ("invoices update items service_id", "PUT", "/api/invoices/{b.invoice.pk}",
     lambda b, ref: {"items": [{**ITEM, "service_id": ref}]}, "service", "items.0.service_id"),
    ("coupons create service_ids", "POST", "/api/coupons",
     lambda b, ref: {"code": "NEW10", "type": "percent", "amount": 10, "service_ids": [b_ref(b, "service"), ref]},
     "service", "service_ids"),
    ("coupons update service_ids", "PUT", "/api/coupons/{b.coupon.pk}",
     lambda b, ref: {"service_ids": [ref]}, "service", "service_ids"),
    ("proposals create items service", "POST", "/api/proposals",
     lambda b, ref: {"client_email": "pat@prospects.example.com", "client_name_f": "Pat", "client_name_l": "Q",
                     "items": [{"service_id": b_ref(b, "service"), "price": 5}, {"service_id": ref, "price": 5}]},
     "service", "items"),
    ("tickets create user_id", "POST", "/api/tickets", lambda b, ref: {"user_id": ref, "subject": "Help"},
     "client", "user_id"),
    ("tickets create order_id", "POST", "/api/tickets",
     lambda b, ref: {"user_id": b_ref(b, "client"), "subject": "Help", "order_id": ref}, "order", "order_id"),
    ("tickets create employees", "POST", "/api/tickets",
     lambda b, ref: {"user_id": b_ref(b, "client"), "subject": "Help", "employees": [ref]}, "member", "employees"),
    ("tickets update order_id", "PUT", "/api/tickets/{b.ticket.pk}", lambda b, ref: {"order_id": ref},
     "order", "order_id"),
    ("tickets update employees", "PUT", "/api/tickets/{b.ticket.pk}", lambda b, ref: {"employees": [ref]},
     "member", "employees"),
    ("engagements create client_id", "POST", "/api/engagements", lambda b, ref: {"client_id": ref},
     "client", "client_id"),
    ("engagements create proposal_id", "POST", "/api/engagements",
     lambda b, ref: {"client_id": b_ref(b, "client"), "proposal_id": ref}, "proposal", "proposal_id"),
    ("projects create engagement_id", "POST", "/api/projects", lambda b, ref: {"engagement_id": ref, "name": "P"},
     "engagement", "engagement_id"),
    ("projects create service_id", "POST", "/api/projects",
     lambda b, ref: {"engagement_id": b_ref(b, "engagement"), "name": "P", "service_id": ref},
     "service", "service_id"),
    ("conversations create project_id", "POST", "/api/conversations", lambda b, ref: {"project_id": ref},
     "project", "project_id"),
    ("subscriptions create client_id", "POST", "/api/subscriptions",
     lambda b, ref: {"client_id": ref, "interval": "month", "items": [{"name": "P", "price": 1}]}, "client", "client_id"),
    ("subscriptions create items service_id", "POST", "/api/subscriptions",
     lambda b, ref: {"client_id": b_ref(b, "client"), "interval": "month",
                     "items": [{"name": "P", "price": 1}, {"name": "Q", "price": 1, "service_id": ref}]},
     "service", "items.1.service_id"),
    ("subscriptions update client_id", "PUT", "/api/subscriptions/{b.billing_plan.pk}",
     lambda b, ref: {"client_id": ref}, "client", "client_id"),
    ("subscriptions update items service_id", "PUT", "/api/subscriptions/{b.billing_plan.pk}",
     lambda b, ref: {"items": [{"name": "P", "price": 1, "service_id": ref}]}, "service", "items.0.service_id"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "target", "key"), [pytest.param(*c[1:], id=c[0]) for c in BODY_CELLS]
)
def test_other_tenants_id_in_body_is_refused_like_an_unknown_id(
    api_b, tenant_a, tenant_b, payments_simulated, method, path, body, target, key
):
    url = path.format(b=tenant_b)
    foreign_id, unknown_id = str(getattr(tenant_a, target).pk), str(uuid.uuid4())
    before = snapshot()
    foreign = call(api_b, method, url, body(tenant_b, foreign_id))
    assert_same_snapshot(before, snapshot())
    unknown = call(api_b, method, url, body(tenant_b, unknown_id))
    assert foreign.status_code == unknown.status_code == 422, foreign.content
    assert list(foreign.json()["errors"]) == [key]
    # Messages may quote the id sent (`Employee with ID {id} does not exist.`): compare with it masked.
    masked = json.dumps(foreign.json()).replace(foreign_id, "<id>")
    assert masked == json.dumps(unknown.json()).replace(unknown_id, "<id>")


# --- tags and emails are looked up per organization ------------------------------------------------------------

TAG_CELLS = [
    ("orders create", "POST", "/api/orders", lambda b, name: {"user_id": b_ref(b, "client"), "service": "W",
                                                               "tags": [name]}, Order, OrderTag),
    ("orders update", "PUT", "/api/orders/{b.order.pk}", lambda b, name: {"tags": [name]}, Order, OrderTag),
    ("tickets create", "POST", "/api/tickets", lambda b, name: {"user_id": b_ref(b, "client"), "subject": "H",
                                                                 "tags": [name]}, Ticket, TicketTag),
    ("tickets update", "PUT", "/api/tickets/{b.ticket.pk}", lambda b, name: {"tags": [name]}, Ticket, TicketTag),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "model", "link"), [pytest.param(*c[1:], id=c[0]) for c in TAG_CELLS]
)
def test_naming_another_tenants_tag_creates_an_own_tag(api_b, tenant_a, tenant_b, method, path, body, model, link):
    a_links = list(link.unscoped.filter(tag=tenant_a.tag).values_list("pk", flat=True))
    response = call(api_b, method, path.format(b=tenant_b), body(tenant_b, tenant_a.tag.name))
    assert response.status_code in (200, 201), response.content
    assert response.json()["tags"] == [tenant_a.tag.name]
    own = Tag.unscoped.get(organization=tenant_b.org, name=tenant_a.tag.name)
    parent = model.unscoped.get(pk=response.json()["id"])
    assert [tag_link.tag_id for tag_link in link.unscoped.filter(**{model._meta.model_name: parent})] == [own.pk]
    assert list(link.unscoped.filter(tag=tenant_a.tag).values_list("pk", flat=True)) == a_links


def test_invoice_by_email_of_another_tenants_client_bills_an_own_client(api_b, tenant_a, tenant_b):
    response = api_b.post("/api/invoices", {"email": tenant_a.client.email, "items": [ITEM]}, format="json")
    assert response.status_code == 201, response.content
    invoice = Invoice.unscoped.select_related("user").get(pk=response.json()["id"])
    assert invoice.user.organization_id == tenant_b.org.pk and invoice.user.pk != tenant_a.client.pk
    assert response.json()["client"]["id"] == str(invoice.user.pk)


def test_signing_with_another_tenants_client_email_opens_an_order_for_an_own_client(api_b, tenant_a, tenant_b):
    from tests.billing.factories import make_proposal

    proposal = make_proposal(tenant_b.org, status="sent", services_=[tenant_b.service],
                             client_email=tenant_a.client.email)
    response = api_b.post(f"/api/proposals/{proposal.pk}/sign")
    assert response.status_code == 200, response.content
    order = Order.unscoped.select_related("user").get(pk=response.json()["order"]["id"])
    assert order.user.organization_id == tenant_b.org.pk and order.user.pk != tenant_a.client.pk
