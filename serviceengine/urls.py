"""URL configuration: the API under /api (no trailing slashes), its schema and docs, and the admin."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from serviceengine.api import views

api_patterns = [
    path("health", views.health_view, name="api-health"),
    path("schema", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("clients.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("billing.urls")),
    path("", include("support.urls")),
    path("", include("events.urls")),
    path("", include("webhooks.urls")),
    path("", include("tags.urls")),
    path("", include("team.urls")),
    path("", include("search.urls")),
    path("", include("reports.urls")),
    path("", include("portal.api_urls")),
    path("", include("engagements.urls")),
    path("", include("subscriptions.urls")),
    re_path(r"^.*$", csrf_exempt(views.not_found)),
]

urlpatterns = [
    path("api", views.index_view, name="api-index"),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
]

if settings.BENCHMARK_ENDPOINTS:  # bench/run.sh only: the baseline the API's throughput is compared with
    from serviceengine.perf import benchmark

    urlpatterns.append(path("bench/bare", benchmark.bare_view, name="bench-bare"))

handler400 = views.bad_request
handler404 = views.not_found
handler500 = views.server_error
