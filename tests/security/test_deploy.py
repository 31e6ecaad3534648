"""Deployment hardening: Django's deploy checks pass with the production template (`.env.example`), the HTTPS
settings follow the environment, and no token, token digest or secret ever reaches a log record."""
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from serviceengine.models import hash_token
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
# Settings are imported with `.env` reading switched off, so a developer's own `.env` cannot change the outcome.
NO_DOTENV = "import environ; environ.Env.read_env = staticmethod(lambda *a, **k: None); "
HTTPS_SETTINGS = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "CORS_ALLOW_ALL_ORIGINS",
    "PAYMENTS_SIMULATED",
]


def env_example() -> dict[str, str]:
    """The variables of `.env.example` (`KEY=value` lines; comments and blanks skipped)."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter whose environment is exactly `env` (plus PATH), from the project root."""
    full_env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "serviceengine.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", NO_DOTENV + code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120,
        check=False,
    )


def settings_under(env: dict[str, str]) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k, None) for k in {HTTPS_SETTINGS!r}}}))"
    )
    done = run_python(code, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_deploy_checks_pass_with_the_production_template(tmp_path):
    env = {**env_example(), "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}"}
    code = (
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    done = run_python(code, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output and "WARNING" not in output, output


def test_https_hardening_is_off_by_default():
    values = settings_under({"SECRET_KEY": "k" * 60})
    assert values == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None, "CORS_ALLOW_ALL_ORIGINS": False, "PAYMENTS_SIMULATED": False,
    }


def test_https_hardening_is_on_with_the_production_template(tmp_path):
    values = settings_under({**env_example(), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert values == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "CORS_ALLOW_ALL_ORIGINS": False,
        "PAYMENTS_SIMULATED": False,
    }


def test_settings_refuse_to_load_without_a_secret_key_in_production():
    done = run_python("import django; django.setup()", {})
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr


def test_ssl_redirect_and_hsts_apply_when_configured(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = APIClient()  # a new client loads the middleware with these settings
    plain = client.get("/api/clients")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get("/api/health").status_code == 200  # probes stay on plain HTTP
    secure = client.get("/api", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200 and secure["Strict-Transport-Security"] == "max-age=3600"


# --- nothing secret is ever logged -----------------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog, monkeypatch):
    """Every record of every logger at DEBUG, including loggers configured not to propagate (django.request)."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "propagate", True)
            monkeypatch.setattr(logger, "disabled", False)
            caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    return caplog


def leaked(records, secrets: dict[str, str]) -> list[str]:
    """(secret name, logger) for each record whose message, exception text, stack or any attribute holds one."""
    formatter = logging.Formatter()
    found = []
    for record in records:
        parts = [record.getMessage(), str(record.stack_info or "")]
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
        parts += [str(value) for value in vars(record).values()]
        text = "\n".join(parts)
        found += [f"{name} in {record.name}: {record.getMessage()[:120]}" for name, s in secrets.items() if s in text]
    return found


def test_tokens_and_secrets_never_reach_the_logs(all_logs, settings, org, owner, monkeypatch):
    from billing import stripe_gateway
    from clients.views import ClientViewSet
    from tests.billing.conftest import FakeStripe
    from tests.billing.factories import make_invoice

    valid_token, valid = factories.make_token(org, owner)
    _t, expired = factories.make_token(org, owner, expires_at=timezone.now() - timedelta(minutes=1))
    revoked_token, revoked = factories.make_token(org, owner)
    revoked_token.revoke()
    unknown = "sx_never-issued-token-value-0123456789"
    settings.SECRET_KEY = "secret-key-under-test-" + "s" * 40
    settings.STRIPE_SECRET_KEY = "sk_test_secret_under_test_51Hxyz"
    settings.PAYMENTS_SIMULATED = False
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    fake = FakeStripe().start()
    settings.STRIPE_API_BASE = fake.url
    try:
        client = APIClient()
        for raw in (valid, expired, revoked, unknown):
            for header in (f"Bearer {raw}", f"Token {raw}", f"bearer {raw}", raw):
                client.get("/api/clients", HTTP_AUTHORIZATION=header)
                client.post("/api/clients", "{broken", content_type="application/json", HTTP_AUTHORIZATION=header)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {valid}"}
        assert client.get("/api/clients/not-a-uuid", **auth).status_code == 404
        invoice = make_invoice(org)
        for mode, status in (("decline", 400), ("error", 503)):
            fake.mode = mode
            charged = client.post(f"/api/invoices/{invoice.pk}/charge", {"payment_method_id": "pm_card_visa"},
                                  format="json", **auth)
            assert charged.status_code == status, charged.content
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: connection refused
        assert client.post(f"/api/invoices/{invoice.pk}/charge", {"payment_method_id": "pm_x"}, format="json",
                           **auth).status_code == 503

        def explode(self, request, *args, **kwargs):
            raise RuntimeError("unexpected failure while listing")

        monkeypatch.setattr(ClientViewSet, "list", explode)
        assert client.get("/api/clients", **auth).status_code == 500
    finally:
        fake.stop()

    assert any(r.name == "django.request" for r in all_logs.records)  # the capture does see Django's request log
    assert any(r.exc_info for r in all_logs.records)  # and the 500's traceback
    secrets = {"SECRET_KEY": settings.SECRET_KEY, "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY}
    for label, raw in (("valid", valid), ("expired", expired), ("revoked", revoked), ("unknown", unknown)):
        secrets[f"{label} token"] = raw
        secrets[f"{label} token sha256"] = hash_token(raw)
    assert valid_token.token_hash == secrets["valid token sha256"]
    assert leaked(all_logs.records, secrets) == []
