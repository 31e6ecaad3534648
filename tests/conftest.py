"""Shared fixtures: two organizations, a team member with a token in each, API clients for both."""
import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def org(db):
    return factories.make_org(slug="acme", name="Acme Agency")


@pytest.fixture
def other_org(db):
    return factories.make_org(slug="globex", name="Globex")


@pytest.fixture
def owner(org):
    return factories.make_team_member(org, email="owner@acme.example.com", name_f="Olive", name_l="Owner")


@pytest.fixture
def token(org, owner):
    return factories.make_token(org, owner)


@pytest.fixture
def api(token):
    """An APIClient authenticated as the organization's owner."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    return client


@pytest.fixture
def api_for(db):
    """`api_for(org)` → an APIClient with a fresh token of that organization."""

    def build(organization, user=None):
        _token, raw = factories.make_token(organization, user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return build


@pytest.fixture
def other_api(other_org, api_for):
    return api_for(other_org)


@pytest.fixture
def anon():
    return APIClient()
