"""Coupon admin (issue 16): staff write through `billing.services` (the API's rules, events with the admin user as
actor), `times_redeemed` is read-only, delete is the soft delete, restore refuses a code taken meanwhile."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from billing.models import Coupon
from events.models import Event
from tests.billing.factories import make_coupon
from tests.helpers import staff_browser

FORM = {
    "code": "ADMIN10", "type": "percent", "amount": "10", "currency": "", "duration": "once",
    "duration_in_periods": "", "max_redemptions": "", "expires_at_0": "", "expires_at_1": "", "service_ids": "[]",
}


@pytest.fixture
def staff(org):
    return staff_browser(org, "ada")


def test_add_goes_through_the_service_and_records_the_event(staff, org):
    response = staff.post(reverse("admin:billing_coupon_add"), FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    coupon = Coupon.unscoped.get(code="ADMIN10")
    assert (coupon.organization_id, coupon.amount, coupon.currency) == (org.pk, Decimal("10.00"), None)
    event = Event.objects.for_org(org).get(type="coupon.created")
    ada = get_user_model().objects.get(username="ada")
    assert (event.object_id, event.actor["type"], event.actor["id"]) == (coupon.pk, "user", str(ada.pk))


def test_the_form_reports_the_services_rules_on_their_field(staff, org):
    make_coupon(org, code="TAKEN")
    response = staff.post(reverse("admin:billing_coupon_add"), {**FORM, "code": "taken"})
    assert response.status_code == 200 and "The code has already been taken." in response.content.decode()
    response = staff.post(reverse("admin:billing_coupon_add"), {**FORM, "type": "fixed"})
    assert "A fixed coupon needs a currency." in response.content.decode()
    response = staff.post(reverse("admin:billing_coupon_add"), {**FORM, "code": "has space"})
    assert "The code must be 1 to 50 letters" in response.content.decode()
    assert not Coupon.unscoped.filter(organization=org).exclude(code="TAKEN").exists()


def test_change_updates_through_the_service(staff, org):
    coupon = make_coupon(org, code="EDITME", type="percent", amount=Decimal("5"))
    response = staff.post(reverse("admin:billing_coupon_change", args=[coupon.pk]),
                          {**FORM, "code": "EDITED", "amount": "7.5", "times_redeemed": "99"})
    assert response.status_code == 302, response.content.decode()[:3000]
    coupon.refresh_from_db()
    assert (coupon.code, coupon.amount, coupon.times_redeemed) == ("EDITED", Decimal("7.50"), 0)
    event = Event.objects.for_org(org).get(type="coupon.updated")
    assert event.previous_attributes == {"code": "EDITME", "amount": "5.00"}


def test_delete_is_soft_and_restore_refuses_a_taken_code(staff, org):
    coupon = make_coupon(org, code="SOFT")
    response = staff.post(reverse("admin:billing_coupon_delete", args=[coupon.pk]), {"post": "yes"})
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.deleted_at is not None
    assert Event.objects.for_org(org).filter(type="coupon.deleted", object_id=coupon.pk).exists()
    make_coupon(org, code="soft")
    response = staff.post(reverse("admin:billing_coupon_changelist"),
                          {"action": "restore_selected", "_selected_action": [str(coupon.pk)]}, follow=True)
    assert "SOFT: The code has already been taken." in [str(m) for m in get_messages(response.wsgi_request)]
    coupon.refresh_from_db()
    assert coupon.deleted_at is not None
