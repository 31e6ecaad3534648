"""Reports computed in the database (issue 18): each is a fixed number of aggregate queries whatever the data size,
narrowed to one organization with `for_org` first. Money is summed per currency, never across currencies, and
returned as Decimal; callers render it with `format_money`.

A range is two dates, both included (`start` 00:00 UTC to the end of `end`). Counts of open work (orders, tickets,
tasks) are over the rows created in the range; money over invoices created in the range, except `paid`, which is
over invoices paid (`date_paid`) in it.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth, TruncWeek
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Proposal
from clients.models import Client
from orders.models import Order, OrderStatus, OrderTask
from serviceengine.models import User
from support.models import Ticket, TicketStatus

ZERO = Decimal("0.00")
OPEN_ORDER_STATUSES = (OrderStatus.UNPAID, OrderStatus.IN_PROGRESS, OrderStatus.ON_HOLD)
OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)
UNPAID_INVOICE_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
# Drafts were never sent and cancelled invoices were withdrawn: neither counts as invoiced.
INVOICED_EXCLUDED = (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
AGE_BUCKETS = ("0-30", "31-60", "61-90", "90+")
TOP_CLIENTS = 5


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # included

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=dt_timezone.utc)

    @property
    def until(self) -> datetime:  # excluded
        if self.end == date.max:
            return datetime.max.replace(tzinfo=dt_timezone.utc)
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=dt_timezone.utc)

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})


def default_range(today: date | None = None) -> DateRange:
    """The last 12 months: from the first day of the month eleven months back to today (12 calendar months)."""
    today = today or timezone.now().date()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return DateRange(date(year, month, 1), today)


def _by_status(rows, statuses, labels) -> dict[str, int]:
    counts = {labels(status).label: 0 for status in statuses}
    for status, n in rows:
        counts[labels(status).label] = n
    return counts


def summary(*, organization, period: DateRange) -> dict:
    """Counts of clients, open orders and tickets by status, proposals sent/signed and the win rate (signed ÷
    sent in the range), and invoiced/paid/outstanding per currency. 5 queries."""
    clients = Client.objects.for_org(organization).aggregate(
        total=Count("id"), new=Count("id", filter=period.q("created_at"))
    )
    order_rows = (
        Order.objects.for_org(organization)
        .filter(period.q("created_at"), status__in=OPEN_ORDER_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    ticket_rows = (
        Ticket.objects.for_org(organization)
        .filter(period.q("created_at"), status__in=OPEN_TICKET_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    proposals = Proposal.objects.for_org(organization).aggregate(
        sent=Count("id", filter=period.q("sent_at")), signed=Count("id", filter=period.q("signed_at"))
    )
    orders_by_status = _by_status(order_rows, OPEN_ORDER_STATUSES, OrderStatus)
    tickets_by_status = _by_status(ticket_rows, OPEN_TICKET_STATUSES, TicketStatus)
    invoiced = Q(period.q("created_at")) & ~Q(status__in=INVOICED_EXCLUDED)
    paid = Q(period.q("date_paid")) & Q(status=InvoiceStatus.PAID)
    outstanding = Q(period.q("created_at")) & Q(status__in=UNPAID_INVOICE_STATUSES)
    money = (
        Invoice.objects.for_org(organization)
        .filter(invoiced | paid | outstanding)
        .order_by("currency")
        .values("currency")
        .annotate(
            invoiced=Coalesce(Sum("total", filter=invoiced), ZERO),
            paid=Coalesce(Sum("total", filter=paid), ZERO),
            outstanding=Coalesce(Sum("total", filter=outstanding), ZERO),
        )
    )
    sent, signed = proposals["sent"], proposals["signed"]
    return {
        "clients": {"total": clients["total"], "new": clients["new"]},
        "orders": {"open": sum(orders_by_status.values()), "by_status": orders_by_status},
        "tickets": {"open": sum(tickets_by_status.values()), "by_status": tickets_by_status},
        "proposals": {
            "sent": sent,
            "signed": signed,
            "win_rate": round(signed / sent, 4) if sent else None,
        },
        "invoices": {
            row["currency"]: {key: row[key] for key in ("invoiced", "paid", "outstanding")} for row in money
        },
    }


def period_starts(period: DateRange, interval: str) -> list[date]:
    """The first day of every month/week (weeks start on Monday) that meets the range, in order."""
    current = period.start - timedelta(days=period.start.weekday()) if interval == "week" else period.start.replace(day=1)
    starts = []
    while current is not None and current <= period.end:
        starts.append(current)
        current = _next_start(current, interval)
    return starts


def period_label(start: date, interval: str) -> str:
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start:%Y-%m}"


def revenue(*, organization, period: DateRange, interval: str) -> dict:
    """Invoiced (created in the period, not draft/cancelled) and paid (paid in the period) totals per period and
    currency: every period of the range is present, and every currency seen has a value ("0.00") in each. 2
    queries."""
    trunc = TruncWeek if interval == "week" else TruncMonth
    invoices = Invoice.objects.for_org(organization)
    invoiced_rows = (
        invoices.filter(period.q("created_at"))
        .exclude(status__in=INVOICED_EXCLUDED)
        .annotate(bucket=trunc("created_at", tzinfo=dt_timezone.utc))
        .order_by()
        .values_list("bucket", "currency")
        .annotate(amount=Sum("total"))
    )
    paid_rows = (
        invoices.filter(period.q("date_paid"), status=InvoiceStatus.PAID)
        .annotate(bucket=trunc("date_paid", tzinfo=dt_timezone.utc))
        .order_by()
        .values_list("bucket", "currency")
        .annotate(amount=Sum("total"))
    )
    amounts = defaultdict(lambda: {"invoiced": ZERO, "paid": ZERO})  # (period start, currency) → amounts
    for kind, rows in (("invoiced", invoiced_rows), ("paid", paid_rows)):
        for bucket, currency, amount in rows:
            day = bucket.date() if isinstance(bucket, datetime) else bucket
            amounts[(day, currency)][kind] += amount
    currencies = sorted({currency for _day, currency in amounts})
    starts = period_starts(period, interval)
    totals = {currency: {"invoiced": ZERO, "paid": ZERO} for currency in currencies}
    series = []
    for index, start in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else _next_start(start, interval)
        end = following - timedelta(days=1) if following else date.max
        values = {}
        for currency in currencies:
            cell = amounts.get((start, currency), {"invoiced": ZERO, "paid": ZERO})
            values[currency] = dict(cell)
            totals[currency]["invoiced"] += cell["invoiced"]
            totals[currency]["paid"] += cell["paid"]
        series.append({"period": period_label(start, interval), "start": start, "end": end, "currencies": values})
    return {"interval": interval, "currencies": currencies, "series": series, "totals": totals}


def _next_start(start: date, interval: str) -> date | None:
    """The start of the period after the one starting at `start`; None past the calendar's end (year 9999)."""
    try:
        if interval == "week":
            return start + timedelta(days=7)
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    except OverflowError:
        return None


def receivables(*, organization, period: DateRange) -> dict:
    """Unpaid and partially paid invoices created in the range, aged by whole days past `date_due` as of the range's
    end (not yet due, or no due date: 0-30), per currency; and per currency the clients owing the most. 2 queries."""
    as_of = period.end
    # The due date that is exactly 30/60/90 days before `as_of` (clamped at year 1, where nothing is due earlier).
    cut = {days: as_of - timedelta(days=min(days, (as_of - date.min).days)) for days in (30, 60, 90)}
    unpaid = Invoice.objects.for_org(organization).filter(period.q("created_at"), status__in=UNPAID_INVOICE_STATUSES)
    due = "date_due__date"
    bucket_q = {
        "0-30": Q(date_due__isnull=True) | Q(**{f"{due}__gte": cut[30]}),
        "31-60": Q(**{f"{due}__lt": cut[30], f"{due}__gte": cut[60]}),
        "61-90": Q(**{f"{due}__lt": cut[60], f"{due}__gte": cut[90]}),
        "90+": Q(**{f"{due}__lt": cut[90]}),
    }
    rows = (
        unpaid.order_by("currency")
        .values("currency")
        .annotate(
            count=Count("id"),
            amount=Sum("total"),
            **{f"b{index}": Coalesce(Sum("total", filter=q), ZERO) for index, q in enumerate(bucket_q.values())},
        )
    )
    top = (
        unpaid.order_by()
        .values("currency", "user_id", "user__email", "user__name_f", "user__name_l", "user__company")
        .annotate(amount=Sum("total"), invoices=Count("id"))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("currency")], order_by=[F("amount").desc(), F("user_id").asc()])
        )
        .filter(rank__lte=TOP_CLIENTS)
        .order_by("currency", "rank")
    )
    owing = defaultdict(list)
    for row in top:
        owing[row["currency"]].append(
            {
                "client_id": row["user_id"],
                "name": " ".join(p for p in (row["user__name_f"], row["user__name_l"]) if p) or None,
                "email": row["user__email"],
                "company": row["user__company"],
                "total": row["amount"],
                "invoices": row["invoices"],
            }
        )
    return {
        "as_of": as_of,
        "currencies": [
            {
                "currency": row["currency"],
                "count": row["count"],
                "total": row["amount"],
                "buckets": {name: row[f"b{index}"] for index, name in enumerate(AGE_BUCKETS)},
                "top_clients": owing[row["currency"]],
            }
            for row in rows
        ],
    }


def _count_per_member(queryset, link: str) -> dict:
    """{user id: the number of `queryset`'s rows linked to that user through `link` (a junction)}, in one grouped
    query. The junction is narrowed to the organization too, so its organization-leading key serves the join."""
    rows = (
        queryset.filter(**{f"{link}__organization_id": F("organization_id")})
        .order_by()
        .values(f"{link}__user")
        .annotate(n=Count("id"))
        .values_list(f"{link}__user", "n")
    )
    return dict(rows)


def workload(*, organization, period: DateRange) -> list[dict]:
    """Per team member: open orders assigned, open tasks assigned (of live orders), those past `due_at`, open or
    pending tickets assigned, over rows created in the range. 5 queries: the members, then one grouped count per
    measure (correlated counts per member read every link of every member: seconds on 100,000 orders)."""
    now = timezone.now()
    orders = Order.objects.for_org(organization).filter(period.q("created_at"), status__in=OPEN_ORDER_STATUSES)
    tasks = OrderTask.objects.for_org(organization).filter(
        period.q("created_at"), is_complete=False, order__deleted_at__isnull=True
    )
    tickets = Ticket.objects.for_org(organization).filter(period.q("created_at"), status__in=OPEN_TICKET_STATUSES)
    members = (
        User.objects.for_org(organization)
        .team_members()
        .order_by("name_f", "name_l", "email", "id")
        .values("id", "name_f", "name_l", "email")
    )
    counts = {
        "open_orders": _count_per_member(orders, "employee_links"),
        "tasks_assigned": _count_per_member(tasks, "employee_links"),
        "tasks_overdue": _count_per_member(tasks.filter(due_at__lt=now), "employee_links"),
        "tickets_assigned": _count_per_member(tickets, "employee_links"),
    }
    return [
        {
            "user_id": row["id"],
            "name": " ".join(p for p in (row["name_f"], row["name_l"]) if p),
            "email": row["email"],
            **{measure: per_member.get(row["id"], 0) for measure, per_member in counts.items()},
        }
        for row in members
    ]
