"""`/api/reports/summary|revenue|receivables|workload` (issue 18): bearer auth, the token's organization only,
`from`/`to` ISO dates (both included, default the last 12 months; a bad date is a 400 envelope)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .serializers import (
    INTERVAL_INVALID,
    ReceivablesSerializer,
    RevenueSerializer,
    SummarySerializer,
    WorkloadSerializer,
    report_range,
    with_range,
)

RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day included, `YYYY-MM-DD` (default: the first day of the "
        "month 11 months ago).",
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Last day included, `YYYY-MM-DD` (default: today, UTC); not before "
        "`from`, at most 20 years after it (400 otherwise).",
    ),
]
SummaryReport = with_range(SummarySerializer)
RevenueReport = with_range(RevenueSerializer)
ReceivablesReport = with_range(ReceivablesSerializer)
WorkloadReport = with_range(WorkloadSerializer)


class ReportView(APIView):
    """A report: validate the range (and any extra parameters), compute, render through `output`."""

    output = None

    def extra_errors(self, request) -> dict:
        return {}

    def compute(self, request, period) -> dict:
        raise NotImplementedError

    def get(self, request):
        period = report_range(request.query_params, extra=self.extra_errors(request))
        body = {"from": period.start, "to": period.end, **self.compute(request, period)}
        return Response(self.output(body).data)


class SummaryView(ReportView):
    # queries: token 1 + clients 1 + orders 1 + tickets 1 + proposals 1 + invoices 1 = 6
    output = SummaryReport

    @extend_schema(
        tags=["reports"],
        summary="Summary report",
        description=(
            "Clients (all, and new in the range); open orders (Unpaid, In Progress, On Hold) and open tickets (Open, "
            "Pending) created in the range, by status; proposals sent and signed in the range and the win rate "
            "(signed ÷ sent); per currency, invoiced (created in the range, not Draft/Cancelled), paid (Paid, "
            "`date_paid` in the range) and outstanding (Unpaid/Partially Paid created in the range)."
        ),
        parameters=RANGE_PARAMETERS,
        responses={200: SummaryReport},
    )
    def get(self, request):
        return super().get(request)

    def compute(self, request, period):
        return services.summary(organization=request.organization, period=period)


class RevenueView(ReportView):
    # queries: token 1 + invoiced per period 1 + paid per period 1 = 3
    output = RevenueReport

    def extra_errors(self, request):
        if request.query_params.get("interval", "month") not in ("month", "week"):
            return {"interval": [INTERVAL_INVALID]}
        return {}

    @extend_schema(
        tags=["reports"],
        summary="Revenue report",
        description=(
            "Per month (default) or ISO week (Monday first): invoiced (created in the period, not Draft/Cancelled) "
            "and paid (`date_paid` in the period) totals per currency. Every period of the range is listed, and every "
            "currency seen in the range has a value in each (`\"0.00\"` when none): a continuous series."
        ),
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("interval", str, enum=["month", "week"], description="Default `month`."),
        ],
        responses={200: RevenueReport},
    )
    def get(self, request):
        return super().get(request)

    def compute(self, request, period):
        interval = request.query_params.get("interval", "month")
        return services.revenue(organization=request.organization, period=period, interval=interval)


class ReceivablesView(ReportView):
    # queries: token 1 + buckets per currency 1 + top clients 1 = 3
    output = ReceivablesReport

    @extend_schema(
        tags=["reports"],
        summary="Receivables report",
        description=(
            "Unpaid and Partially Paid invoices created in the range, per currency, aged by whole days past "
            "`date_due` as of `to` into `0-30` (also: not yet due, no due date), `31-60`, `61-90` and `90+`, with "
            "the 5 clients owing the most in each currency."
        ),
        parameters=RANGE_PARAMETERS,
        responses={200: ReceivablesReport},
    )
    def get(self, request):
        return super().get(request)

    def compute(self, request, period):
        return services.receivables(organization=request.organization, period=period)


class WorkloadView(ReportView):
    # queries: token 1 + team members with their counts 1 = 2
    output = WorkloadReport

    @extend_schema(
        tags=["reports"],
        summary="Workload report",
        description=(
            "Per team member: open orders assigned, incomplete tasks assigned and those past `due_at`, open or "
            "pending tickets assigned; over rows created in the range."
        ),
        parameters=RANGE_PARAMETERS,
        responses={200: WorkloadReport},
    )
    def get(self, request):
        return super().get(request)

    def compute(self, request, period):
        return {"data": services.workload(organization=request.organization, period=period)}
