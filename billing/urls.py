from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CouponViewSet, InvoiceViewSet, ProposalViewSet, stripe_webhook_view

router = SimpleRouter(trailing_slash=False)
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("coupons", CouponViewSet, basename="coupon")

urlpatterns = [path("stripe/webhook", stripe_webhook_view, name="stripe-webhook"), *router.urls]
