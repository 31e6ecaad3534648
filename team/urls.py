from rest_framework.routers import SimpleRouter

from .views import TeamViewSet

router = SimpleRouter(trailing_slash=False)
router.register("team", TeamViewSet, basename="team-member")

urlpatterns = router.urls
