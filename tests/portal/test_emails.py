"""E-mail of the client loop (issue 15): what is sent, to whom, with which link; sent by a job after the commit,
through a real SMTP server (aiosmtpd) where the transport matters; retried, then recorded as failed."""
import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker as base_worker
from django_tasks_db.models import DBTaskResult
from django.test import Client as BrowserClient

from billing import services
from billing.models import InvoiceStatus
from events.models import Event
from portal import emails
from tests import factories
from tests.billing.factories import make_invoice, make_proposal


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/portal/[^\s\"<]+", text).group(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "billing@agency.example.com"
    yield sink
    controller.stop()


@pytest.fixture
def commit(django_capture_on_commit_callbacks, settings):
    """Run the on-commit callbacks (the jobs' enqueue) of what `action()` does, as a real commit would; jobs run
    at once (the immediate backend) unless a test runs the database worker itself."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def test_proposal_send_emails_the_link_over_smtp(api, org, smtp, django_capture_on_commit_callbacks, monkeypatch):
    proposal = make_proposal(org, client_email="pat@prospect.example.com", client_name_f="Pat")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/proposals/{proposal.pk}/send")
    assert response.status_code == 200 and response.json()["status"] == "Sent"
    assert smtp.messages == []  # not inside the request: queued for the worker
    assert DBTaskResult.objects.filter(task_path="portal.emails.send_email").count() == 1
    monkeypatch.setattr(base_worker, "close_old_connections", lambda: None)  # the test's connection stays open
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert DBTaskResult.objects.get(task_path="portal.emails.send_email").status == "SUCCESSFUL"
    assert len(smtp.messages) == 1
    mail_from, rcpt, message = smtp.messages[0]
    assert rcpt == ["pat@prospect.example.com"] and mail_from == "billing@agency.example.com"
    assert message["From"] == '"Acme Agency" <billing@agency.example.com>' or message["From"] == "Acme Agency <billing@agency.example.com>"
    assert "Acme Agency" in message["Subject"] and re.fullmatch(r"<[^@>]+@agency\.example\.com>", message["Message-ID"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    url = link_in(text)
    assert url.startswith("http://testserver/portal/") and url in html
    page = BrowserClient().get(url.replace("http://testserver", ""))
    assert page.status_code == 200 and 'name="agree"' in page.content.decode()


def test_nothing_is_sent_when_the_change_rolls_back(api, org, smtp, commit):
    proposal = make_proposal(org, status="sent")
    assert commit(lambda: api.post(f"/api/proposals/{proposal.pk}/send")).status_code == 400
    assert smtp.messages == []


def test_invoice_send_emails_the_client_a_pay_link(api, org, commit, settings):
    settings.PUBLIC_BASE_URL = "https://app.example.com"
    client = factories.make_client(org, email="ada@example.com", name_f="Ada")
    invoice = make_invoice(org, user=client, status=0)
    response = commit(lambda: api.post(f"/api/invoices/{invoice.pk}/send"))
    assert response.status_code == 200 and response.json()["status_id"] == InvoiceStatus.UNPAID
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"] and invoice.number in message.subject and "Acme Agency" in message.subject
    assert link_in(message.body).startswith("https://app.example.com/portal/")
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    assert message.extra_headers["Message-ID"]


def test_paid_invoice_sends_a_receipt_and_a_team_notice(org, owner, commit):
    factories.make_team_member(org, email="sales@acme.example.com")
    client = factories.make_client(org, email="ada@example.com", name_f="Ada", name_l="Lovelace")
    invoice = make_invoice(org, user=client)
    commit(lambda: services.invoice_mark_paid(invoice=invoice))
    receipt = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert "receipt" in receipt.subject.lower() and invoice.number in receipt.subject
    notice = next(m for m in mail.outbox if m.to != ["ada@example.com"])
    assert sorted(notice.to) == ["owner@acme.example.com", "sales@acme.example.com"]
    assert invoice.number in notice.subject and "Ada Lovelace" in notice.subject


def test_signing_notifies_the_team(org, owner, commit):
    proposal = make_proposal(org, status="sent", client_name_f="Pat", client_name_l="Prospect")
    commit(lambda: services.proposal_sign(proposal=proposal))
    (notice,) = mail.outbox
    assert notice.to == ["owner@acme.example.com"]
    assert str(proposal.pk) in notice.subject and "Pat Prospect" in notice.subject


def test_a_failed_send_is_retried_then_recorded_as_an_event(org, settings, monkeypatch, commit):
    port = free_port()  # nothing listens on it: every attempt fails
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    attempts = []
    real_deliver = emails.deliver
    monkeypatch.setattr(emails, "deliver", lambda payload: (attempts.append(1), real_deliver(payload)))
    proposal = make_proposal(org, client_email="pat@prospect.example.com")
    commit(lambda: services.proposal_send(proposal=proposal))
    assert len(attempts) == len(settings.EMAIL_RETRY_DELAYS) + 1
    (event,) = Event.unscoped.filter(organization=org, type="email.failed")
    assert event.object_id == proposal.pk
    assert event.data["to"] == ["pat@prospect.example.com"] and event.data["attempts"] == len(attempts)
    assert event.data["kind"] == "proposal.sent" and "Connection" in event.data["error"]


def test_a_send_that_fails_once_is_delivered_by_the_retry(org, monkeypatch, commit):
    calls = []
    real_deliver = emails.deliver

    def flaky(payload):
        calls.append(payload["message_id"])
        if len(calls) == 1:
            raise TimeoutError("timed out")
        real_deliver(payload)

    monkeypatch.setattr(emails, "deliver", flaky)
    commit(lambda: services.proposal_send(proposal=make_proposal(org)))
    assert len(calls) == 2 and calls[0] == calls[1]  # the retry keeps its Message-ID
    assert len(mail.outbox) == 1


def test_with_the_database_worker_a_failed_send_is_queued_again_later(org, monkeypatch, settings,
                                                                      django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    settings.EMAIL_RETRY_DELAYS = [10, 60]
    monkeypatch.setattr(emails, "deliver", lambda payload: (_ for _ in ()).throw(TimeoutError("timed out")))
    monkeypatch.setattr(base_worker, "close_old_connections", lambda: None)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_send(proposal=make_proposal(org))
    before = timezone.now()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    first, retry = DBTaskResult.objects.filter(task_path="portal.emails.send_email").order_by("enqueued_at")
    assert first.status == "SUCCESSFUL" and first.return_value["status"] == "retrying"
    assert retry.status == "READY" and retry.args_kwargs["args"][1] == 2
    assert before + timedelta(seconds=9) <= retry.run_after <= timezone.now() + timedelta(seconds=10)
    assert not Event.unscoped.filter(type="email.failed").exists()  # not before the last attempt
