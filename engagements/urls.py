from rest_framework.routers import SimpleRouter

from .views import ConversationMessageViewSet, ConversationViewSet, EngagementViewSet, ProjectViewSet

router = SimpleRouter(trailing_slash=False)
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("projects", ProjectViewSet, basename="project")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("conversation-messages", ConversationMessageViewSet, basename="conversation-message")

urlpatterns = router.urls
