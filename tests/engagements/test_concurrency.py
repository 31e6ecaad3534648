"""Real concurrency on PostgreSQL: `advance` locks the project row (Decision 2), so concurrent advances that state
the phase they saw move the project one phase, and advances without an expectation are serialized, never lost."""
import pytest
from django.db import connection
from rest_framework.test import APIClient

from engagements.models import Project
from tests import factories
from tests.engagements.conftest import make_project
from tests.helpers import run_in_threads

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks and concurrent transactions")


@pytest.fixture
def setup():
    org = factories.make_org()
    _token, raw = factories.make_token(org, factories.make_team_member(org))
    return org, raw


def advance(raw, project, body):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api.post(f"/api/projects/{project.pk}/advance", body, format="json")


def test_two_concurrent_advances_from_the_same_phase_move_one_phase(setup):
    org, raw = setup
    project = make_project(org, phase=2)
    responses = run_in_threads(lambda i: advance(raw, project, {"from_phase_id": 2}), 2)
    assert sorted(r.status_code for r in responses) == [200, 409]
    ok = next(r for r in responses if r.status_code == 200)
    conflict = next(r for r in responses if r.status_code == 409)
    assert ok.json()["phase_id"] == 3
    assert conflict.json() == {"detail": "Project is in phase Build, not Setup."}
    assert Project.objects.for_org(org).get(pk=project.pk).phase == 3


def test_many_concurrent_advances_from_the_same_phase_move_one_phase(setup):
    org, raw = setup
    project = make_project(org)
    responses = run_in_threads(lambda i: advance(raw, project, {"from_phase_id": 1}), 6)
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5
    assert Project.objects.for_org(org).get(pk=project.pk).phase == 2


def test_concurrent_advances_without_expectation_are_serialized(setup):
    org, raw = setup
    project = make_project(org)
    responses = run_in_threads(lambda i: advance(raw, project, {}), 2)
    assert [r.status_code for r in responses] == [200, 200]
    assert sorted(r.json()["phase_id"] for r in responses) == [2, 3]
    assert Project.objects.for_org(org).get(pk=project.pk).phase == 3
