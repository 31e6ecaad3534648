from rest_framework.routers import SimpleRouter

from .views import ClientMagicLinkViewSet

router = SimpleRouter(trailing_slash=False)
router.register("clients", ClientMagicLinkViewSet, basename="client-magic-link")

urlpatterns = router.urls
