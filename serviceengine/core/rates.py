"""Rate limits written `N/second`, `N/minute` or `N/hour` (issue 14): the API default (`API_RATE_LIMIT`), a
token's own limit, and the failed-authentication limit per client IP (`AUTH_FAILURE_RATE_LIMIT`)."""
import re

from django.core.exceptions import ValidationError

UNITS = {"second": 1, "minute": 60, "hour": 3600}
# DRF's short spellings are accepted too (`1200/m`, `5/sec`); they are stored as the full word.
_ALIASES = {"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour"}
_RATE = re.compile(r"\s*([0-9]{1,9})\s*/\s*([a-z]+)\s*", re.IGNORECASE)


def parse_rate(value: str) -> tuple[int, int]:
    """`"1200/minute"` → `(1200, 60)`: requests allowed, window in seconds. Raises ValueError otherwise."""
    match = _RATE.fullmatch(value or "")
    if not match:
        raise ValueError(f"a rate limit is N/second, N/minute or N/hour, got {value!r}")
    count, unit = int(match.group(1)), match.group(2).lower()
    unit = _ALIASES.get(unit, unit)
    if unit not in UNITS or count < 1:
        raise ValueError(f"a rate limit is N/second, N/minute or N/hour with N ≥ 1, got {value!r}")
    return count, UNITS[unit]


def normalize_rate(value: str) -> str:
    """The canonical spelling of a rate (`"5/min"` → `"5/minute"`); raises ValueError when it is not one."""
    count, seconds = parse_rate(value)
    unit = next(name for name, length in UNITS.items() if length == seconds)
    return f"{count}/{unit}"


def validate_rate(value: str) -> None:
    """Model/form validator: empty means "the default"; anything else must parse."""
    if value in ("", None):
        return
    try:
        parse_rate(value)
    except ValueError:
        raise ValidationError("Enter N/second, N/minute or N/hour, for example 100/minute.") from None
