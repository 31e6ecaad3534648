"""Client pages (issue 15): server-rendered, phone-readable, the organization's name on top, no JavaScript.

Every page is reached through a signed link (`portal.links.resolve`); anything else — a tampered, expired or
revoked link, or one whose proposal/invoice/client is gone — answers the same 404 page. Forms post back to the
link's own URL: the unguessable token in the path is what authorizes them (a cross-site form cannot know it), so
they carry no CSRF cookie, which would break pages opened from an e-mail in a strict browser.
"""
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import documents, services as billing
from billing import stripe_gateway
from billing.models import Invoice, InvoiceItem, InvoiceStatus, Proposal, ProposalItem, ProposalSignature, ProposalStatus
from clients.models import Client
from orders.models import Order
from serviceengine.api.viewsets import OrgViewSet
from serviceengine.core.errors import DomainError

from . import links
from .models import LinkKind
from .services import client_magic_link

SIMULATED_PAYMENT_METHOD = "pm_simulated_client_page"
NAME_MAX = 255


# --- responses ------------------------------------------------------------------------------------------------


def private(response: HttpResponse) -> HttpResponse:
    """Client pages carry a secret in their URL: never cached by proxies, never sent on as a Referer, not indexed."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def not_found(request) -> HttpResponse:
    return private(render(request, "portal/not_found.html", status=404))


def page_url(token: str, name: str = "portal-page") -> str:
    return reverse(name, kwargs={"token": token})


def absolute(request, token: str, name: str = "portal-page") -> str:
    return f"{links.base_url(request)}{page_url(token, name)}"


# --- loading what a link names --------------------------------------------------------------------------------


def load_proposal(link) -> Proposal | None:
    items = ProposalItem.objects.for_org(link.organization_id).select_related("service").order_by("created_at", "id")
    return (
        Proposal.objects.for_org(link.organization_id)
        .filter(pk=link.object_id)
        .prefetch_related(Prefetch("items", queryset=items, to_attr="item_list"))
        .first()
    )


def load_invoice(link) -> Invoice | None:
    items = InvoiceItem.objects.for_org(link.organization_id).order_by("created_at", "id")
    return (
        Invoice.objects.for_org(link.organization_id)
        .filter(pk=link.object_id)
        .select_related("user")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="item_list"))
        .first()
    )


def resolve(token: str, kind: str | None = None):
    """(link, object) for a live link of `kind` (any when None), or (None, None)."""
    link = links.resolve(token)
    if link is None or (kind is not None and link.kind != kind):
        return None, None
    if link.kind == LinkKind.PROPOSAL:
        obj = load_proposal(link)
    elif link.kind == LinkKind.INVOICE:
        obj = load_invoice(link)
    else:
        obj = Client.objects.for_org(link.organization_id).filter(pk=link.object_id).first()
    return (link, obj) if obj is not None else (None, None)


def signature_of(proposal: Proposal) -> ProposalSignature | None:
    return ProposalSignature.objects.for_org(proposal.organization_id).filter(proposal=proposal).first()


# --- pages ----------------------------------------------------------------------------------------------------


def proposal_page(request, token, link, proposal, *, errors=None, form=None, status=200, message=None):
    document = documents.proposal_document(proposal, link.organization)
    context = {
        "organization": link.organization,
        "proposal": proposal,
        "document": document,
        "document_sha256": documents.sha256_hex(document),
        "signature": signature_of(proposal) if proposal.status == ProposalStatus.SIGNED else None,
        "can_sign": proposal.status == ProposalStatus.SENT,
        "errors": errors or {},
        "form": form or {},
        "message": message,
        "token": token,
    }
    return private(render(request, "portal/proposal.html", context, status=status))


def invoice_page(request, token, link, invoice, *, status=200, message=None):
    gateway = stripe_gateway.get_gateway()
    context = {
        "organization": link.organization,
        "invoice": invoice,
        "items": invoice.item_list,
        "payable": invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
        and invoice.user_id is not None,
        "payments_configured": gateway is not None,
        "paid": invoice.status == InvoiceStatus.PAID,
        "message": message,
        "token": token,
    }
    return private(render(request, "portal/invoice.html", context, status=status))


def client_page(request, token, link, client):
    org = link.organization_id
    context = {
        "organization": link.organization,
        "client": client,
        "proposals": Proposal.objects.for_org(org).filter(client_email=(client.email or "").lower()).order_by("-created_at", "id"),
        "invoices": Invoice.objects.for_org(org).filter(user=client).order_by("-created_at", "id"),
        "orders": Order.objects.for_org(org).filter(user=client).order_by("-created_at", "id"),
    }
    return private(render(request, "portal/client.html", context))


@require_GET
def page(request, token):
    link, obj = resolve(token)
    if link is None:
        return not_found(request)
    if link.kind == LinkKind.PROPOSAL:
        return proposal_page(request, token, link, obj)
    if link.kind == LinkKind.INVOICE:
        message = "Thank you: your payment is being confirmed." if request.GET.get("paid") and obj.status != InvoiceStatus.PAID else None
        return invoice_page(request, token, link, obj, message=message)
    return client_page(request, token, link, obj)


@csrf_exempt
@require_POST
def sign(request, token):
    link, proposal = resolve(token, LinkKind.PROPOSAL)
    if link is None:
        return not_found(request)
    name = " ".join((request.POST.get("name") or "").split())
    form = {"name": name}
    errors = {}
    if not name:
        errors["name"] = "Please type your full name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    if request.POST.get("agree") not in ("on", "1", "true", "yes"):
        errors["agree"] = "Please tick “I agree” to sign."
    if errors:
        return proposal_page(request, token, link, proposal, errors=errors, form=form, status=400)
    signer = billing.Signer(
        name=name,
        email=proposal.client_email,
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        method="client_page",
    )
    try:
        billing.proposal_sign(proposal=proposal, signer=signer, document_sha256=request.POST.get("document_sha256") or None)
    except DomainError as exc:
        fresh = load_proposal(link)
        if fresh is None:
            return not_found(request)
        if fresh.status == ProposalStatus.SIGNED:
            message = "This proposal has already been signed."
        else:
            message = exc.detail or exc.message or "The proposal could not be signed."
        return proposal_page(request, token, link, fresh, status=409, message=message)
    return private(redirect(page_url(token), permanent=False))


@require_GET
def pdf(request, token):
    link, obj = resolve(token)
    if link is None or link.kind == LinkKind.CLIENT:
        return not_found(request)
    if link.kind == LinkKind.PROPOSAL:
        body = documents.proposal_pdf(obj, link.organization, signature=signature_of(obj))
        name = f"proposal-{obj.pk}.pdf"
    else:
        body = documents.invoice_pdf(obj, link.organization)
        name = f"invoice-{obj.number}.pdf"
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return private(response)


@csrf_exempt
@require_POST
def pay(request, token):
    """The Pay button: a Stripe Checkout Session when Stripe is configured, the simulated checkout page when
    payments are simulated, an explanation otherwise."""
    link, invoice = resolve(token, LinkKind.INVOICE)
    if link is None:
        return not_found(request)
    if invoice.status == InvoiceStatus.PAID:
        return private(redirect(page_url(token)))
    gateway = stripe_gateway.get_gateway()
    if gateway is None:
        return invoice_page(request, token, link, invoice, status=503, message="Online payment is not available.")
    if isinstance(gateway, stripe_gateway.SimulatedGateway):
        return private(redirect(page_url(token, "portal-pay-simulated"), permanent=False))
    if invoice.status in billing.UNPAYABLE_STATUSES or invoice.user_id is None:
        return invoice_page(request, token, link, invoice, status=409, message=f"This invoice is {invoice.status_label}.")
    metadata = {"organization_id": str(invoice.organization_id), "invoice_id": str(invoice.pk)}
    try:
        session = stripe_gateway.create_checkout_session(
            amount=invoice.total,
            currency=invoice.currency,
            name=f"{link.organization.name} — invoice {invoice.number}",
            metadata=metadata,
            success_url=absolute(request, token) + "?paid=1",
            cancel_url=absolute(request, token),
            customer_email=invoice.user.email if invoice.user else None,
            client_reference_id=str(invoice.pk),
        )
    except stripe_gateway.PaymentUnavailable:
        return invoice_page(request, token, link, invoice, status=503,
                            message="The payment provider is unavailable; please try again later.")
    return private(redirect(session.url, permanent=False))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def pay_simulated(request, token):
    """Simulated mode's checkout: GET shows it, POST completes the payment through `charge`'s service."""
    link, invoice = resolve(token, LinkKind.INVOICE)
    if link is None or not isinstance(stripe_gateway.get_gateway(), stripe_gateway.SimulatedGateway):
        return not_found(request)
    if request.method == "GET":
        context = {"organization": link.organization, "invoice": invoice, "token": token}
        return private(render(request, "portal/pay_simulated.html", context))
    try:
        billing.invoice_charge(
            invoice=invoice, payment_method_id=SIMULATED_PAYMENT_METHOD, ip_address=request.META.get("REMOTE_ADDR")
        )
    except DomainError as exc:
        fresh = load_invoice(link)
        if fresh is not None and fresh.status == InvoiceStatus.PAID:
            return private(redirect(page_url(token)))
        return invoice_page(request, token, link, fresh or invoice, status=409,
                            message=exc.message or exc.detail or "The payment could not be completed.")
    return private(redirect(page_url(token)))


# --- API: magic links -----------------------------------------------------------------------------------------


MAGIC_LINK_RESPONSE = inline_serializer(
    "ClientMagicLink", fields={"url": serializers.URLField(), "expires_at": serializers.DateTimeField()}
)


class ClientMagicLinkViewSet(OrgViewSet):
    """`POST /api/clients/{id}/magic_link` → 201 `{"url", "expires_at"}`."""

    model = Client

    @extend_schema(request=None, responses={201: MAGIC_LINK_RESPONSE})
    @action(detail=True, methods=["post"], url_path="magic_link")
    def magic_link(self, request, pk=None):
        from serviceengine.api.fields import format_datetime

        client = self.get_object()
        url, expires_at = client_magic_link(client=client, request=request)
        return Response({"url": url, "expires_at": format_datetime(expires_at)}, status=http_status.HTTP_201_CREATED)
