"""`/api/proposals` and `/api/invoices` (contract proposals.md, invoices.md). Each action validates its body
(before the path id, README §6), calls one service from `billing.services`, and renders the read serializer."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceengine.api.exceptions import validation_response
from serviceengine.api.pagination import PageLinksPagination
from serviceengine.api.schema import CLIENT_ROLE_MISSING, error_response
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .filters import (
    INVOICE_FILTER_FIELDS,
    INVOICE_SEARCH_FIELDS,
    INVOICE_SORT_FIELDS,
    PROPOSAL_FILTER_FIELDS,
    PROPOSAL_SEARCH_FIELDS,
    PROPOSAL_SORT_FIELDS,
)
from .models import Invoice, InvoiceItem, Proposal, ProposalItem
from .serializers import (
    InvoiceChargeSerializer, InvoiceCreateSerializer, InvoiceSerializer, InvoiceUpdateSerializer,
    ProposalRowSerializer, ProposalOrderSerializer, ProposalSerializer, ProposalSignSerializer,
    ProposalWriteSerializer,
)


class ProposalViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """List, create, retrieve, send and sign proposals. No update or delete (those methods answer 405)."""

    # queries: list → token 1 + count 1 + page 1 = 3 (rows carry no items);
    #          retrieve → token 1 + proposal 1 + items with their services 1 = 3
    model = Proposal
    serializer_class = ProposalSerializer
    pagination_class = PageLinksPagination  # the only list whose meta has `links` (contract defect 22)
    filter_fields = PROPOSAL_FILTER_FIELDS
    search_fields = PROPOSAL_SEARCH_FIELDS
    sort_fields = PROPOSAL_SORT_FIELDS

    def get_serializer_class(self):
        return ProposalRowSerializer if self.action == "list" else ProposalSerializer

    def scope_queryset(self, qs):
        if self.action == "list":
            return qs
        # all_objects on both: items have no soft delete, and a soft-deleted service still names its items.
        items = ProposalItem.all_objects.select_related("service").order_by("created_at", "id")
        return qs.prefetch_related(Prefetch("items", queryset=items, to_attr="item_list"))

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
        proposal = services.proposal_send(proposal=self.get_object())
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
        proposal, order = services.proposal_sign(proposal=self.get_object())
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response({"proposal": self.read(fresh, ProposalSerializer), "order": ProposalOrderSerializer(order).data})


class InvoiceViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """List, create, retrieve, update (PUT) and soft-delete invoices; charge them or mark them paid."""

    # queries: list → token 1 + count 1 + page with client, address and role 1 + items 1 = 4;
    #          retrieve → token 1 + invoice with client, address and role 1 + items 1 = 3
    model = Invoice
    serializer_class = InvoiceSerializer
    filter_fields = INVOICE_FILTER_FIELDS
    search_fields = INVOICE_SEARCH_FIELDS
    sort_fields = INVOICE_SORT_FIELDS
    select = ("user__address", "user__role")

    def scope_queryset(self, qs):
        items = InvoiceItem.all_objects.order_by("created_at", "id")
        return qs.prefetch_related(Prefetch("items", queryset=items, to_attr="item_list"))

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
        invoice = self.get_object()
        try:
            invoice = services.invoice_charge(
                invoice=invoice,
                payment_method_id=data["payment_method_id"],
                ip_address=request.META.get("REMOTE_ADDR"),  # the connection's peer, never a forwarded header
            )
        except services.ChargeDeclined as exc:
            # Rendered, not raised: raising would roll back the request's transaction and with it the spent
            # attempt number, and a retry would then reuse the declined charge's idempotency key.
            return validation_response(exc.errors, exc.status)
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
