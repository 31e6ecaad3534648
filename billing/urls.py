from rest_framework.routers import SimpleRouter

from .views import InvoiceViewSet, ProposalViewSet

router = SimpleRouter(trailing_slash=False)
router.register("proposals", ProposalViewSet, basename="proposal")
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = router.urls
