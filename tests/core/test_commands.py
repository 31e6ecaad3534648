"""The management commands: the created value is the last line of stdout; bad input exits non-zero with a
one-line reason and writes nothing."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from serviceengine.models import ApiToken, Organization, User, hash_token
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_create_org_prints_its_id():
    org_id = run("create_org", "acme-studio", "--name", "Acme Studio")
    org = Organization.objects.get(slug="acme-studio")
    assert str(org.id) == org_id and org.name == "Acme Studio"


@pytest.mark.parametrize("slug", ["Bad", "two words", "-lead", "trail-", "double--hyphen", "ünï"])
def test_create_org_rejects_bad_slugs(slug):
    with pytest.raises(CommandError):
        run("create_org", slug, "--name", "X")
    assert not Organization.objects.exists()


def test_create_org_rejects_duplicates_and_empty_names():
    run("create_org", "acme", "--name", "Acme")
    with pytest.raises(CommandError, match="already exists"):
        run("create_org", "acme", "--name", "Again")
    with pytest.raises(CommandError):
        run("create_org", "other", "--name", "  ")
    assert Organization.objects.count() == 1


def test_create_team_member_prints_the_user_id(org):
    user_id = run("create_team_member", "acme", "Bob@Acme.Example.com", "--name-f", "Bob", "--name-l", "Builder")
    user = User.objects.for_org(org).get(pk=user_id)
    assert user.email == "bob@acme.example.com" and user.role.dashboard_access > 0


@pytest.mark.parametrize(
    "args",
    [
        ("nope", "a@b.example.com", "--name-f", "A", "--name-l", "B"),
        ("acme", "not-an-email", "--name-f", "A", "--name-l", "B"),
        ("acme", "a@b.example.com", "--name-f", " ", "--name-l", "B"),
        ("acme", "a@b.example.com", "--name-f", "A", "--name-l", "B", "--role", "Client"),
        ("acme", "a@b.example.com", "--name-f", "A", "--name-l", "B", "--role", "Nope"),
    ],
)
def test_create_team_member_bad_input_writes_nothing(org, args):
    with pytest.raises(CommandError):
        run("create_team_member", *args)
    assert not User.unscoped.exists()


def test_create_team_member_duplicate_email(org):
    factories.make_team_member(org, email="dup@acme.example.com")
    with pytest.raises(CommandError, match="already been taken"):
        run("create_team_member", "acme", "DUP@acme.example.com", "--name-f", "A", "--name-l", "B")


def test_create_api_token_prints_a_working_raw_token(org, owner, client):
    raw = run("create_api_token", "acme", "--user", owner.email, "--name", "CI")
    token = ApiToken.unscoped.get(token_hash=hash_token(raw))
    assert token.user == owner and token.name == "CI" and token.expires_at is None
    assert client.get("/api/health", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_create_api_token_without_user_uses_or_creates_a_team_member(org):
    raw = run("create_api_token", "acme")
    token = ApiToken.unscoped.select_related("user__role").get(token_hash=hash_token(raw))
    assert token.user.role.dashboard_access > 0
    raw2 = run("create_api_token", "acme")
    assert ApiToken.unscoped.get(token_hash=hash_token(raw2)).user == token.user


def test_create_api_token_with_expiry(org, owner):
    when = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    raw = run("create_api_token", "acme", "--expires-at", when.isoformat())
    assert ApiToken.unscoped.get(token_hash=hash_token(raw)).expires_at == when


@pytest.mark.parametrize(
    "args",
    [
        ("nope",),
        ("acme", "--user", "nobody@acme.example.com"),
        ("acme", "--expires-at", "tomorrow"),
        ("acme", "--expires-at", "2000-01-01"),
        ("acme", "--name", " "),
    ],
)
def test_create_api_token_bad_input_writes_nothing(org, owner, args):
    with pytest.raises(CommandError):
        run("create_api_token", *args)
    assert not ApiToken.unscoped.exists()


def test_create_api_token_refuses_clients(org):
    client_user = factories.make_client(org, email="c@example.com")
    with pytest.raises(CommandError, match="not a team member"):
        run("create_api_token", "acme", "--user", client_user.email)


def test_commands_fail_with_one_line_reason_and_nonzero_exit(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, env=env)
    result = subprocess.run(
        [sys.executable, "manage.py", "create_org", "Bad Slug", "--name", "X"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_seed_demo_is_idempotent_and_prints_a_working_token(client):
    first = run("seed_demo")
    counts = {m.__name__: getattr(m, "unscoped", m._default_manager).count() for m in (Organization, User, ApiToken)}
    second = run("seed_demo")
    assert first == second
    assert counts == {m.__name__: getattr(m, "unscoped", m._default_manager).count() for m in (Organization, User, ApiToken)}
    token = ApiToken.unscoped.get(token_hash=hash_token(first))
    assert token.organization.slug == "demo"
