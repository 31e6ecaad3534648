"""Calendar arithmetic of billing periods (subscriptions/periods.py): each period from the anchor, never chained."""
from datetime import date

import pytest

from subscriptions.periods import MAX_INTERVAL_COUNT, first_period_from, period_start

TABLE = [
    # anchor, interval, count, n, expected start of period n
    (date(2027, 1, 31), "month", 1, 0, date(2027, 1, 31)),
    (date(2027, 1, 31), "month", 1, 1, date(2027, 2, 28)),
    (date(2027, 1, 31), "month", 1, 2, date(2027, 3, 31)),  # back to the 31st: not chained from 28 Feb
    (date(2027, 1, 31), "month", 1, 3, date(2027, 4, 30)),
    (date(2027, 1, 31), "month", 1, 4, date(2027, 5, 31)),
    (date(2028, 1, 31), "month", 1, 1, date(2028, 2, 29)),  # leap year
    (date(2027, 1, 30), "month", 1, 1, date(2027, 2, 28)),
    (date(2027, 1, 29), "month", 1, 1, date(2027, 2, 28)),
    (date(2027, 11, 30), "month", 3, 1, date(2028, 2, 29)),
    (date(2027, 12, 15), "month", 1, 1, date(2028, 1, 15)),  # across the year
    (date(2027, 8, 31), "month", 6, 1, date(2028, 2, 29)),
    (date(2027, 8, 31), "month", 6, 2, date(2028, 8, 31)),
    (date(2028, 2, 29), "year", 1, 1, date(2029, 2, 28)),
    (date(2028, 2, 29), "year", 1, 4, date(2032, 2, 29)),  # the 29th again when it exists
    (date(2028, 2, 29), "year", 2, 1, date(2030, 2, 28)),
    (date(2027, 3, 1), "year", 1, 1, date(2028, 3, 1)),
    (date(2027, 12, 28), "week", 1, 1, date(2028, 1, 4)),
    (date(2028, 2, 26), "week", 1, 1, date(2028, 3, 4)),  # over a 29 February
    (date(2027, 1, 1), "week", 2, 3, date(2027, 2, 12)),
    (date(2027, 1, 1), "week", 156, 1, date(2029, 12, 28)),
]


@pytest.mark.parametrize(("anchor", "interval", "count", "n", "expected"), TABLE)
def test_period_start(anchor, interval, count, n, expected):
    assert period_start(anchor, interval, count, n) == expected


def test_the_calendars_end_is_an_overflow():
    with pytest.raises(OverflowError):
        period_start(date(9999, 6, 1), "year", 1, 1)
    with pytest.raises(OverflowError):
        period_start(date(9999, 12, 1), "month", 1, 1)
    with pytest.raises(OverflowError):
        period_start(date(9999, 12, 28), "week", 1, 1)


@pytest.mark.parametrize(("anchor", "interval", "count", "day", "at_least", "expected"), [
    (date(2027, 1, 31), "month", 1, date(2027, 1, 31), 0, 0),
    (date(2027, 1, 31), "month", 1, date(2027, 2, 1), 0, 1),
    (date(2027, 1, 31), "month", 1, date(2027, 3, 1), 0, 2),
    (date(2027, 1, 31), "month", 1, date(2027, 3, 31), 0, 2),
    (date(2027, 1, 31), "month", 1, date(2027, 4, 1), 0, 3),
    (date(2027, 1, 31), "month", 1, date(2027, 1, 1), 2, 2),  # never before `at_least`
    (date(2027, 1, 1), "week", 1, date(2027, 1, 9), 0, 2),
    (date(2027, 1, 1), "week", 1, date(2027, 1, 8), 0, 1),
    (date(2028, 2, 29), "year", 1, date(2029, 3, 1), 0, 2),
    (date(2028, 2, 29), "year", 1, date(2029, 2, 28), 0, 1),
])
def test_first_period_from(anchor, interval, count, day, at_least, expected):
    assert first_period_from(anchor, interval, count, day, at_least=at_least) == expected


def test_first_period_from_agrees_with_a_plain_scan():
    anchor = date(2027, 1, 31)
    for interval in ("week", "month", "year"):
        for count in (1, 2, 5, MAX_INTERVAL_COUNT[interval]):
            for offset in range(0, 4000, 37):
                day = date.fromordinal(anchor.toordinal() + offset)
                n = 0
                while period_start(anchor, interval, count, n) < day:
                    n += 1
                assert first_period_from(anchor, interval, count, day) == n, (interval, count, day)
