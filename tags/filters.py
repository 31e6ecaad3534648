"""Tag list filters and sorts (contract §8.1 conventions); the core parses them (serviceengine/api/filtering.py)."""

TAG_FILTER_FIELDS = {
    "id": "uuid",
    "name": "str",
    "color": "str",
    "created_at": "datetime",
}

TAG_SORT_FIELDS = {
    "id": "id",
    "name": "name",
    "created_at": "created_at",
}
