from rest_framework.routers import SimpleRouter

from .views import TagViewSet

router = SimpleRouter(trailing_slash=False)
router.register("tags", TagViewSet, basename="tag")

urlpatterns = router.urls
