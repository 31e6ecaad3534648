from rest_framework.routers import SimpleRouter

from .views import ClientActivityViewSet, EventViewSet

router = SimpleRouter(trailing_slash=False)
router.register("events", EventViewSet, basename="event")
router.register("clients", ClientActivityViewSet, basename="client-activity")

urlpatterns = router.urls
