"""Tag list filters and sorts (contract §8.1 conventions); the core backend builds the FilterSet from these."""

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
