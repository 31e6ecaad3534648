"""`/bench/bare`, the benchmark's baseline view, exists only when `BENCHMARK_ENDPOINTS` is set (bench/run.sh)."""
import importlib

import pytest
from django.urls import Resolver404, clear_url_caches, resolve

import serviceengine.urls


@pytest.fixture
def reload_urls(settings):
    """`reload_urls(enabled)` rebuilds the URLconf with the setting; the real one is restored afterwards."""
    original = settings.BENCHMARK_ENDPOINTS

    def build(enabled: bool):
        settings.BENCHMARK_ENDPOINTS = enabled
        importlib.reload(serviceengine.urls)
        clear_url_caches()

    yield build
    settings.BENCHMARK_ENDPOINTS = original
    importlib.reload(serviceengine.urls)
    clear_url_caches()


def test_the_setting_is_off_by_default(settings):
    assert settings.BENCHMARK_ENDPOINTS is False


def test_the_bare_view_is_not_routed_by_default(client):
    with pytest.raises(Resolver404):
        resolve("/bench/bare")
    assert client.get("/bench/bare").status_code == 404


def test_the_bare_view_answers_when_enabled(reload_urls, client):
    reload_urls(True)
    response = client.get("/bench/bare")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_disabling_removes_the_route_again(reload_urls, client):
    reload_urls(True)
    reload_urls(False)
    assert client.get("/bench/bare").status_code == 404
