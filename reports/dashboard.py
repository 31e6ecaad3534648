"""The admin home's dashboard for a staff user's organization (issue 18): revenue per month, receivables ageing,
orders by status, open tickets and the team's workload, each figure linking to the changelist it summarises.

Figures come from the report services (reports/services.py) plus two grouped counts: a fixed number of queries
whatever the data size. Charts are SVG drawn here, on the server: no JavaScript, no chart library, nothing fetched
from the internet.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from billing.models import InvoiceStatus
from orders.models import Order, OrderStatus
from serviceengine.api.fields import format_money
from support.models import Ticket, TicketStatus

from . import services

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 200, 28
WIDE_YEARS = 20  # the dashboard's open work and receivables: everything created in the last 20 years


def moment(day: date) -> str:
    """Midnight UTC of `day` as the admin's own date filters write it (an aware value: no naive-datetime warning)."""
    return f"{day.isoformat()} 00:00:00+00:00"


def changelist(name: str, **params) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    url: str
    title: str


def revenue_chart(series: list[dict], currency: str) -> dict:
    """Bars per month (invoiced, paid) for one currency, scaled to the largest value; each bar links to the invoices
    behind it."""
    values = [(p, p["currencies"].get(currency, {"invoiced": Decimal(0), "paid": Decimal(0)})) for p in series]
    peak = max([Decimal(1)] + [max(cell["invoiced"], cell["paid"]) for _p, cell in values])
    slot = (CHART_WIDTH - 2 * CHART_PAD) / max(1, len(values))
    usable = CHART_HEIGHT - 2 * CHART_PAD
    bars, labels = [], []
    for index, (period, cell) in enumerate(values):
        left = CHART_PAD + index * slot
        start, end = period["start"], period["end"] + timedelta(days=1)
        for offset, kind in ((0.1, "invoiced"), (0.5, "paid")):
            height = float(cell[kind] / peak) * usable
            if kind == "paid":
                url = changelist("billing_invoice", currency__exact=currency, status__exact=InvoiceStatus.PAID,
                                 date_paid__gte=moment(start), date_paid__lt=moment(end))
            else:
                url = changelist("billing_invoice", currency__exact=currency, created_at__gte=moment(start),
                                 created_at__lt=moment(end))
            bars.append(Bar(
                x=round(left + slot * offset, 1), y=round(CHART_PAD + usable - height, 1), width=round(slot * 0.38, 1),
                height=round(height, 1), css=kind, url=url,
                title=f"{period['period']} {kind} {currency} {format_money(cell[kind])}",
            ))
        labels.append({"x": round(left + slot / 2, 1), "text": period["start"].strftime("%b %y")})
    return {
        "currency": currency, "bars": bars, "labels": labels, "peak": format_money(peak),
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": CHART_HEIGHT - CHART_PAD,
        "label_y": CHART_HEIGHT - 8,
        "totals": {k: format_money(sum((cell[k] for _p, cell in values), Decimal(0))) for k in ("invoiced", "paid")},
    }


def _ageing_rows(receivables: dict, as_of: date) -> list[dict]:
    cuts = {days: as_of - timedelta(days=min(days, (as_of - date.min).days)) for days in (30, 60, 90)}
    day_after = as_of + timedelta(days=1) if as_of < date.max else as_of
    ranges = {  # date_due ranges of each bucket, for the links (the 0-30 link leaves out invoices without a due date)
        "0-30": {"date_due__gte": moment(cuts[30])},
        "31-60": {"date_due__gte": moment(cuts[60]), "date_due__lt": moment(cuts[30])},
        "61-90": {"date_due__gte": moment(cuts[90]), "date_due__lt": moment(cuts[60])},
        "90+": {"date_due__lt": moment(cuts[90])},
    }
    rows = []
    for block in receivables["currencies"]:
        peak = max([Decimal(1)] + list(block["buckets"].values()))
        buckets = []
        for index, (name, amount) in enumerate(block["buckets"].items()):
            buckets.append({
                "y": index * 22 + 2, "text_y": index * 22 + 14, "name": name, "amount": format_money(amount), "width": round(float(amount / peak) * 240, 1),
                "amount_x": round(float(amount / peak) * 240 + 62, 1),
                "url": changelist("billing_invoice", currency__exact=block["currency"], status__in="1,7",
                                  created_at__lt=moment(day_after), **ranges[name]),
            })
        rows.append({
            "currency": block["currency"], "count": block["count"], "total": format_money(block["total"]), "buckets": buckets,
            "top_clients": [
                {**client, "total": format_money(client["total"]),
                 "url": changelist("billing_invoice", client=str(client["client_id"]), status__in="1,7")}
                for client in block["top_clients"] if client["client_id"]
            ],
        })
    return rows


def _status_rows(model, choices, statuses, organization, app: str) -> list[dict]:
    counts = dict(
        model.objects.for_org(organization).filter(status__in=statuses).order_by().values_list("status")
        .annotate(n=Count("id"))
    )
    peak = max([1, *counts.values()])
    return [
        {"label": choices(status).label, "count": counts.get(status, 0),
         "width": round(counts.get(status, 0) / peak * 240, 1),
         "url": changelist(app, status__exact=int(status), deleted="no")}
        for status in statuses
    ]


def build(organization, today: date | None = None) -> dict:
    """Everything the dashboard shows for `organization`. 6 queries."""
    today = today or timezone.now().date()
    year = services.default_range(today)
    wide = services.DateRange(today - timedelta(days=WIDE_YEARS * 365), today)
    revenue = services.revenue(organization=organization, period=year, interval="month")
    receivables = services.receivables(organization=organization, period=wide)
    workload = services.workload(organization=organization, period=wide)
    open_orders = ",".join(str(int(s)) for s in services.OPEN_ORDER_STATUSES)
    open_tickets = ",".join(str(int(s)) for s in services.OPEN_TICKET_STATUSES)
    return {
        "organization": organization,
        "range": year,
        "charts": [revenue_chart(revenue["series"], currency) for currency in revenue["currencies"]],
        "receivables": _ageing_rows(receivables, receivables["as_of"]),
        "orders": _status_rows(Order, OrderStatus, list(OrderStatus), organization, "orders_order"),
        "tickets": _status_rows(Ticket, TicketStatus, list(services.OPEN_TICKET_STATUSES), organization, "support_ticket"),
        "workload": [
            {**row,
             "orders_url": changelist("orders_order", assignee=str(row["user_id"]), status__in=open_orders),
             "tickets_url": changelist("support_ticket", assignee=str(row["user_id"]), status__in=open_tickets)}
            for row in workload
        ],
    }
