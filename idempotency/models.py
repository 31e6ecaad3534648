"""One row per `Idempotency-Key` an organization used (issue 14): claimed before the request runs, then holding
the response to replay. See idempotency/services.py."""
from django.db import models

from serviceengine.core.tenancy import TenantModel


class IdempotencyKey(TenantModel):
    """`completed_at` is null while the first request with the key is running (the claim); then `status_code`,
    `body` and `content_type` are what it answered. The row is purged after `expires_at`."""

    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the body as parsed JSON (or of its bytes)
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=255, blank=True, default="")
    body = models.BinaryField(blank=True, default=b"")

    class Meta(TenantModel.Meta):
        verbose_name = "idempotency key"
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_org_key"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires")]  # the purge

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"

    @property
    def in_progress(self) -> bool:
        return self.completed_at is None
