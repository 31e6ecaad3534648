"""Demo clients for `python manage.py seed_demo`: a handful of people, some with an address. Idempotent: a
client is looked up by email first, so a second run creates nothing."""
from serviceengine.models import User

from .services import client_create

DEMO_CLIENTS = (
    {
        "email": "ada@engines.example.com", "name_f": "Ada", "name_l": "Byron", "company": "Engines Ltd",
        "phone": "555-0100", "tax_id": "GB-1", "optin": "Yes", "custom_fields": {"industry": "Computing"},
        "address": {"line_1": "12 Analytical Row", "city": "London", "country": "GB", "postcode": "N1 9GU"},
    },
    {
        "email": "grace@navy.example.com", "name_f": "Grace", "name_l": "Hopper", "company": "Compilers Inc",
        "address": {"line_1": "1 Harbor Way", "city": "Arlington", "state": "VA", "country": "US",
                    "postcode": "22201"},
    },
    {"email": "alan@bletchley.example.com", "name_f": "Alan", "name_l": "Turing", "phone": "555-0142"},
    {"email": "katherine@orbit.example.com", "name_f": "Katherine", "name_l": "Johnson", "note": "Prefers email."},
    {"email": "linus@kernel.example.com", "name_f": "Linus", "name_l": "Torvalds", "status": 2},
)


def seed(*, organization, owner) -> None:
    """Add the demo clients that are missing from the organization."""
    existing = set(User.objects.for_org(organization).values_list("email", flat=True))
    for spec in DEMO_CLIENTS:
        if spec["email"] in existing:
            continue
        client_create(organization=organization, **spec)
