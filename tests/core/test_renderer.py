"""`FastJSONRenderer` (orjson) writes what DRF's `JSONRenderer` writes, byte for byte, on generated documents and
on the values DRF's encoder treats specially."""
import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from serviceengine.api.renderers import FastJSONRenderer

# Floats are left out of the generated documents: both libraries write the shortest round-trip digits, but for
# exponents (1e-05 / 1e-5) the spelling differs; the API writes money as strings and its one float (a ticket's
# order price) without an exponent, checked below.
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text()
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30
)


def both(data):
    return FastJSONRenderer().render(data), JSONRenderer().render(data)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_generated_documents_render_identically(data):
    fast, drf = both(data)
    assert fast == drf


def test_special_values_render_identically():
    moment = datetime.datetime(2026, 11, 21, 10, 30, 15, 123456, tzinfo=datetime.UTC)
    data = ReturnDict(
        {
            "detail": ErrorDetail("Not Found", code="not_found"),
            "lazy": gettext_lazy("Not Found"),
            "decimal": decimal.Decimal("1500.50"),
            "price": 999999999.99,
            "small": 0.01,
            "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "when": moment,
            "day": moment.date(),
            "time": moment.time(),
            "span": datetime.timedelta(days=1, seconds=5),
            "tuple": (1, "two"),
            "list": ReturnList([1, 2], serializer=None),
            "separators": "a\u2028b\u2029c",
            "control": "tab\there\nnew\x00nul\x1f",
            "non_ascii": "Zoë — 東京 🎉",
            "int_keys": {1: "one"},
        },
        serializer=None,
    )
    fast, drf = both(data)
    assert fast == drf
    assert b"\\u2028" in fast and "Zoë".encode() in fast


def test_integers_beyond_64_bits_fall_back_to_drf():
    fast, drf = both({"huge": 2**70, "text": "Zoë"})
    assert fast == drf and b"1180591620717411303424" in fast


def test_the_fast_path_is_taken(monkeypatch):
    called = []
    monkeypatch.setattr(JSONRenderer, "render", lambda *args, **kwargs: called.append(args) or b"")
    assert FastJSONRenderer().render({"a": [1, "b"]}) == b'{"a":[1,"b"]}' and called == []


def test_empty_and_indented_bodies_use_drf():
    renderer = FastJSONRenderer()
    assert renderer.render(None) == b""
    indented = renderer.render({"a": 1}, "application/json; indent=2")
    assert indented == JSONRenderer().render({"a": 1}, "application/json; indent=2") and b"\n" in indented
