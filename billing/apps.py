from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.registry import register
        from events.rendering import viewset_renderer

        register(
            "proposal",
            types=["proposal.created", "proposal.sent", "proposal.signed"],
            render=viewset_renderer("billing.views.ProposalViewSet"),
            model="billing.Proposal",
        )
        register(
            "invoice",
            types=[f"invoice.{verb}" for verb in ("created", "updated", "deleted", "paid", "payment_failed")],
            render=viewset_renderer("billing.views.InvoiceViewSet"),
            model="billing.Invoice",
        )
        register(
            "coupon",
            types=["coupon.created", "coupon.updated", "coupon.deleted"],
            render=viewset_renderer("billing.views.CouponViewSet"),
            model="billing.Coupon",
        )
