"""Calendar arithmetic of billing periods.

Period `n` of a subscription starts on `anchor + n × interval_count intervals`, always computed from the anchor
(`start_date`), never by chaining one period onto the last: a subscription anchored on 31 January bills on 28 (or
29) February and again on 31 March. A month that lacks the anchor's day ends the period on its last day.
"""
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

WEEK, MONTH, YEAR = "week", "month", "year"
INTERVALS = (WEEK, MONTH, YEAR)
# The longest period accepted per interval (the schedule of a subscription is at most three years long).
MAX_INTERVAL_COUNT = {WEEK: 156, MONTH: 36, YEAR: 3}


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by `months` calendar months, its day clamped to the target month's last day."""
    years, month_index = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + years, month_index + 1
    return date(year, month, min(anchor.day, monthrange(year, month)[1]))


def period_start(anchor: date, interval: str, interval_count: int, n: int) -> date:
    """The first day of period `n` (0 = the first period, which starts on `anchor`). Raises OverflowError past
    the calendar's end (year 9999)."""
    steps = n * interval_count
    try:
        if interval == WEEK:
            return anchor + timedelta(weeks=steps)
        if interval == MONTH:
            return add_months(anchor, steps)
        if interval == YEAR:
            return add_months(anchor, 12 * steps)
    except ValueError as exc:  # date() out of range
        raise OverflowError(str(exc)) from None
    raise ValueError(f"unknown interval {interval!r}")


def first_period_from(anchor: date, interval: str, interval_count: int, day: date, *, at_least: int = 0) -> int:
    """The index of the first period, not before `at_least`, that starts on or after `day`."""
    n = at_least
    if interval == WEEK:  # jump close by division, then step
        n = max(n, ((day - anchor).days // (7 * interval_count)) - 1)
    else:
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        per = interval_count * (12 if interval == YEAR else 1)
        n = max(n, months // per - 1)
    while period_start(anchor, interval, interval_count, n) < day:
        n += 1
    return n


def start_of_day(day: date) -> datetime:
    """Midnight UTC of `day`: when a period starting that day is due."""
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


def utc_today(now: datetime) -> date:
    return now.astimezone(dt_timezone.utc).date()
