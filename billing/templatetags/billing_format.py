"""Formatting for client pages, e-mails and documents: money with two decimals, dates in UTC."""
from datetime import timezone as dt_timezone
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


@register.filter
def utc_date(value) -> str:
    if value is None:
        return ""
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d")


@register.filter
def utc_datetime(value) -> str:
    if value is None:
        return ""
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
