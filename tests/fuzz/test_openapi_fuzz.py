"""Schemathesis fuzzing of every operation of the API's own OpenAPI document (`/api/schema`, drf-spectacular).

Each operation is one test: schemathesis draws requests from the documented parameters and bodies (coverage
boundaries, then random data, valid and invalid), sends them in-process to `serviceengine.wsgi.application` with
a real bearer token, and checks every response: never a 5xx; a documented status code and content type; a body
that matches the documented schema; the operation refuses a missing or invalid token; an undocumented method is a
405 with `Allow`; and a request valid against the schema never fails the API's schema-level validation.

About half of the path ids, and of the id references in bodies, are ids of rows seeded for the test (the others
stay random), so operations get past their 404s and `does not exist` 422s. The run is deterministic (fixed seed,
derandomized). `FUZZ_MAX_EXAMPLES` bounds the random examples per operation; raise it locally for a deeper run
(`FUZZ_MAX_EXAMPLES=300 pytest tests/fuzz`); `FUZZ_STATS=1` prints the statuses each operation answered.
"""
import collections
import json
import os
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import ignored_auth

from serviceengine.api import messages as msg
from serviceengine.api.fields import contains_null_character
from serviceengine.wsgi import application
from tests import factories
from tests.billing import factories as billing_factories
from tests.catalog import factories as catalog_factories
from tests.orders import factories as order_factories
from tests.support import factories as support_factories

# Random examples per operation (fuzzing phase); the coverage phase adds its own deterministic boundary cases.
# The budget keeps this module within a few minutes on a 2-core CI machine (README, "Development").
FUZZ_MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20260207"))
FUZZ_STATS = os.environ.get("FUZZ_STATS", "") not in ("", "0")

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": FUZZ_SEED,
        # No example database: failing examples are neither saved to nor replayed from .hypothesis/.
        "generation": {"deterministic": True, "database": "none"},
        "checks": {
            # Excluded by contract design:
            # - negative_data_rejection expects every schema-invalid request to be refused, but the contract's
            #   input coercion (README §2, §5) deliberately accepts values outside the JSON type the schema
            #   documents: numeric strings and booleans for integers, numeric strings for numbers, `yes`/`on`/`1`
            #   for booleans, trimmed strings, unknown body fields and query parameters, empty filter values. The
            #   schema documents the canonical form of each input.
            "negative_data_rejection": {"enabled": False},
            # - positive_data_acceptance expects every schema-valid request to succeed, but business rules cannot
            #   be written in JSON Schema: references resolved within the organization (422), cross-field rules
            #   ("Cannot specify both deadline and due_at.") and state rules ("Cannot send proposal with status
            #   Sent"). `schema_valid_input_passes_validation` below keeps the part that can hold: a schema-valid
            #   request is never refused for a reason the schema could have stated.
            "positive_data_acceptance": {"enabled": False},
            # Not excluded, only rationed: `auth_is_enforced` below runs it once per operation.
            "ignored_auth": {"enabled": False},
        },
        "operations": [
            {
                # The list endpoints' 30-odd filter parameters share one converter per type (tested in
                # tests/core/test_lists.py); their ~1,900 invalid-value coverage cases would double the run time.
                # Invalid filter values are still drawn by the fuzzing phase.
                "include-name-regex": "^GET /api/[a-z-]+$",
                "phases": {"coverage": {"generation": {"mode": "positive"}}},
            }
        ],
    }
)

# The document served at /api/schema (`test_fuzzed_document_is_the_served_schema` proves it). It is generated at
# import because collection runs before a test database exists: the served view opens a request transaction, the
# generator itself needs no database.
OPENAPI = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)
schema.app = application

# Messages of schema-level rules (types, lengths, bounds, patterns, formats, required fields). A 400 carrying one
# of them for a schema-valid request means the schema misdescribes that input. Business-rule messages (contract
# §7.2) are not listed.
SCHEMA_LEVEL_MESSAGES = (
    msg.FIELD_REQUIRED,
    "Input should be",
    "String should have",
    "String should match",
    "List should have",
    msg.EMAIL_INVALID.split("{")[0],
    msg.JSON_DECODE,
    msg.FILTER_INVALID,
    "Value error,",
)

# The one email rule JSON Schema's `email` format lacks; the schema states it in the field's description.
SPECIAL_USE_DOMAIN = "special-use or reserved name"

SEEDED: dict = {}  # ids of the rows seeded for the running test (see `seeded`)
AUTH_CONFIRMED: set[str] = set()  # operations whose token check `auth_is_enforced` has already probed
STATS: collections.Counter = collections.Counter()


@schemathesis.check
def schema_valid_input_passes_validation(ctx, response, case):
    """A request generated valid against the schema is never refused with a schema-level message."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    if contains_null_character([case.body, case.query, case.path_parameters]):
        return  # NUL is refused in every string by design (README decisions); the schema does not repeat it
    try:
        errors = json.loads(response.content).get("errors") or {}
    except (ValueError, AttributeError):
        return
    misdescribed = {
        key: messages
        for key, messages in errors.items()
        if any(str(m).startswith(SCHEMA_LEVEL_MESSAGES) and SPECIAL_USE_DOMAIN not in str(m) for m in messages)
    }
    if misdescribed:
        raise AssertionError(f"A request valid against the schema failed schema validation: {misdescribed}")


@schemathesis.check
def auth_is_enforced(ctx, response, case):
    """Schemathesis's `ignored_auth` (without the token, and with an invalid one, the request must not succeed),
    probed once per operation: enforcement is a property of the operation, as schemathesis's own runner assumes."""
    label = case.operation.label
    if label in AUTH_CONFIRMED:
        return
    ignored_auth(ctx, response, case)
    if 200 <= response.status_code < 300 and not (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        AUTH_CONFIRMED.add(label)  # the probes ran, and both were refused


def pick(value: str, pool: list[str]) -> str:
    """`value` or one of `pool`, half of the time each; decided by the value itself, so runs are repeatable."""
    if not pool:
        return value
    index = zlib.crc32(value.encode("utf-8", "surrogatepass")) % (2 * len(pool))
    return pool[index] if index < len(pool) else value


def use_seeded_ids(case):
    """Swap about half of the path ids and body references for seeded ids. A path id made invalid on purpose
    (negative mode) and references of the wrong type are left as generated."""
    pool = SEEDED["paths"].get(case.operation.path)
    if pool and case.path_parameters and not (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        case.path_parameters["id"] = pick(str(case.path_parameters["id"]), pool)
    if not isinstance(case.body, dict):
        return
    refs = SEEDED["refs"]
    for key, value in case.body.items():
        if key in refs and isinstance(value, str):
            case.body[key] = pick(value, refs[key])
        elif key in ("employees", "employee_ids") and isinstance(value, list):
            case.body[key] = [pick(v, refs["team"]) if isinstance(v, str) else v for v in value]
        elif key == "items" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and isinstance(item.get("service_id"), str):
                    item["service_id"] = pick(item["service_id"], refs["service_id"])


@pytest.fixture
def seeded(db):
    """One organization with a row of every resource; returns the headers of its owner's token."""
    org = factories.make_org(slug="fuzz", name="Fuzz Agency")
    owner = factories.make_team_member(org)
    _token, raw_token = factories.make_token(org, owner)
    client = factories.make_client(org, address=factories.make_address(org))
    lone_client = factories.make_client(org)  # no orders, invoices or tickets: its DELETE reaches 204
    folder = catalog_factories.make_folder(org)
    service = factories.make_service(org, folder=folder, metadata={"category": "seo"})
    order = order_factories.make_order(org, client, employees=[owner], tags=["fuzz"])
    task = order_factories.make_task(order, employees=[owner])
    message = order_factories.make_message(order, owner)
    draft = billing_factories.make_proposal(org, services_=[service])
    sent = billing_factories.make_proposal(org, status="sent", services_=[service])
    coupon = billing_factories.make_coupon(org)
    invoice = billing_factories.make_invoice(
        org, user=client, coupon_id=str(coupon.pk), recurring={"r_period_l": 1, "r_period_t": "M"}
    )
    ticket = support_factories.make_ticket(org, client, order=order)
    support_factories.add_message(ticket)
    support_factories.make_ticket(org, client)  # listed too: a ticket without an order

    def ids(*rows):
        return [str(row.pk) for row in rows]

    SEEDED.update(
        paths={
            "/api/clients/{id}": ids(client, lone_client),
            "/api/services/{id}": ids(service),
            "/api/orders/{id}": ids(order),
            "/api/orders/{id}/tasks": ids(order),
            "/api/orders/{id}/messages": ids(order),
            "/api/order-tasks/{id}": ids(task),
            "/api/order-tasks/{id}/complete": ids(task),
            "/api/order-messages/{id}": ids(message),
            "/api/proposals/{id}": ids(draft, sent),
            "/api/proposals/{id}/send": ids(draft, sent),
            "/api/proposals/{id}/sign": ids(draft, sent),
            "/api/invoices/{id}": ids(invoice),
            "/api/invoices/{id}/charge": ids(invoice),
            "/api/invoices/{id}/mark_paid": ids(invoice),
            "/api/tickets/{id}": ids(ticket),
        },
        refs={
            "user_id": ids(client),
            "service_id": ids(service),
            "order_id": ids(order),
            "coupon_id": ids(coupon),
            "folder_id": ids(folder),
            "team": ids(owner),
        },
    )
    yield {"Authorization": f"Bearer {raw_token}"}
    SEEDED.clear()


@pytest.fixture
def wsgi(settings):
    """Requests go straight to the WSGI application, in this thread and inside the test's transaction."""
    settings.ALLOWED_HOSTS = ["localhost"]  # the Host header of schemathesis's WSGI client
    settings.PAYMENTS_SIMULATED = True  # charge pays instead of answering 503 "Payments are not configured."
    # As Django's test client does: the end of a request must not close the connection holding the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _print_stats():
    yield
    if FUZZ_STATS:
        by_operation = collections.defaultdict(dict)
        for (label, status), count in sorted(STATS.items()):
            by_operation[label][status] = count
        print("\nStatuses answered per operation:")
        for label, statuses in sorted(by_operation.items()):
            print(f"  {label}: {statuses}")


@schema.parametrize()
@hypothesis_settings(
    max_examples=FUZZ_MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # The fixtures are set up once per operation on purpose (examples roll back their writes); the other checks
    # are about generation speed and size, not about the API.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
def test_operation_keeps_its_documented_contract(case, seeded, wsgi):
    use_seeded_ids(case)
    # Each request runs in a savepoint that is rolled back: every example sees the same seeded rows (a DELETE or
    # a sign does not starve the examples after it) and nothing leaks from one example into the next.
    with transaction.atomic():
        try:
            response = case.call_and_validate(headers=seeded)
        finally:
            transaction.set_rollback(True)
    STATS[(case.operation.label, response.status_code)] += 1


def test_fuzzed_document_is_the_served_schema(anon, db):
    response = anon.get("/api/schema")
    assert response.status_code == 200
    assert json.loads(response.content) == OPENAPI
