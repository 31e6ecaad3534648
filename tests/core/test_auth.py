"""Bearer-token authentication (contract §3)."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from serviceengine.models import ApiToken, hash_token
from tests import factories
from tests.helpers import assert_detail

pytestmark = pytest.mark.urls("tests.core.probe")
URL = "/api/probes"


def client_with(header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize("header", [None, "", "bearer {t}", "Token {t}", "Bearer ", "Bearer  {t}", "{t}", "BEARER {t}"])
def test_missing_or_malformed_header_is_unauthorized(token, header):
    raw = token[1]
    response = client_with(None if header is None else header.format(t=raw)).get(URL)
    assert_detail(response, 401, "Unauthorized")


def test_unknown_token_is_unauthorized(db, token):
    assert_detail(client_with("Bearer sx_not-a-real-token").get(URL), 401, "Unauthorized")


def test_revoked_token_is_unauthorized(token):
    token[0].revoke()
    assert_detail(client_with(f"Bearer {token[1]}").get(URL), 401, "Unauthorized")


def test_expired_token_says_token_expired(org, owner):
    _tok, raw = factories.make_token(org, owner, expires_at=timezone.now() - timedelta(seconds=1))
    assert_detail(client_with(f"Bearer {raw}").get(URL), 401, "Token expired")


def test_token_expiring_later_is_accepted(org, owner):
    _tok, raw = factories.make_token(org, owner, expires_at=timezone.now() + timedelta(hours=1))
    assert client_with(f"Bearer {raw}").get(URL).status_code == 200


def test_valid_token_authenticates(api):
    assert api.get(URL).status_code == 200


def test_401_comes_before_body_parsing(db):
    response = client_with(None).post(URL, data="{not json", content_type="application/json")
    assert_detail(response, 401, "Unauthorized")


def test_only_the_sha256_hash_is_stored(org, owner):
    token, raw = ApiToken.issue(organization=org, user=owner)
    stored = ApiToken.unscoped.values_list("token_hash", flat=True).get(pk=token.pk)
    assert stored == hash_token(raw)
    assert len(stored) == 64 and raw not in stored
    assert not any(raw in str(v) for v in ApiToken.unscoped.filter(pk=token.pk).values().first().values())


def test_last_used_at_is_written_at_most_once_a_minute(org, owner):
    token, raw = ApiToken.issue(organization=org, user=owner)
    client = client_with(f"Bearer {raw}")
    assert token.last_used_at is None
    client.get(URL)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_authentication_costs_one_query_in_steady_state(api, org):
    from tests.helpers import count_queries

    response, queries = count_queries(lambda: api.get(URL + "/00000000-0000-0000-0000-000000000000"))
    assert response.status_code == 404
    # token lookup (joined with organization and user) + the object lookup
    assert len(queries) == 2, queries


@pytest.mark.parametrize("path", ["/api/health", "/api"])
def test_open_endpoints_ignore_authorization(db, path):
    assert client_with("Bearer garbage").get(path).status_code == 200
    assert client_with("nonsense").get(path).status_code == 200
