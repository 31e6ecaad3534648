from rest_framework.routers import SimpleRouter

from .views import TicketMessageViewSet, TicketViewSet

router = SimpleRouter(trailing_slash=False)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("ticket-messages", TicketMessageViewSet, basename="ticket-message")

urlpatterns = router.urls
