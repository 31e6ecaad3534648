"""Coupons on invoices (issue 16): `coupon_code` (or `coupon_id`) on create and update computes `discount` into the
invoice (`total = max(0, subtotal − discount + tax)`), counts the redemption when applied, and refuses expired,
exhausted, inapplicable and unknown coupons with a 400 on `coupon_code` that writes nothing."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import Coupon, Invoice
from events.models import Event
from serviceengine.models import User
from tests import factories
from tests.billing.factories import item, make_coupon, make_invoice
from tests.helpers import assert_envelope

URL = "/api/invoices"
D = Decimal


def redeemed(coupon) -> int:
    return Coupon.unscoped.get(pk=coupon.pk).times_redeemed


@pytest.fixture
def client_id(org):
    return str(factories.make_client(org).pk)


def create(api, client_id, **body):
    body.setdefault("items", [item(amount=50, quantity=2)])
    return api.post(URL, {"user_id": client_id, **body}, format="json")


def test_create_with_a_percent_coupon_code(api, org, client_id):
    coupon = make_coupon(org, code="Spring25", type="percent", amount=D("25"))
    response = create(api, client_id, coupon_code="SPRING25", tax=5,
                      items=[item(amount=50, quantity=2), item(amount="0.10")])
    assert response.status_code == 201, response.content
    data = response.json()
    # 25% of 100.10 = 25.025 → 25.03 (half up); 100.10 − 25.03 + 5
    assert (data["subtotal"], data["discount"], data["tax"], data["total"]) == ("100.10", "25.03", "5.00", "80.07")
    assert data["coupon_id"] == str(coupon.pk)
    assert redeemed(coupon) == 1
    assert list(data).index("discount") == list(data).index("subtotal") + 1
    event = Event.objects.for_org(org).get(type="invoice.created")
    assert event.data == data


def test_an_invoice_without_coupon_has_a_zero_discount(api, client_id):
    data = create(api, client_id, tax=1).json()
    assert (data["subtotal"], data["discount"], data["total"], data["coupon_id"]) == ("100.00", "0.00", "101.00", None)


def test_create_with_the_existing_coupon_id_applies_it_too(api, org, client_id):
    coupon = make_coupon(org, amount=D("30"))
    data = create(api, client_id, coupon_id=str(coupon.pk)).json()
    assert (data["discount"], data["total"], data["coupon_id"]) == ("30.00", "70.00", str(coupon.pk))
    assert redeemed(coupon) == 1


def test_coupon_id_and_coupon_code_must_name_the_same_coupon(api, org, client_id):
    one, other = make_coupon(org, code="ONE"), make_coupon(org, code="OTHER")
    assert_envelope(create(api, client_id, coupon_id=str(one.pk), coupon_code="other"), 400,
                    {"coupon_code": ["coupon_code and coupon_id name different coupons."]})
    assert create(api, client_id, coupon_id=str(one.pk), coupon_code="one").status_code == 201
    assert (redeemed(one), redeemed(other)) == (1, 0)


def test_the_discount_only_counts_matching_lines_and_the_total_never_goes_below_zero(api, org, client_id):
    seo = factories.make_service(org)
    coupon = make_coupon(org, type="percent", amount=D("100"), service_ids=[str(seo.pk)])
    data = create(api, client_id, coupon_code=coupon.code,
                  items=[item(amount=50, service_id=str(seo.pk)), item(amount=-40)]).json()
    assert (data["subtotal"], data["discount"], data["total"]) == ("10.00", "50.00", "0.00")
    fixed = make_coupon(org, amount=D("500"))
    data = create(api, client_id, coupon_code=fixed.code, tax=5, items=[item(amount=30)]).json()
    assert (data["subtotal"], data["discount"], data["total"]) == ("30.00", "30.00", "5.00")


@pytest.mark.parametrize(("over", "message"), [
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "The coupon has expired."),
    ({"currency": "EUR"}, "The coupon is for amounts in EUR; this invoice is in USD."),
    ({"service_ids": "other"}, "The coupon does not apply to any of the items."),
    ({"max_redemptions": 1, "used": 1}, "The coupon has reached its maximum number of redemptions."),
])
def test_a_coupon_that_cannot_apply_is_400_on_coupon_code_and_writes_nothing(api, org, over, message):
    over = dict(over)
    if over.get("service_ids") == "other":
        over["service_ids"] = [str(factories.make_service(org).pk)]
    used = over.pop("used", 0)
    coupon = make_coupon(org, code="NOPE", **over)
    for _ in range(used):
        make_invoice(org, coupon_code="NOPE")
    invoices, users = Invoice.unscoped.count(), User.unscoped.count()
    response = api.post(URL, {"email": "new@example.com", "items": [item()], "coupon_code": "nope"}, format="json")
    assert_envelope(response, 400, {"coupon_code": [message]})
    assert (Invoice.unscoped.count(), User.unscoped.count(), redeemed(coupon)) == (invoices, users, used)


def test_unknown_deleted_and_other_organizations_codes_are_400(api, org, other_org, client_id):
    make_coupon(other_org, code="THEIRS")
    services.coupon_delete(coupon=make_coupon(org, code="GONE"))
    for code in ("THEIRS", "gone", "never-made"):
        assert_envelope(create(api, client_id, coupon_code=code), 400,
                        {"coupon_code": ["The coupon code does not exist."]})
    assert not Invoice.unscoped.exists()


def test_a_coupon_id_that_cannot_apply_is_400_on_coupon_id(api, org, client_id):
    coupon = make_coupon(org, expires_at=timezone.now() - timedelta(seconds=1))
    assert_envelope(create(api, client_id, coupon_id=str(coupon.pk)), 400, {"coupon_id": ["The coupon has expired."]})


def test_empty_coupon_code_on_create_is_no_coupon(api, client_id):
    data = create(api, client_id, coupon_code="").json()
    assert (data["coupon_id"], data["discount"]) == (None, "0.00")


# --- update ----------------------------------------------------------------------------------------------------


def put(api, invoice, **body):
    body.setdefault("items", [item(amount=50, quantity=2)])
    return api.put(f"{URL}/{invoice.pk}", body, format="json")


def test_update_recomputes_the_kept_coupons_discount_without_redeeming_again(api, org):
    coupon = make_coupon(org, type="percent", amount=D("10"), max_redemptions=1)
    invoice = make_invoice(org, coupon_code=coupon.code, items=[item(amount=100)])
    assert (invoice.discount, redeemed(coupon)) == (D("10.00"), 1)
    data = put(api, invoice, items=[item(amount=300)], note="bigger").json()
    assert (data["discount"], data["total"], data["coupon_id"]) == ("30.00", "270.00", str(coupon.pk))
    data = put(api, invoice, coupon_code=coupon.code.lower(), coupon_id=str(coupon.pk)).json()  # same coupon
    assert data["discount"] == "10.00" and redeemed(coupon) == 1


def test_update_to_another_coupon_redeems_it_and_releases_the_previous_one(api, org):
    first = make_coupon(org, code="FIRST", amount=D("5"))
    second = make_coupon(org, code="SECOND", type="percent", amount=D("50"))
    invoice = make_invoice(org, coupon_code="FIRST")
    data = put(api, invoice, coupon_code="second").json()
    assert (data["coupon_id"], data["discount"], data["total"]) == (str(second.pk), "50.00", "50.00")
    assert (redeemed(first), redeemed(second)) == (0, 1)
    data = put(api, invoice, coupon_id=str(first.pk)).json()
    assert (data["coupon_id"], data["discount"]) == (str(first.pk), "5.00")
    assert (redeemed(first), redeemed(second)) == (1, 0)


def test_update_with_an_empty_code_removes_the_coupon(api, org):
    coupon = make_coupon(org)
    invoice = make_invoice(org, coupon_code=coupon.code)
    data = put(api, invoice, coupon_code="").json()
    assert (data["coupon_id"], data["discount"], data["total"]) == (None, "0.00", "100.00")
    assert redeemed(coupon) == 0


def test_update_refusals_keep_the_invoice_and_its_coupon(api, org):
    kept = make_coupon(org, code="KEPT")
    full = make_coupon(org, code="FULL", max_redemptions=1)
    make_invoice(org, coupon_code="FULL")
    invoice = make_invoice(org, coupon_code="KEPT")
    assert_envelope(put(api, invoice, coupon_code="full", note="x"), 400,
                    {"coupon_code": ["The coupon has reached its maximum number of redemptions."]})
    assert_envelope(put(api, invoice, coupon_code="missing"), 400, {"coupon_code": ["The coupon code does not exist."]})
    assert_envelope(put(api, invoice, coupon_id=str(uuid.uuid4())), 422,
                    {"coupon_id": ["The specified coupon does not exist."]})
    row = Invoice.unscoped.get(pk=invoice.pk)
    assert (row.coupon_id, row.note, redeemed(kept), redeemed(full)) == (kept.pk, None, 1, 1)


def test_a_deleted_coupon_stays_on_its_invoices_with_their_discount(api, org):
    coupon = make_coupon(org, amount=D("20"))
    invoice = make_invoice(org, coupon_code=coupon.code)
    assert api.delete(f"/api/coupons/{coupon.pk}").status_code == 204
    data = api.get(f"{URL}/{invoice.pk}").json()
    assert (data["coupon_id"], data["discount"], data["total"]) == (str(coupon.pk), "20.00", "30.00")
    data = put(api, invoice, items=[item(amount=10)]).json()  # recomputed from the coupon it carries
    assert (data["coupon_id"], data["discount"], data["total"]) == (str(coupon.pk), "10.00", "0.00")
