"""Billing fixtures: payment configuration and a fake Stripe HTTP server on 127.0.0.1 (no test reaches the internet)."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from billing import stripe_gateway

DECLINE_BODY = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
        "param": "",
    }
}


class FakeStripe:
    """Answers `POST /v1/payment_intents` like Stripe, per `mode`, and records every request it receives.

    Modes: `succeed`, `decline` (402 card_error), `requires_action`, `invalid` (400 invalid_request_error),
    `error` (500 api_error). Like Stripe, a repeated `Idempotency-Key` replays the first answer."""

    def __init__(self):
        self.mode = "succeed"
        self.requests: list[dict] = []
        self.replays: dict[str, tuple[int, dict]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, params: dict, path: str = "/v1/payment_intents") -> tuple[int, dict]:
        number = len(self.requests)
        if path.startswith("/v1/checkout/sessions"):
            if self.mode == "error":
                return 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
            return 200, {"id": f"cs_fake_{number}", "object": "checkout.session", "status": "open",
                         "url": f"https://checkout.stripe.test/c/pay/cs_fake_{number}"}
        intent = {
            "id": f"pi_fake_{number}",
            "object": "payment_intent",
            "amount": int(params.get("amount", 0)),
            "currency": params.get("currency"),
            "payment_method": params.get("payment_method"),
            "status": "succeeded",
        }
        if self.mode == "succeed":
            return 200, intent
        if self.mode == "requires_action":
            return 200, {**intent, "status": "requires_action"}
        if self.mode == "decline":
            return 402, DECLINE_BODY
        if self.mode == "invalid":
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"No such PaymentMethod: '{params.get('payment_method')}'",
                    "param": "payment_method",
                }
            }
        return 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key")
                with fake.lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers), "params": params})
                    if key and key in fake.replays:
                        status, body = fake.replays[key]
                    else:
                        status, body = fake.answer(params, self.path)
                        if key and status < 500:
                            fake.replays[key] = (status, body)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", f"req_fake_{len(fake.requests)}")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler


@pytest.fixture
def fake_stripe(monkeypatch):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_mode(settings, fake_stripe):
    """Payments through Stripe, pointed at the fake server."""
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.PAYMENTS_SIMULATED = False
    return fake_stripe


@pytest.fixture
def simulated(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.PAYMENTS_SIMULATED = True


@pytest.fixture
def payments_off(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.PAYMENTS_SIMULATED = False


@pytest.fixture
def closed_port_url(monkeypatch):
    """The URL of a local port nothing listens on: Stripe unreachable."""
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
