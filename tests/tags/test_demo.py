"""tags.demo (seed_demo): coloured demo tags created once through the service, found by the orders' and tickets'
seeders by name; a tag that exists in any case is left as it is."""
import io

from django.core.management import call_command

from events.models import Event
from orders.models import Order, Tag
from serviceengine.models import Organization
from support.models import Ticket
from tags import demo
from tests.support.factories import make_tag


def test_seed_creates_the_coloured_tags_with_their_events_once(org, owner):
    demo.seed(organization=org, owner=owner)
    assert dict(Tag.objects.for_org(org).values_list("name", "color")) == demo.DEMO_TAGS
    assert Event.objects.for_org(org).filter(type="tag.created").count() == len(demo.DEMO_TAGS)
    demo.seed(organization=org, owner=owner)
    assert Tag.objects.for_org(org).count() == len(demo.DEMO_TAGS)
    assert Event.objects.for_org(org).count() == len(demo.DEMO_TAGS)


def test_an_existing_tag_of_the_same_name_is_left_alone(org, owner):
    make_tag(org, name="SEO")
    demo.seed(organization=org, owner=owner)
    assert Tag.objects.for_org(org).get(name="SEO").color is None
    assert not Tag.objects.for_org(org).filter(name="seo").exists()


def test_seed_demo_tags_orders_and_tickets_with_the_coloured_tags(db):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    priority = Tag.objects.for_org(org).get(name="priority")
    assert priority.color == demo.DEMO_TAGS["priority"]
    assert Order.objects.for_org(org).filter(tag_links__tag=priority).exists()
    assert Ticket.objects.for_org(org).filter(tag_links__tag__name="urgent", tag_links__tag__color__isnull=False).exists()
    tags = Tag.objects.for_org(org).count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Tag.objects.for_org(org).count() == tags
