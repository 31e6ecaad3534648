"""Benchmark-only view, routed only when `settings.BENCHMARK_ENDPOINTS` is true (bench/run.sh sets it).

`/bench/bare` is a plain Django view behind the same middleware as the API, with no authentication, serializer
or database work, not even the transaction ATOMIC_REQUESTS would open: the ceiling the API's endpoints are
measured against.
"""
from django.db import transaction
from django.http import JsonResponse


@transaction.non_atomic_requests
def bare_view(request):
    return JsonResponse({"status": "ok"})
