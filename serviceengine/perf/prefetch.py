"""Querysets for the junction rows (order, task, ticket ↔ team member or tag) that read serializers embed.

Both load only what the embedded objects show: one query per page whatever its size, and no unused columns
(a team member's row has 22 of them; the summary needs 4)."""

MEMBER_SUMMARY = ("user__id", "user__name_f", "user__name_l", "user__role_id")


def member_links(model, parent: str):
    """Junction rows to team members in assignment order (their ids), with the member's summary columns only.
    `parent` is the junction's foreign key to the prefetched object (`order`, `task`, `ticket`)."""
    return model.objects.select_related("user").only(parent, *MEMBER_SUMMARY).order_by("id")


def tag_links(model, parent: str):
    """Junction rows to tags in assignment order, with the tag's name."""
    return model.objects.select_related("tag").only(parent, "tag__name").order_by("id")
