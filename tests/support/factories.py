"""Support factories: tickets made straight in the database (explicit organization, keyword overrides)."""
from datetime import datetime, timezone as dt_timezone

from django.contrib.auth import get_user_model

from serviceengine.models import StaffProfile
from support.models import Ticket, TicketEmployee, TicketMessage, TicketTag
from tests import factories


def make_ticket(org, client=None, **over) -> Ticket:
    fields = {"subject": f"Ticket {factories.n()}", "user": client or factories.make_client(org)}
    fields.update(over)
    return Ticket.unscoped.create(organization=org, **fields)


def make_tag(org, name=None):
    from orders.models import Tag

    return Tag.unscoped.create(organization=org, name=name or f"tag-{factories.n()}")


def add_employee(ticket, user=None) -> TicketEmployee:
    user = user or factories.make_team_member(ticket.organization)
    return TicketEmployee.unscoped.create(ticket=ticket, user=user)


def add_tag(ticket, tag=None) -> TicketTag:
    return TicketTag.unscoped.create(ticket=ticket, tag=tag or make_tag(ticket.organization))


def add_message(ticket, user=None, **over) -> TicketMessage:
    fields = {"message": f"Message {factories.n()}", "user": user or ticket.user}
    fields.update(over)
    return TicketMessage.unscoped.create(organization=ticket.organization, ticket=ticket, **fields)


def at(text: str) -> datetime:
    """A UTC instant from `YYYY-MM-DDTHH:MM:SS`."""
    return datetime.fromisoformat(text).replace(tzinfo=dt_timezone.utc)


def make_staff_account(org, *, username=None, superuser=False):
    """A Django admin login; a staff account of `org` unless it is a superuser."""
    account = get_user_model().objects.create_user(
        username=username or f"staff{factories.n()}", password="pw", is_staff=True, is_superuser=superuser
    )
    if org is not None:
        StaffProfile.objects.create(user=account, organization=org)
    return account
