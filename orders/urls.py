from rest_framework.routers import SimpleRouter

from .views import OrderMessageViewSet, OrderTaskViewSet, OrderViewSet

router = SimpleRouter(trailing_slash=False)
router.register("orders", OrderViewSet, basename="order")
router.register("order-tasks", OrderTaskViewSet, basename="order-task")
router.register("order-messages", OrderMessageViewSet, basename="order-message")

urlpatterns = router.urls
