"""Scoped tokens (issue 14): a `read` token may only GET and HEAD; every other method on every authenticated
route answers 403 `{"detail": "This token is read-only."}` before anything runs. The routes are read from the URL
conf (tests/security/routes.py), so a route added later is covered without touching this file."""
import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from clients.models import Client
from serviceengine.api.authentication import HasOrganization
from serviceengine.models import ApiToken, hash_token
from tests import factories
from tests.helpers import assert_detail
from tests.security.routes import EVERY_METHOD, walk

pytestmark = pytest.mark.django_db
READ_ONLY = "This token is read-only."


def token_routes():
    """Every route whose view authenticates with a token (HasOrganization), with its DRF view class."""
    out = []
    for route in walk():
        cls = getattr(route.callback, "cls", None)
        if cls is not None and any(isinstance(p, HasOrganization) for p in cls().get_permissions()):
            out.append(route)
    return out


ROUTES = token_routes()


def test_the_walk_finds_the_write_routes():
    displays = {route.display for route in ROUTES}
    assert "/api/clients" in displays and "/api/orders/{pk}" in displays
    assert len(ROUTES) >= 10


@pytest.fixture
def reader(org, owner):
    _token, raw = factories.make_token(org, owner, scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_read_token_is_refused_every_write_method(reader, org, route):
    before = Client.objects.for_org(org).count()
    for method in EVERY_METHOD:
        if method in ("GET", "HEAD"):
            continue
        response = reader.generic(method, route.url, data=b'{"email": "x@example.com", "name_f": "A"}', content_type="application/json")
        assert_detail(response, 403, READ_ONLY)
    assert Client.objects.for_org(org).count() == before


def test_a_read_token_reads(reader, org):
    client = factories.make_client(org)
    assert reader.get("/api/clients").status_code == 200
    assert reader.get(f"/api/clients/{client.id}").status_code == 200
    assert reader.head("/api/clients").status_code == 200


def test_a_read_token_creates_nothing_and_writes_nothing(reader, org):
    client = factories.make_client(org, email="keep@example.com")
    assert_detail(reader.post("/api/clients", {"email": "new@example.com"}, format="json"), 403, READ_ONLY)
    assert_detail(reader.put(f"/api/clients/{client.id}", {"name_f": "Changed"}, format="json"), 403, READ_ONLY)
    assert_detail(reader.delete(f"/api/clients/{client.id}"), 403, READ_ONLY)
    # Refused before the id is looked up and before the body is read.
    assert_detail(reader.delete(f"/api/clients/{uuid.uuid4()}"), 403, READ_ONLY)
    assert_detail(reader.post("/api/clients", b"not json", content_type="application/json"), 403, READ_ONLY)
    client.refresh_from_db()  # still there
    assert client.name_f != "Changed"
    assert not Client.objects.for_org(org).filter(email="new@example.com").exists()


def test_a_write_token_writes(api):
    assert api.post("/api/clients", {"email": "w@example.com", "name_f": "W", "name_l": "X"}, format="json").status_code == 201


def _create(*args):
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    return ApiToken.unscoped.get(token_hash=hash_token(raw)), raw


def test_create_api_token_scope_and_rate_limit(org, owner):
    token, _raw = _create("acme")
    assert (token.scope, token.rate_limit) == ("write", "")
    token, raw = _create("acme", "--scope", "read", "--rate-limit", "5/min")
    assert (token.scope, token.rate_limit) == ("read", "5/minute")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_detail(client.post("/api/clients", {}, format="json"), 403, READ_ONLY)
    for bad in (["--scope", "admin"], ["--rate-limit", "5/day"], ["--rate-limit", "lots"], ["--rate-limit", "0/second"]):
        with pytest.raises((CommandError, SystemExit)):
            _create("acme", *bad)
