"""E-mail to clients and team members (issue 15), sent by background jobs, never inside the request.

`queue()` renders the message now (subject, plain text and HTML from templates, `From: "<organization>"
<DEFAULT_FROM_EMAIL>`, a fixed `Message-ID`) and enqueues `send_email` once the transaction commits, so a rolled
back change sends nothing and a retried send keeps its Message-ID. `send_email` goes through Django's e-mail
framework (`EMAIL_URL`); a failure is retried after each of `EMAIL_RETRY_DELAYS` seconds, and after the last
attempt recorded as the event `email.failed` rather than lost.
"""
import logging
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger("portal.emails")



def retry_delays() -> tuple[int, ...]:
    """Seconds to wait before each retry (`EMAIL_RETRY_DELAYS`); the number of attempts is one more."""
    return tuple(settings.EMAIL_RETRY_DELAYS)


def sender(organization) -> str:
    """`"Acme Agency" <billing@example.com>`: the organization's name as the display name."""
    return formataddr((organization.name, settings.DEFAULT_FROM_EMAIL))


def message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of `portal/email/<template>`: `_subject.txt`, `.txt` and `.html`."""
    subject = " ".join(render_to_string(f"portal/email/{template}_subject.txt", context).split())
    text = render_to_string(f"portal/email/{template}.txt", context)
    html = render_to_string(f"portal/email/{template}.html", context)
    return subject, text, html


def queue(*, organization, to: list[str], template: str, context: dict, kind: str, object_id=None) -> str | None:
    """Render a message and send it from a job after the current transaction commits. Returns its Message-ID
    (None when there is nobody to send to)."""
    recipients = [address for address in dict.fromkeys(to) if address]
    if not recipients:
        return None
    subject, text, html = render(template, {**context, "organization": organization})
    payload = {
        "organization_id": str(organization.pk),
        "kind": kind,
        "object_id": str(object_id) if object_id else None,
        "from_email": sender(organization),
        "to": recipients,
        "subject": subject,
        "text": text,
        "html": html,
        "message_id": message_id(),
    }
    transaction.on_commit(lambda: send_email.enqueue(payload, 1))
    return payload["message_id"]


def deliver(payload: dict) -> None:
    """Send one message now through the configured backend (raises on failure)."""
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload["from_email"],
        to=payload["to"],
        headers={"Message-ID": payload["message_id"]},
        connection=get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", 15)),
    )
    message.attach_alternative(payload["html"], "text/html")
    message.send(fail_silently=False)


@task()
def send_email(payload: dict, attempt: int = 1) -> dict:
    """Job: send the message; on failure enqueue the next attempt (after its delay, where the backend can defer),
    and after the last one record `email.failed`."""
    try:
        deliver(payload)
    except Exception as exc:  # noqa: BLE001 - any transport error is a failed send, retried
        error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("e-mail %s to %s failed (attempt %s): %s", payload["message_id"], payload["to"], attempt, error)
        delays = retry_delays()
        if attempt <= len(delays):
            retry(payload, attempt + 1, delays[attempt - 1])
            return {"status": "retrying", "attempt": attempt, "error": error}
        record_failure(payload, attempt, error)
        return {"status": "failed", "attempt": attempt, "error": error}
    return {"status": "sent", "attempt": attempt, "message_id": payload["message_id"]}


def retry(payload: dict, attempt: int, delay_seconds: int) -> None:
    job = send_email
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    job.enqueue(payload, attempt)


def record_failure(payload: dict, attempts: int, error: str) -> None:
    """The event `email.failed`: which message, to whom, about what, after how many attempts, and why."""
    from events.services import record_event
    from serviceengine.models import Organization

    logger.error("e-mail %s to %s failed after %s attempts: %s", payload["message_id"], payload["to"], attempts, error)
    organization = Organization.objects.filter(pk=payload["organization_id"]).first()
    if organization is None:
        return
    record_event(
        "email.failed",
        organization=organization,
        object_type="email",
        object_id=payload["object_id"],
        data={
            "kind": payload["kind"],
            "object_id": payload["object_id"],
            "to": payload["to"],
            "subject": payload["subject"],
            "message_id": payload["message_id"],
            "attempts": attempts,
            "error": error,
        },
    )
