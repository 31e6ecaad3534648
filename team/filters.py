"""Team list filters and sorts (contract §8.1 conventions)."""

TEAM_FILTER_FIELDS = {
    "id": "uuid",
    "email": "str",
    "role_id": "uuid",
    "created_at": "datetime",
}

TEAM_SORT_FIELDS = {
    "id": "id",
    "email": "email",
    "name_f": "name_f",
    "name_l": "name_l",
    "created_at": "created_at",
}
