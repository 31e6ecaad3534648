"""Money (contract §5): Decimal rounded to cents half away from zero, written with exactly two decimals. Shared by
the services (snapshots, bounds) and the API's fields (serviceengine/api/fields.py re-exports these)."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Money columns are DECIMAL(18, 2); inputs are bounded well inside so that totals cannot overflow.
MONEY_COLUMN_MAX = Decimal("9999999999999999.99")


def quantize_money(value: Decimal) -> Decimal:
    """Round to cents, half away from zero (contract §5)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value) -> str | None:
    """Money as a string with exactly two decimals: `"1500.00"`, `"0.00"`, `"-5.50"`."""
    if value is None:
        return None
    value = quantize_money(value)
    # With the exponent -2, str() writes the plain notation `:f` writes, at a third of its cost (every money field
    # of every read comes here: ~300 for a page of invoices).
    return str(abs(value) if value == 0 else value)
