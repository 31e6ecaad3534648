"""Demo tags for `seed_demo`, with colours: created through `tag_create` (so each records `tag.created`) before the
orders and tickets seeders tag their rows by name, which then find these (names match ignoring case). Idempotent:
a tag whose name exists in any case is left as it is, colour included, so a second run creates and changes
nothing."""
from orders.models import Tag

from .services import tag_create

DEMO_TAGS = {
    "priority": "#dc2626",
    "urgent": "#ea580c",
    "seo": "#2563eb",
    "billing": "#16a34a",
    "reports": "#7c3aed",
}


def seed(*, organization, owner) -> None:
    existing = {name.lower() for name in Tag.objects.for_org(organization).values_list("name", flat=True)}
    for name, color in DEMO_TAGS.items():
        if name not in existing:
            tag_create(organization=organization, name=name, color=color)
