from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import InvoiceViewSet, ProposalViewSet, stripe_webhook_view

router = SimpleRouter(trailing_slash=False)
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [path("stripe/webhook", stripe_webhook_view, name="stripe-webhook"), *router.urls]
