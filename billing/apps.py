from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import client_attr, register
        from events.rendering import viewset_renderer

        register(
            "proposal",
            types=["proposal.created", "proposal.sent", "proposal.signed"],
            render=viewset_renderer("billing.views.ProposalViewSet"),
            model="billing.Proposal",
            client=proposal_client,
        )
        register(
            "invoice",
            types=[f"invoice.{verb}" for verb in ("created", "updated", "deleted", "paid", "payment_failed")],
            render=viewset_renderer("billing.views.InvoiceViewSet"),
            model="billing.Invoice",
            client=client_attr("user_id"),
        )
        register(
            "coupon",
            types=["coupon.created", "coupon.updated", "coupon.deleted"],
            render=viewset_renderer("billing.views.CouponViewSet"),
            model="billing.Coupon",
        )


def proposal_client(proposal):
    """A proposal is made out to an e-mail address: its client is the organization's user with that address (stored
    lower-cased, like the proposal's), looked up by the event's INSERT; none before that client exists (signing
    gives the proposal's earlier events the client it finds or creates)."""
    from django.db.models import Subquery

    from serviceengine.models import User

    users = User.all_objects.filter(organization_id=proposal.organization_id, email=proposal.client_email)
    return Subquery(users.values("pk")[:1])
