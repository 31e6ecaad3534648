"""`Children(...)` (serviceengine/perf/shape.py): a resource's child kind narrowed by a condition, with computed
values, in an order of its own, at most `limit` per parent — the same rows on every read of the reader (compiled
page, retrieve, filtered rows, embedded on PostgreSQL) and through the ORM's prefetch (`ChildShape.queryset`)."""
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.utils import timezone
from rest_framework import serializers

from engagements.models import Conversation, ConversationMessage, Engagement, Project
from serviceengine.api.resource import Children, Resource
from serviceengine.api.serializers import ContractSerializer
from serviceengine.perf.lean import Reader, embeddable
from tests.engagements.conftest import make_conversation, make_engagement, make_project


class MessageRow(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    content = serializers.CharField(read_only=True)


class ThreadRow(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    messages = MessageRow(many=True, read_only=True)


class ProjectRow(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class ConversationRow(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    posts = serializers.IntegerField(read_only=True)


class EngagementRow(ContractSerializer):
    id = serializers.UUIDField(read_only=True)
    projects = ProjectRow(many=True, read_only=True)
    conversations = ConversationRow(many=True, read_only=True)


NEWEST_3 = Children(scope=lambda qs: qs.filter(is_internal=False, deleted_at__isnull=True),
                    order=("created_at", "id"), limit=3, limit_by=("-created_at", "-id"))


def posts():
    return Subquery(
        ConversationMessage.all_objects.filter(organization_id=OuterRef("organization_id"), conversation=OuterRef("pk"))
        .order_by().values("conversation").annotate(n=Count("id")).values("n"),
        output_field=IntegerField(),
    )


ENGAGEMENT_CHILDREN = {
    "projects": Children(scope=lambda qs: qs.filter(deleted_at__isnull=True), order=("name", "id")),
    "conversations": Children(annotations={"posts": posts}, order=(F("last_message_at").desc(nulls_last=True), "id")),
}


def message(org, conversation, content, minutes, **over):
    return ConversationMessage.unscoped.create(
        organization=org, conversation=conversation, sender_uuid=conversation.pk, content=content,
        created_at=timezone.now() - timedelta(minutes=100 - minutes), **over,
    )


def every_read(reader, org, pks):
    """What each read path of the reader renders for `pks` (ordered by id), with the serializer."""
    serializer = reader.serializer_class
    ordered = sorted(pks)
    page, _ = reader.page(org, ("id", True), 100, 0)
    filtered = reader.base(org.pk).filter(pk__in=pks).order_by("id")
    return {
        "retrieve": [serializer(reader.one(org, pk)).data for pk in ordered],
        "page": serializer([row for row in page if row.pk in set(pks)], many=True).data,
        "filtered": serializer(reader.rows(filtered), many=True).data,
    }


def test_limited_children_are_the_newest_visible_ones_oldest_first(org):
    long, short, empty = make_conversation(org), make_conversation(org), make_conversation(org)
    for minute in range(10):
        message(org, long, f"L{minute}", minute, is_internal=minute == 8)
    message(org, long, "deleted", 50, deleted_at=timezone.now())
    message(org, short, "S0", 1)
    reader = Reader(Conversation, ThreadRow, lambda org_id: Conversation.objects.for_org(org_id),
                    children={"messages": NEWEST_3})
    [child] = reader.children
    assert embeddable(child)  # PostgreSQL: the same `id IN (… LIMIT n)` inside the row query's JSON array
    expected = sorted([
        {"id": str(long.pk), "messages": [{"id": str(m.pk), "content": m.content} for m in
                                          ConversationMessage.objects.for_org(org).filter(
                                              content__in=["L6", "L7", "L9"]).order_by("created_at")]},
        {"id": str(short.pk), "messages": [{"id": str(short.messages.get().pk), "content": "S0"}]},
        {"id": str(empty.pk), "messages": []},
    ], key=lambda row: row["id"])
    for path, rendered in every_read(reader, org, [long.pk, short.pk, empty.pk]).items():
        assert [dict(row) | {"messages": [dict(m) for m in row["messages"]]} for row in rendered] == expected, path
    prefetched = child.queryset().filter(conversation=long)  # the ORM's prefetch: same rows
    assert [m.content for m in prefetched] == ["L6", "L7", "L9"]


def test_children_scoped_annotated_and_ordered_their_own_way(org):
    engagement = make_engagement(org)
    kept = [make_project(org, engagement, name=name) for name in ("b", "a")]
    make_project(org, engagement, name="0 deleted", deleted_at=timezone.now())
    quiet = make_conversation(org, kept[0])
    busy = make_conversation(org, kept[1], last_message_at=timezone.now())
    for minute in range(2):
        message(org, busy, f"m{minute}", minute)
    reader = Reader(Engagement, EngagementRow, lambda org_id: Engagement.objects.for_org(org_id),
                    children=ENGAGEMENT_CHILDREN)
    projects, conversations = reader.children
    assert embeddable(projects) and embeddable(conversations)  # scoped; computed values of a JSON-faithful type
    expected = {
        "id": str(engagement.pk),
        "projects": [{"id": str(kept[1].pk), "name": "a"}, {"id": str(kept[0].pk), "name": "b"}],
        "conversations": [{"id": str(busy.pk), "posts": 2}, {"id": str(quiet.pk), "posts": None}],  # nulls last
    }
    for path, rendered in every_read(reader, org, [engagement.pk]).items():
        assert [dict(rendered[0]) | {k: [dict(c) for c in rendered[0][k]] for k in ("projects", "conversations")}] \
            == [expected], path


def test_children_declared_for_what_is_not_a_reverse_foreign_key_are_refused():
    with pytest.raises(ImproperlyConfigured, match="reverse foreign key"):
        Resource(model=Project, read=ProjectRow, children={"engagement": Children()})
    with pytest.raises(ImproperlyConfigured, match="reverse foreign key"):
        Resource(model=Engagement, read=EngagementRow, children={"projects": {"order": ("id",)}})
