"""The one read path renders, byte for byte, what DRF renders from model instances — for every declared resource
and every one of its read serializers, with every field filled.

The rows are generated from the declarations, not written by hand: for each resource, `Filler` creates root rows
whose every column holds a value (every relation the read serializer reaches is created too, filled the same way)
and two children of every child kind the read plan derives from the serializer (serviceengine/perf/shape.py), plus
a sparse root whose nullable columns are all null. The reference rendering is DRF's own
`Serializer.to_representation` (the compiled `ReadPlan` switched off) over model instances loaded with the ORM
(`Resource.orm()`: select_related/prefetch_related derived from the same serializer); the served rendering is the
reader's `Row` objects through the plan, as every endpoint does: a compiled unfiltered page, an ORM-built filtered
page, and a retrieve. A new resource, serializer field or child kind is covered without touching this file.
"""
import itertools
import uuid
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import serializers

from serviceengine.api.renderers import FastJSONRenderer
from serviceengine.api.resource import declared
from serviceengine.api.serializers import ContractSerializer
from serviceengine.models import Organization, Role
from serviceengine.perf.compiled import MissingColumn, row_class
from serviceengine.perf.shape import shape_of

COUNTER = itertools.count(1)
BASE_TIME = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt_timezone.utc)
# JSON columns whose items have a documented shape the generic value cannot guess (label.field → value of n).
JSON_SHAPES = {
    "engagements.ConversationMessage.attachments": lambda n: [
        {"name": f"file-{n}.png", "url": f"https://files.example.com/{n}", "size": n}, {"name": "b.pdf", "url": "u"},
    ],
}


def resources():
    return [(resource, serializer) for resource in declared() for serializer in resource.read_serializers()]


def resource_id(case):
    resource, serializer = case
    return f"{resource.model._meta.label}:{serializer.__name__}"


class Filler:
    """Creates rows of any model with every column filled (nullable ones too, unless `sparse`)."""

    def __init__(self, organization, roles):
        self.organization = organization
        self.roles = roles  # the role users get (a client's or a team member's, as the resource's scope needs)
        self.counter = COUNTER  # shared: values stay unique across fillers (emails, numbers, names)
        self.made = {}
        self.making = set()

    def value(self, field):
        n = next(self.counter)
        if field.choices:
            return field.choices[-1][0]
        kind = field.get_internal_type()
        if kind in ("CharField", "TextField", "SlugField"):
            if isinstance(field, models.EmailField):
                return f"user{n}@example.com"
            text = f"{field.name[:6]}-{n}-é"
            return text[: field.max_length] if field.max_length else text
        if kind in ("IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                    "PositiveSmallIntegerField", "PositiveBigIntegerField"):
            return n
        if kind == "DecimalField":
            return Decimal(f"{n % 90 + 10}.{'5' * field.decimal_places}")
        if kind == "FloatField":
            return 1.5
        if kind == "BooleanField":
            return True
        if kind == "DateTimeField":
            return BASE_TIME + timedelta(seconds=n)
        if kind == "DateField":
            return date(2024, 5, 6) + timedelta(days=n)
        if kind == "JSONField":
            shaped = JSON_SHAPES.get(f"{field.model._meta.label}.{field.name}")
            if shaped is not None:
                return shaped(n)
            default = field.default() if callable(field.default) else field.default
            return [f"file-{n}.png", "b.pdf"] if isinstance(default, list) else {"title": f"t{n}", "note": "ü"}
        if kind == "UUIDField":
            return uuid.uuid4()
        if kind == "GenericIPAddressField":
            return "10.0.0.1"
        raise NotImplementedError(f"{field.model.__name__}.{field.name}: no generated value for a {kind}")

    def related(self, field, sparse, fresh=False):
        model = field.related_model
        if model is Organization:
            return self.organization
        if model is Role:
            return self.roles
        if sparse and field.null:
            return None
        if fresh:  # a child's own references: new rows (junctions are unique per parent and target)
            return self.make(model)
        if model in self.made:
            return self.made[model]
        if model in self.making:  # a cycle: leave it out where the schema allows
            if field.null:
                return None
            raise NotImplementedError(f"{field.model.__name__}.{field.name}: a required cycle")
        self.making.add(model)
        try:
            self.made[model] = self.make(model)
        finally:
            self.making.discard(model)
        return self.made[model]

    def make(self, model, *, sparse=False, fresh=False, **given):
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name in given:
                continue
            if field.name == "deleted_at":
                values[field.name] = None
            elif field.is_relation:
                values[field.name] = self.related(field, sparse, fresh)
            elif sparse and field.null:
                values[field.name] = None
            else:
                values[field.name] = self.value(field)
        return model._base_manager.create(**values, **given)


def make_rows(resource, serializer, organization, roles) -> list:
    """Two filled roots with two children of every kind, and a sparse root; their ids."""
    filler = Filler(organization, roles)
    shape = resource.reader(serializer).shape
    roots = []
    for sparse in (False, False, True):
        root = filler.make(resource.model, sparse=sparse)
        roots.append(root.pk)
        if sparse:
            continue
        for child in shape.children:
            parent_field = next(f for f in child.model._meta.concrete_fields if f.attname == child.parent)
            for _ in range(2):
                filler.make(child.model, fresh=True, **{parent_field.name: root})
    return roots


def render(data) -> bytes:
    return FastJSONRenderer().render(data)


def drf_rendering(monkeypatch):
    monkeypatch.setattr(ContractSerializer, "to_representation", serializers.Serializer.to_representation)


@pytest.fixture
def roles(db):
    return {
        "client": Role.objects.client_role(),
        "team": Role.objects.filter(dashboard_access__gt=0).order_by("created_at", "id").first(),
    }


@pytest.mark.parametrize("case", resources(), ids=resource_id)
def test_reader_renders_what_drf_renders_with_every_field_filled(case, org, roles, monkeypatch):
    resource, serializer = case
    visible = resource.base(org)
    role = roles["client"]
    pks = make_rows(resource, serializer, org, role)
    if visible.filter(pk__in=pks).count() != len(pks):  # a scope that shows team members only
        role = roles["team"]
        pks = make_rows(resource, serializer, org, role)
    ordered = visible.filter(pk__in=pks).order_by("id")
    assert ordered.count() == len(pks), "the generated rows must be visible through the resource"
    reader = resource.reader(serializer)

    one = [reader.one(org, pk) for pk in sorted(pks)]
    page, _total = reader.page(org, ("id", True), 100, 0)
    page = [row for row in page if row.pk in set(pks)]
    filtered = reader.rows(ordered, 100, 0)
    served = {
        "retrieve": render([serializer(row).data for row in one]),
        "page": render(serializer(page, many=True).data),
        "filtered": render(serializer(filtered, many=True).data),
    }

    drf_rendering(monkeypatch)
    instances = list(resource.orm(org, serializer).filter(pk__in=pks).order_by("id"))
    expected = render(serializer(instances, many=True).data)
    assert served["retrieve"] == expected
    assert served["page"] == expected
    assert served["filtered"] == expected
    assert len(instances) == 3 and "-é" in expected.decode()  # not vacuous: the rows, with filled text, are there


def test_every_read_field_is_filled_and_no_read_is_left_out():
    """Each declaration's serializers plan without error, and a serializer method without @reads is refused."""
    assert {resource.model._meta.label for resource in declared()} >= {
        "catalog.Service", "clients.Client", "orders.Order", "orders.OrderTask", "orders.OrderMessage",
        "billing.Proposal", "billing.Invoice", "support.Ticket",
    }

    class Forgetful(ContractSerializer):
        id = serializers.UUIDField(read_only=True)
        shout = serializers.SerializerMethodField()

        def get_shout(self, obj):
            return obj.name_f.upper()

    from serviceengine.models import User

    with pytest.raises(ImproperlyConfigured, match="@reads"):
        shape_of(Forgetful, User)


def test_a_column_missing_from_the_plan_raises_instead_of_rendering_null(settings):
    from serviceengine.models import User

    class Summary(ContractSerializer):
        id = serializers.UUIDField(read_only=True)
        name_f = serializers.CharField(read_only=True, allow_null=True)

    row = row_class(User)()
    row.__dict__["id"] = uuid.uuid4()  # `name_f` was never selected
    settings.READ_STRICT = True
    with pytest.raises(MissingColumn, match="name_f"):
        Summary(row).data  # noqa: B018
    settings.READ_STRICT = False  # production: DRF's rules (a null)
    assert Summary(row).data["name_f"] is None
