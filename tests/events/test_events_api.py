"""The event log through the API (issue 13): one event per change with the retrieve shape, the actor, Stripe-style
previous attributes, the list's filters and sort, tenant scoping, rollback and the query budget."""
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from events.models import Event
from events.services import events_purge_expired, record_event
from jobs.actors import acting_as, user_actor
from serviceengine.models import ApiToken
from tests.helpers import count_queries

GRACE = {"name_f": "Grace", "name_l": "Hopper", "email": "grace@navy.example.com"}


def events(api, **params):
    resp = api.get("/api/events", params)
    assert resp.status_code == 200, resp.content
    return resp.json()


def create_client(api, **over):
    resp = api.post("/api/clients", {**GRACE, **over}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def test_create_records_an_event_with_the_retrieve_body_and_the_token(api, token):
    client = create_client(api)
    body = events(api)
    assert body["meta"]["total"] == 1
    event = body["data"][0]
    assert set(event) == {"id", "type", "created_at", "object", "data", "previous_attributes", "actor"}
    assert event["type"] == "client.created"
    assert event["object"] == {"type": "client", "id": client["id"]}
    assert event["data"] == api.get(f"/api/clients/{client['id']}").json()
    assert event["previous_attributes"] == {}
    assert event["actor"] == {"type": "api_token", "id": str(token[0].pk), "name": token[0].name}
    assert api.get(f"/api/events/{event['id']}").json() == event


def test_update_records_the_changed_fields_old_values(api):
    client = create_client(api, note="old")
    resp = api.put(f"/api/clients/{client['id']}", {"note": "new", "company": "Navy"}, format="json")
    assert resp.status_code == 200, resp.content
    event = events(api, **{"filters[type][$eq]": "client.updated"})["data"][0]
    assert event["previous_attributes"] == {"note": "old", "company": None}
    assert event["data"] == resp.json()


def test_delete_records_the_object_as_it_was(api):
    client = create_client(api)
    before = api.get(f"/api/clients/{client['id']}").json()
    assert api.delete(f"/api/clients/{client['id']}").status_code == 204
    event = events(api)["data"][0]
    assert (event["type"], event["data"]) == ("client.deleted", before)


def test_refused_change_records_no_event(api, org):
    client = create_client(api)
    create_client(api, email="other@navy.example.com")
    resp = api.put(f"/api/clients/{client['id']}", {"email": "other@navy.example.com"}, format="json")
    assert resp.status_code == 400
    assert [e["type"] for e in events(api)["data"]] == ["client.created", "client.created"]


def test_rolled_back_change_leaves_no_event(org):
    with pytest.raises(RuntimeError), transaction.atomic():
        client_services.client_create(organization=org, **GRACE)
        raise RuntimeError("the surrounding transaction fails after the change")
    assert not Event.objects.for_org(org).exists()


def test_committed_change_without_request_is_the_systems(org):
    client = client_services.client_create(organization=org, **GRACE)
    event = Event.objects.for_org(org).get(object_id=client.pk)
    assert event.actor == {"type": "system", "id": None, "name": "system"}


def test_actor_can_be_an_admin_user(org, django_user_model):
    admin = django_user_model.objects.create_user(username="ada", first_name="Ada", last_name="L", password="x")
    with acting_as(user_actor(admin)):
        client = client_services.client_create(organization=org, **GRACE)
    event = Event.objects.for_org(org).get(object_id=client.pk)
    assert event.actor == {"type": "user", "id": str(admin.pk), "name": "Ada L"}


def test_newest_first_and_sort_ascending(api):
    first = create_client(api)
    second = create_client(api, email="b@navy.example.com")
    assert [e["object"]["id"] for e in events(api)["data"]] == [second["id"], first["id"]]
    assert [e["object"]["id"] for e in events(api, sort="created_at:asc")["data"]] == [first["id"], second["id"]]


def test_filters_by_type_object_and_date(api):
    client = create_client(api)
    create_client(api, email="b@navy.example.com")
    api.put(f"/api/clients/{client['id']}", {"note": "x"}, format="json")
    assert events(api, **{"filters[type][$eq]": "client.updated"})["meta"]["total"] == 1
    assert events(api, **{"filters[type][$in][]": ["client.updated", "client.created"]})["meta"]["total"] == 3
    assert events(api, **{"filters[object_id][$eq]": client["id"]})["meta"]["total"] == 2
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert events(api, **{"filters[created_at][$lt]": later})["meta"]["total"] == 3
    assert events(api, **{"filters[created_at][$gt]": later})["meta"]["total"] == 0
    assert events(api, **{"filters[created_at][$gt]": earlier})["meta"]["total"] == 3


def test_bad_filter_value_is_400(api):
    resp = api.get("/api/events", {"filters[object_id][$eq]": "nope"})
    assert resp.status_code == 400
    assert "filters[object_id][$eq]" in resp.json()["errors"]


def test_other_organizations_events_are_invisible(api, other_api):
    create_client(api)
    event_id = events(api)["data"][0]["id"]
    assert events(other_api)["meta"]["total"] == 0
    assert other_api.get(f"/api/events/{event_id}").status_code == 404
    assert api.get(f"/api/events/{uuid.uuid4()}").status_code == 404
    assert api.get("/api/events/not-a-uuid").status_code == 404


def test_unknown_event_type_is_a_programming_error(org):
    with pytest.raises(ValueError):
        record_event("client.exploded", organization=org, object_type="client", object_id=uuid.uuid4(), data={})


def test_list_is_a_fixed_number_of_queries(api, org, token):
    ApiToken.unscoped.filter(pk=token[0].pk).update(last_used_at=timezone.now())

    def add(n):
        for _ in range(n):
            record_event("client.created", organization=org, object_type="client", object_id=uuid.uuid4(),
                         data={"id": "x"})

    add(1)
    resp, one = count_queries(lambda: api.get("/api/events", {"limit": 1}))
    assert resp.status_code == 200
    add(120)
    resp, many = count_queries(lambda: api.get("/api/events", {"limit": 100}))
    assert len(resp.json()["data"]) == 100
    assert len(one) == len(many) == 3, many  # token, count, page
    _resp, retrieve = count_queries(lambda: api.get(f"/api/events/{resp.json()['data'][0]['id']}"))
    assert len(retrieve) == 2  # token, event


def test_retention_purge_deletes_only_old_events(org, settings):
    settings.EVENT_RETENTION_DAYS = 90
    old = record_event("client.created", organization=org, object_type="client", object_id=uuid.uuid4(), data={})
    new = record_event("client.created", organization=org, object_type="client", object_id=uuid.uuid4(), data={})
    Event.unscoped.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert events_purge_expired() == 1
    assert events_purge_expired() == 0  # idempotent
    assert list(Event.objects.for_org(org).values_list("pk", flat=True)) == [new.pk]
