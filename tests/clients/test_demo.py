"""`clients.demo.seed`: a handful of clients, some with an address, created once."""
from clients import demo
from serviceengine.models import Address, User


def test_seed_is_idempotent(org, owner):
    demo.seed(organization=org, owner=owner)
    clients = User.objects.for_org(org).clients()
    count, addresses = clients.count(), Address.objects.for_org(org).count()
    assert count == len(demo.DEMO_CLIENTS) and addresses >= 1
    assert clients.filter(address__isnull=True).exists() and clients.filter(address__isnull=False).exists()
    demo.seed(organization=org, owner=owner)
    assert clients.count() == count and Address.objects.for_org(org).count() == addresses


def test_seed_through_the_command_twice(db, capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    count = User.unscoped.filter(organization__slug="demo").count()
    call_command("seed_demo")
    assert User.unscoped.filter(organization__slug="demo").count() == count
    assert User.unscoped.filter(organization__slug="demo", email="ada@engines.example.com").exists()
