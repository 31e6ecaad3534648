"""Ticket list filters and sorts (contract §8.1, tickets.md); the core parses them (serviceengine/api/filtering.py)."""

# `filters[field][$op]`: `$eq=null` means IS NULL (e.g. `filters[order_id][$eq]=null`: tickets without an order).
TICKET_FILTER_FIELDS = {
    "user_id": "uuid",
    "status": "int",
    "order_id": "uuid",
    "created_at": "datetime",
    "last_message_at": "datetime",
}

TICKET_SORT_FIELDS = {
    "id": "id",
    "subject": "subject",
    "status": "status",
    "user_id": "user_id",
    "order_id": "order_id",
    "created_at": "created_at",
    "last_message_at": "last_message_at",
}

# `search=`: the text columns searched (serviceengine/api/search.py), GIN-indexed together (search/migrations).
TICKET_SEARCH_FIELDS = ("subject", "note")
