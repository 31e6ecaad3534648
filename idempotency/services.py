"""Idempotency keys (issue 14, after draft-ietf-httpapi-idempotency-key-header and Stripe).

The first `POST`/`PUT`/`PATCH`/`DELETE` with a key *claims* it: a row inserted in its own short transaction, before
the request runs and outside the request's own transaction (which may never exist: a charge calls the payment
provider outside any transaction). The unique (organization, key) constraint makes the claim atomic across workers
and hosts sharing the database. When the request ends, its answer is stored on the row (`complete`), or, for a
5xx, the row is deleted (`release`) so the key can be retried.

A later request with the key finds the row: the same method, path and body (compared as parsed JSON) replays the
stored answer; anything else is a mismatch (422); a row still being worked on answers 409. Rows live for
`IDEMPOTENCY_KEY_TTL_HOURS`; a claim older than `LOCK_TIMEOUT` (its worker died) may be taken over.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_LENGTH = 255
# A claim whose request has not finished after this long belongs to a worker that died (gunicorn kills a request
# after GUNICORN_TIMEOUT, 30 s by default): the key may then be claimed again.
LOCK_TIMEOUT = timedelta(minutes=2)

INVALID_KEY = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
KEY_REUSED = "This Idempotency-Key was already used with another method, path or body; it was reused for a different request."
IN_PROGRESS = "A request with this Idempotency-Key is in progress."


def valid_key(value) -> bool:
    """1–255 printable ASCII characters (space through `~`); an empty value is invalid."""
    return isinstance(value, str) and 1 <= len(value) <= MAX_LENGTH and all(" " <= ch <= "~" for ch in value)


def _reject_constant(name):
    raise ValueError(name)


def fingerprint(body: bytes) -> str:
    """SHA-256 of the body as canonical JSON (key order and whitespace do not matter); of the raw bytes when the
    body is not JSON; of nothing for an empty body."""
    if not body.strip():
        canonical = b"empty:"
    else:
        try:
            parsed = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            canonical = b"raw:" + body
        else:
            canonical = b"json:" + json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class Request:
    """What identifies the request a key was used for."""

    method: str
    path: str
    fingerprint: str


@dataclass
class Outcome:
    """`claimed`: run the request, then complete/release `row`. Otherwise `replay` (a completed row), `mismatch`
    or `in_progress`."""

    kind: str
    row: IdempotencyKey | None = None


def ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def claim(*, organization, key: str, request: Request, now=None) -> Outcome:
    """Claim `key` for `request`, or say why not. Runs in its own transaction(s); never inside the request's."""
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.all_objects.create(
                    organization=organization, key=key, method=request.method, path=request.path,
                    fingerprint=request.fingerprint, locked_at=now, expires_at=now + ttl(),
                )
            return Outcome("claimed", row)
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.for_org(organization).filter(key=key).first()
        if row is None:
            continue  # released or purged in between: try the claim again
        if row.expires_at <= now:
            # Expired but not purged yet: forget it (only if it is still that row) and claim afresh.
            IdempotencyKey.objects.for_org(organization).filter(pk=row.pk, expires_at__lte=now).delete()
            continue
        if (row.method, row.path, row.fingerprint) != (request.method, request.path, request.fingerprint):
            return Outcome("mismatch", row)
        if not row.in_progress:
            return Outcome("replay", row)
        if row.locked_at <= now - LOCK_TIMEOUT:
            # The worker that claimed it died: take the claim over, if nobody else did first.
            taken = IdempotencyKey.objects.for_org(organization).filter(
                pk=row.pk, completed_at__isnull=True, locked_at=row.locked_at
            ).update(locked_at=now)
            if taken:
                row.locked_at = now
                return Outcome("claimed", row)
        return Outcome("in_progress", row)
    return Outcome("in_progress", None)


def complete(row: IdempotencyKey, *, status_code: int, content_type: str, body: bytes) -> None:
    """Store the answer of the claimed request, to be replayed for the rest of the key's life."""
    IdempotencyKey.objects.for_org(row.organization_id).filter(pk=row.pk).update(
        completed_at=timezone.now(), status_code=status_code, content_type=content_type, body=body
    )


def release(row: IdempotencyKey) -> None:
    """Forget the claim (the request ended in a 5xx, or was refused before it ran): the key can be retried."""
    IdempotencyKey.objects.for_org(row.organization_id).filter(pk=row.pk, completed_at__isnull=True).delete()


def purge_expired(now=None) -> int:
    """Delete every organization's keys past their `expires_at`; returns how many (the periodic job)."""
    # unscoped: the purge spans every organization by design (a system job).
    deleted, _ = IdempotencyKey.unscoped.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
