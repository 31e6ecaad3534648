"""Clients: people of an organization who hold the client role (contract clients.md, README §10.2).

They are rows of the core `User` table; `Client` is a proxy whose `objects` only ever sees the client role.
Addresses are the core `Address` model.
"""
from django.db import models

from serviceengine.models import User, UserQuerySet


class ClientManager(models.Manager.from_queryset(UserQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(role__dashboard_access=0)


class Client(User):
    """A user of the organization whose role is a client role (`dashboard_access = 0`)."""

    objects = ClientManager()  # always followed by .for_org()

    class Meta:
        proxy = True
        default_manager_name = "all_objects"
