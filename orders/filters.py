"""List filters and sort fields of `GET /api/orders` (contract §8.1); the core parses them
(serviceengine/api/filtering.py `parse_filters`)."""

ORDER_FILTER_FIELDS = {
    "id": "uuid",
    "number": "str",
    "status": "int",
    "user_id": ("user_id", "uuid"),
    "service_id": ("service_id", "uuid"),
    "price": "decimal",
    "invoice_id": "uuid",
    "created_at": "datetime",
    "date_due": "datetime",
}

ORDER_SORT_FIELDS = {
    "id": "id",
    "number": "number",
    "status": "status",
    "price": "price",
    "quantity": "quantity",
    "user_id": "user_id",
    "service_id": "service_id",
    "created_at": "created_at",
    "date_due": "date_due",
}

# `search=`: the text columns searched (serviceengine/api/search.py), GIN-indexed together (search/migrations).
ORDER_SEARCH_FIELDS = ("number", "service_name", "note")
