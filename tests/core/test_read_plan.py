"""The compiled read path (`ReadPlan`) renders exactly what DRF's own `Serializer.to_representation` renders.

Every read endpoint is called twice on the same rows: once as served, once with `ContractSerializer` switched back
to DRF's field-by-field rendering. The bodies must be identical, key order included. Then the plan's edge rules
are compared with DRF's on small serializers: dotted sources through a null, callables, mappings, missing
attributes (SkipField), defaults and relational fields.
"""
import json

import pytest
from rest_framework import serializers

from serviceengine.api.serializers import ContractSerializer, ReadPlan
from tests import factories
from tests.billing import factories as billing_factories
from tests.orders import factories as order_factories
from tests.support import factories as support_factories


def drf_rendering(monkeypatch):
    monkeypatch.setattr(ContractSerializer, "to_representation", serializers.Serializer.to_representation)


@pytest.fixture
def rows(org, owner):
    """A row of every resource, with the nested shapes filled in (address, employees, tags, items, messages) and
    the null ones too (a client without an address, a message whose author is gone, a ticket without order)."""
    client = factories.make_client(org, address=factories.make_address(org), custom_fields={"tier": "gold"})
    bare_client = factories.make_client(org)
    service = factories.make_service(org, metadata={"category": "seo"})
    order = order_factories.make_order(org, client, employees=[owner], tags=["rush", "vip"], price="1500.50")
    order_factories.make_order(org, bare_client)
    order_factories.make_task(order, employees=[owner])
    order_factories.make_task(order)
    order_factories.make_message(order, owner, files=["a.png"])
    order_factories.make_message(order, None)
    proposal = billing_factories.make_proposal(org, status="sent", services_=[service])
    invoice = billing_factories.make_invoice(org, user=client, recurring={"r_period_l": 1, "r_period_t": "M"})
    billing_factories.make_invoice(org, user=bare_client)
    ticket = support_factories.make_ticket(org, client, order=order)
    support_factories.add_employee(ticket, owner)
    support_factories.add_tag(ticket)
    support_factories.add_message(ticket)
    support_factories.make_ticket(org, bare_client)
    return {"client": client, "service": service, "order": order, "proposal": proposal, "invoice": invoice,
            "ticket": ticket}


def read_paths(rows):
    return [
        "/api/clients", f"/api/clients/{rows['client'].pk}",
        "/api/services", f"/api/services/{rows['service'].pk}",
        "/api/orders", f"/api/orders/{rows['order'].pk}",
        f"/api/orders/{rows['order'].pk}/tasks", f"/api/orders/{rows['order'].pk}/messages",
        "/api/proposals", f"/api/proposals/{rows['proposal'].pk}",
        "/api/invoices", f"/api/invoices/{rows['invoice'].pk}",
        "/api/tickets", f"/api/tickets/{rows['ticket'].pk}",
    ]


def test_every_read_endpoint_renders_as_drf_would(api, rows, monkeypatch):
    served = {}
    for path in read_paths(rows):
        response = api.get(path)
        assert response.status_code == 200, path
        served[path] = response.content.decode()
    drf_rendering(monkeypatch)
    for path, body in served.items():
        expected = api.get(path).content.decode()
        assert body == expected, path
        assert json.loads(body), path  # not vacuously equal: every body has content


def test_write_responses_render_as_drf_would(api, rows, owner, monkeypatch):
    order = rows["order"]
    post = {"content_type": "application/json"}
    message = api.post(f"/api/orders/{order.pk}/messages", json.dumps({"message": "Hello"}), **post)
    task = api.post(f"/api/orders/{order.pk}/tasks", json.dumps({"name": "Review", "employee_ids": [str(owner.pk)]}), **post)
    updated = api.put(f"/api/orders/{order.pk}", json.dumps({"note": "changed"}), **post)
    assert (message.status_code, task.status_code, updated.status_code) == (201, 201, 200)
    drf_rendering(monkeypatch)
    listed_messages = {m["id"]: m for m in api.get(f"/api/orders/{order.pk}/messages").json()}
    listed_tasks = {t["id"]: t for t in api.get(f"/api/orders/{order.pk}/tasks").json()}
    assert message.json() == {**listed_messages[message.json()["id"]], "user": None}  # created: user always null
    assert task.json() == listed_tasks[task.json()["id"]]
    assert task.json()["employees"] and updated.json()["note"] == "changed"
    assert updated.content == api.get(f"/api/orders/{order.pk}").content


class Author:
    def __init__(self, name):
        self.name = name

    def shout(self):
        return self.name.upper()


class Post:
    def __init__(self, author, **extra):
        self.author = author
        self.title = "Hello"
        self.__dict__.update(extra)


class AuthorSerializer(ContractSerializer):
    name = serializers.CharField(read_only=True)
    shout = serializers.CharField(read_only=True)


class PostSerializer(ContractSerializer):
    title = serializers.CharField(read_only=True)
    author_name = serializers.CharField(source="author.name", read_only=True, allow_null=True)
    author_shout = serializers.CharField(source="author.shout", read_only=True, allow_null=True)
    author = AuthorSerializer(read_only=True, allow_null=True)
    views = serializers.IntegerField(read_only=True)
    rating = serializers.FloatField(read_only=True, default=0.0)
    flag = serializers.BooleanField(read_only=True, allow_null=True)
    whole = serializers.SerializerMethodField()

    def get_whole(self, post) -> str:
        return type(post).__name__


@pytest.mark.parametrize(
    "instance",
    [
        Post(Author("ann"), views=3, flag=1),
        Post(None, views="7", flag=None),  # dotted sources through a null author; a string count
        Post(Author("bob")),  # no `views`: DRF skips the key; no `rating`: its default
        {"title": "From a dict", "author": {"name": "cy", "shout": "CY"}, "views": 1, "flag": True},
    ],
    ids=["object", "null-on-path", "missing-attributes", "mapping"],
)
def test_plan_follows_drf_on_edge_cases(instance, monkeypatch):
    fast = PostSerializer(instance).data
    drf_rendering(monkeypatch)
    assert dict(PostSerializer(instance).data) == dict(fast)
    assert list(fast) == list(PostSerializer(instance).data)


def test_plan_is_built_once_per_class_and_not_shared_with_subclasses():
    class Shorter(PostSerializer):
        whole = None

    assert ReadPlan.of(PostSerializer) is ReadPlan.of(PostSerializer)
    assert "whole" in [step[0] for step in ReadPlan.of(PostSerializer).steps]
    assert "whole" not in [step[0] for step in ReadPlan.of(Shorter).steps]


def test_plan_reads_sources_that_are_not_python_names(monkeypatch):
    class Odd(ContractSerializer):
        klass = serializers.CharField(source="class", read_only=True)
        dashed = serializers.CharField(source="a-b", read_only=True)
        nested = serializers.CharField(source="author.from", read_only=True, allow_null=True)

    post = Post(Author("ann"), **{"class": "vip", "a-b": "x"})
    setattr(post.author, "from", "here")
    fast = Odd(post).data
    drf_rendering(monkeypatch)
    assert fast == {"klass": "vip", "dashed": "x", "nested": "here"} == Odd(post).data
