"""`/api/proposals` and `/api/invoices` (contract proposals.md, invoices.md). Each action validates its body
(before the path id, README §6), calls one service from `billing.services`, and renders the read serializer."""
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceengine.api.pagination import PageLinksPagination
from serviceengine.api.schema import CLIENT_ROLE_MISSING, error_response
from orders.views import ORDERS
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import documents, services, stripe_events, stripe_gateway
from .filters import (
    COUPON_FILTER_FIELDS, COUPON_SEARCH_FIELDS, COUPON_SORT_FIELDS, INVOICE_FILTER_FIELDS, INVOICE_SEARCH_FIELDS, INVOICE_SORT_FIELDS, PROPOSAL_FILTER_FIELDS, PROPOSAL_SEARCH_FIELDS,
    PROPOSAL_SORT_FIELDS,
)
from .models import Coupon, Invoice, Proposal, ProposalSignature
from .serializers import (
    CouponCreateSerializer, CouponSerializer, CouponUpdateSerializer,
    InvoiceChargeSerializer, InvoiceCreateSerializer, InvoiceSerializer, InvoiceUpdateSerializer,
    ProposalRowSerializer, ProposalOrderSerializer, ProposalSerializer, ProposalSignSerializer,
    ProposalWriteSerializer,
)

PROPOSALS = Resource(
    model=Proposal,
    read=ProposalSerializer,
    list_read=ProposalRowSerializer,  # list rows carry no items
    create=ProposalWriteSerializer,
    filters=PROPOSAL_FILTER_FIELDS,
    sorts=PROPOSAL_SORT_FIELDS,
    counted=True,
    search=PROPOSAL_SEARCH_FIELDS,
)
INVOICES = Resource(
    model=Invoice,
    read=InvoiceSerializer,
    create=InvoiceCreateSerializer,
    update=InvoiceUpdateSerializer,
    filters=INVOICE_FILTER_FIELDS,
    sorts=INVOICE_SORT_FIELDS,
    counted=True,
    search=INVOICE_SEARCH_FIELDS,
)

COUPONS = Resource(
    model=Coupon,
    read=CouponSerializer,
    create=CouponCreateSerializer,
    update=CouponUpdateSerializer,
    filters=COUPON_FILTER_FIELDS,
    sorts=COUPON_SORT_FIELDS,
    search=COUPON_SEARCH_FIELDS,
)


class ProposalViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """List, create, retrieve, send and sign proposals. No update or delete (those methods answer 405)."""

    # queries: list → token 1 + page 1 (the live total inside) = 2 (rows carry no items);
    #          retrieve → token 1 + proposal 1 + items with their services joined 1 = 3 (a soft-deleted service
    #          still names its items: a join never filters); PostgreSQL 2 (the items inside the proposal's row)
    resource = PROPOSALS
    pagination_class = PageLinksPagination  # the only list whose meta has `links` (contract defect 22)

    @extend_schema(request=ProposalWriteSerializer, responses={201: ProposalSerializer})
    def create(self, request):
        data = self.validated(ProposalWriteSerializer)
        proposal = services.proposal_create(organization=self.organization, **data)
        return self.respond(proposal, http_status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: ProposalSerializer,
            400: error_response("The proposal is not a draft (`Cannot send proposal with status Sent`)."),
        },
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        # No body: whatever is sent is ignored (contract §2), so `validated()` is never called here.
        proposal = services.proposal_send(proposal=self.get_object(), base_url=portal_base_url(request))
        return self.respond(proposal)

    @extend_schema(
        request=None,
        responses={
            200: ProposalSignSerializer,
            400: error_response("The proposal has not been sent (`Cannot sign proposal with status Draft`)."),
            500: CLIENT_ROLE_MISSING,
        },
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        # The agency records the signature: the evidence names the proposal's client and the API caller's
        # connection (issue 15); the client's own signature comes from the client page. The proposal is read once,
        # by the service, under its lock: here only its id (a missing, foreign or deleted one is the service's 404).
        signer = services.Signer(
            ip_address=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", ""), method="api"
        )
        proposal, order = services.proposal_sign(proposal=self.path_ref(), signer=signer)
        fresh = self.read_row(proposal.pk)
        placed = self.read_row(order.pk, ProposalOrderSerializer, resource=ORDERS)
        return Response({"proposal": self.read(fresh, ProposalSerializer),
                         "order": self.read(placed, ProposalOrderSerializer)})

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        proposal = self.get_object()
        body = documents.proposal_pdf(proposal, proposal.organization, signature=signature_of(proposal))
        return pdf_response(body, f"proposal-{proposal.pk}.pdf")


class InvoiceViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """List, create, retrieve, update (PUT) and soft-delete invoices; charge them or mark them paid."""

    # queries: list → token 1 + page with client, address and role (the live total inside) 1 + items 1 = 3;
    #          retrieve → token 1 + invoice with client, address and role 1 + items 1 = 3
    #          (PostgreSQL: the items inside the rows: 2 and 2)
    resource = INVOICES
    non_atomic_actions = frozenset({"charge"})  # the payment provider is called outside any transaction

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer, 500: CLIENT_ROLE_MISSING})
    def create(self, request):
        data = self.validated(InvoiceCreateSerializer)
        invoice = services.invoice_create(organization=self.organization, **data)
        return self.respond(invoice, http_status.HTTP_201_CREATED)

    @extend_schema(request=InvoiceUpdateSerializer, responses={200: InvoiceSerializer})
    def update(self, request, pk=None):
        data = dict(self.validated(InvoiceUpdateSerializer))
        invoice = self.get_object()
        invoice = services.invoice_update(invoice=invoice, items=data.pop("items"), **data)
        return self.respond(invoice)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.invoice_delete(invoice=self.get_object())
        return self.no_content()

    @extend_schema(
        request=InvoiceChargeSerializer,
        responses={
            200: InvoiceSerializer,
            503: error_response(
                "Payments are not configured (`Payments are not configured.`), the payment processor is unreachable "
                "(`Payment provider unavailable.`) or the database is (`Service temporarily unavailable.`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def charge(self, request, pk=None):
        data = self.validated(InvoiceChargeSerializer)
        # Not inside a request transaction (`non_atomic_actions`): the service commits its claim, calls the provider
        # holding no lock, then applies the outcome; a decline is an ordinary DomainError (400).
        invoice = services.invoice_charge(
            invoice=self.get_object(),
            payment_method_id=data["payment_method_id"],
            ip_address=request.META.get("REMOTE_ADDR"),  # the connection's peer, never a forwarded header
        )
        return self.respond(invoice)

    @extend_schema(
        request=None,
        responses={
            200: InvoiceSerializer,
            400: error_response(
                "No client, or a Refunded or Cancelled invoice (`Cannot mark Refunded invoice as paid.`)."
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="mark_paid")
    def mark_paid(self, request, pk=None):
        # No body: whatever is sent is ignored (contract §2).
        invoice = services.invoice_mark_paid(invoice=self.get_object())
        return self.respond(invoice)

    @extend_schema(
        request=None,
        responses={
            200: InvoiceSerializer,
            400: error_response(
                "Paid, Refunded or Cancelled (`Cannot send invoice with status Paid`), or the client has no e-mail."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        # No body: whatever is sent is ignored (contract §2).
        invoice = services.invoice_send(invoice=self.get_object(), base_url=portal_base_url(request))
        return self.respond(invoice)

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        return pdf_response(documents.invoice_pdf(invoice, invoice.organization), f"invoice-{invoice.number}.pdf")


class CouponViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """`/api/coupons` (issue 16): list, create, retrieve, update (PUT, partial) and soft-delete the organization's
    coupons. Rules in `billing.services.coupon_check`; a deleted coupon disappears from every endpoint and can no
    longer be applied, while the invoices it was applied to keep it and their discount."""

    # queries: list → token 1 + count 1 + page 1 = 3; retrieve → token 1 + coupon 1 = 2
    resource = COUPONS

    @extend_schema(request=CouponCreateSerializer, responses={201: CouponSerializer})
    def create(self, request):
        data = self.validated(CouponCreateSerializer)
        coupon = services.coupon_create(organization=self.organization, data=data)
        return self.respond(coupon, http_status.HTTP_201_CREATED)

    @extend_schema(request=CouponUpdateSerializer, responses={200: CouponSerializer})
    def update(self, request, pk=None):
        changes = self.validated(CouponUpdateSerializer)  # contract §6: schema errors before the path id
        coupon = services.coupon_update(coupon=self.get_object(), changes=changes)
        return self.respond(coupon)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.coupon_delete(coupon=self.get_object())
        return self.no_content()


def portal_base_url(request) -> str:
    """The origin of e-mailed client links: PUBLIC_BASE_URL, else this request's own origin."""
    return (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/") or f"{request.scheme}://{request.get_host()}"


def signature_of(proposal):
    try:
        return proposal.signature
    except ProposalSignature.DoesNotExist:
        return None


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


STRIPE_EVENT_REQUEST = inline_serializer(
    "StripeEventPayload",
    fields={
        "id": drf_serializers.CharField(),
        "type": drf_serializers.CharField(),
        "data": drf_serializers.DictField(),
    },
)
STRIPE_WEBHOOK_OK = inline_serializer(
    "StripeWebhookReceived",
    fields={
        "received": drf_serializers.BooleanField(),
        "duplicate": drf_serializers.BooleanField(),
        "status": drf_serializers.CharField(allow_null=True),
    },
)


class StripeWebhookView(APIView):
    """`POST /api/stripe/webhook` (issue 15): no bearer token; the `Stripe-Signature` header, verified with
    `STRIPE_WEBHOOK_SECRET` by Stripe's library, is the authentication. A missing or bad signature → 400 and
    nothing written; a verified event is stored once and processed (`billing.stripe_events`)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="stripe_webhook",
        request=STRIPE_EVENT_REQUEST,
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={
            200: STRIPE_WEBHOOK_OK,
            400: error_response("Missing or invalid `Stripe-Signature` (`Invalid signature.`)."),
            413: error_response("Request body too large."),
        },
        auth=[],
    )
    def post(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return Response({"detail": "Request body too large."}, status=413)
        try:
            event = stripe_gateway.verify_webhook(
                request._request.body, request.META.get("HTTP_STRIPE_SIGNATURE"),
                getattr(settings, "STRIPE_WEBHOOK_SECRET", "") or "",
            )
        except stripe_gateway.WebhookSignatureInvalid:
            return Response({"detail": "Invalid signature."}, status=400)
        row, duplicate = stripe_events.receive(event)
        return Response({"received": True, "duplicate": duplicate, "status": row.status if row else None})


# Each event commits on its own (its row is the redelivery guard), never inside a request-wide transaction.
stripe_webhook_view = csrf_exempt(transaction.non_atomic_requests(StripeWebhookView.as_view()))
