"""A test-only URLconf: the project's routes plus three throwaway routes that forgot authentication (an APIView,
a router viewset and a plain function view). `test_auth_routes.py` proves the route walk flags each of them."""
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from serviceengine.urls import handler400, handler404, handler500  # noqa: F401  same JSON error pages
from serviceengine.urls import urlpatterns as project_urlpatterns


class LeakyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"secret": "data"})

    def post(self, request):
        return Response({"secret": "data"})


class LeakyViewSet(ViewSet):
    permission_classes = [AllowAny]

    def list(self, request):
        return Response([])

    def retrieve(self, request, pk=None):
        return Response({"id": pk})


def leaky_function(request):
    return JsonResponse({"secret": "data"})


router = SimpleRouter(trailing_slash=False)
router.register("leaky-things", LeakyViewSet, basename="leaky-thing")

urlpatterns = [
    path("api/leaky-view", LeakyView.as_view()),
    path("api/leaky-function", leaky_function),
    path("api/", include(router.urls)),
    *project_urlpatterns,
]
