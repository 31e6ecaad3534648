"""Subscription list filters and sorts (contract §8.1 conventions); the core parses them
(serviceengine/api/filtering.py)."""

SUBSCRIPTION_FILTER_FIELDS = {
    "id": "uuid",
    "client_id": "uuid",
    "status": "str",
    "created_at": "datetime",
    "next_invoice_at": "datetime",
}

SUBSCRIPTION_SORT_FIELDS = {
    "id": "id",
    "created_at": "created_at",
    "next_invoice_at": "next_invoice_at",
}

SUBSCRIPTION_SEARCH_FIELDS = ("coupon_code",)
