import pytest


@pytest.fixture
def allow_private(settings):
    """Webhook URLs on 127.0.0.1 (the test receiver) are allowed, as in development."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
