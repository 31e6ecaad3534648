"""Payment-mode fixtures of the billing tests, shared here."""
from tests.billing.conftest import closed_port_url, fake_stripe, payments_off, simulated, stripe_mode  # noqa: F401
