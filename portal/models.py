"""Client links (issue 15): the signed, expiring links that open a client page without an account.

A link is a row (so that it can be revoked) and a token: `django.core.signing` over the link's organization and
id, timestamped, checked against `CLIENT_LINK_MAX_AGE_DAYS`. A tampered, expired or revoked token, or one whose
object is gone, opens nothing (see `portal.links.resolve`)."""
from django.db import models
from django.utils import timezone

from serviceengine.core.tenancy import TenantModel


class LinkKind(models.TextChoices):
    PROPOSAL = "proposal", "Proposal"
    INVOICE = "invoice", "Invoice"
    CLIENT = "client", "Client page"


class ClientLink(TenantModel):
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    object_id = models.UUIDField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "kind", "object_id"], name="clientlink_org_object")]

    def __str__(self):
        return f"{self.get_kind_display()} link {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
