"""List filters and sorts of the billing endpoints (README §8.1), read by the core filter and sort backends."""

# filters[field][$op]: api name → kind, or (ORM path, kind).
PROPOSAL_FILTER_FIELDS = {"id": "uuid", "status": "int", "client_email": "str", "created_at": "datetime"}
PROPOSAL_SORT_FIELDS = {
    "id": "id",
    "client_email": "client_email",
    "status": "status",
    "total": "total",
    "created_at": "created_at",
    "sent_at": "sent_at",
    "signed_at": "signed_at",
}

INVOICE_FILTER_FIELDS = {
    "id": "uuid",
    "status": "int",
    "user_id": ("user_id", "uuid"),
    # A subscription's period invoices (issue 16); served by the (organization, subscription, period start) unique
    # index of invoice_one_per_subscription_period.
    "subscription_id": ("subscription_id", "uuid"),
    "created_at": "datetime",
    "date_due": "datetime",
}
INVOICE_SORT_FIELDS = {
    "id": "id",
    # By the numeric sequence: `INV-100000` sorts after `INV-99999`, which the string order would not do.
    "number": "number_seq",
    "status": "status",
    "user_id": "user_id",
    "subtotal": "subtotal",
    "total": "total",
    "created_at": "created_at",
    "date_due": "date_due",
    "date_paid": "date_paid",
}

# `search=`: the text columns searched (serviceengine/api/search.py); each list has a GIN index over exactly these
# (search/migrations), so the two change together.
PROPOSAL_SEARCH_FIELDS = ("client_email", "client_name_f", "client_name_l", "client_company")
INVOICE_SEARCH_FIELDS = ("number", "note")

COUPON_FILTER_FIELDS = {
    "id": "uuid",
    "code": "str",
    "type": "str",
    "duration": "str",
    "currency": "str",
    "expires_at": "datetime",
    "created_at": "datetime",
}
COUPON_SORT_FIELDS = {
    "id": "id",
    "code": "code",
    "amount": "amount",
    "times_redeemed": "times_redeemed",
    "expires_at": "expires_at",
    "created_at": "created_at",
}
COUPON_SEARCH_FIELDS = ("code",)
