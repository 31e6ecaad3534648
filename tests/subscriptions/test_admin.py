"""Subscriptions admin: scoped, read-only (no add, no delete), transitions through the same services as the API."""
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from subscriptions.models import Subscription
from tests.helpers import staff_browser

from .factories import make_subscription

CHANGELIST = reverse("admin:subscriptions_subscription_changelist")


@pytest.fixture
def my_staff(org):
    return staff_browser(org, "mine")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(browser, action, rows):
    return browser.post(CHANGELIST, {"action": action, "_selected_action": [str(r.pk) for r in rows]}, follow=True)


def test_changelist_and_change_page_show_the_organizations_subscriptions(my_staff, org, other_org):
    mine = make_subscription(org, start_date=timezone.now().date() + timedelta(days=3))
    theirs = make_subscription(other_org, start_date=timezone.now().date() + timedelta(days=3))
    page = my_staff.get(CHANGELIST).content.decode()
    assert str(mine.pk) in page and str(theirs.pk) not in page
    change = my_staff.get(reverse("admin:subscriptions_subscription_change", args=[mine.pk]))
    assert change.status_code == 200 and "Retainer" in change.content.decode()  # the lines, inline


def test_subscriptions_cannot_be_added_or_deleted_in_the_admin(my_staff, org):
    mine = make_subscription(org)
    assert my_staff.get(reverse("admin:subscriptions_subscription_add")).status_code == 403
    assert my_staff.post(reverse("admin:subscriptions_subscription_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    assert Subscription.unscoped.filter(pk=mine.pk).exists()


def test_actions_use_the_services_and_report_refusals(my_staff, org):
    active = make_subscription(org, start_date=timezone.now().date() + timedelta(days=3))
    canceled = make_subscription(org, start_date=timezone.now().date() + timedelta(days=3))
    Subscription.unscoped.filter(pk=canceled.pk).update(status="canceled")
    response = act(my_staff, "pause_selected", [active, canceled])
    assert "Paused 1 subscription(s)." in messages_of(response)
    assert f"{canceled.pk}: Cannot pause subscription with status canceled" in messages_of(response)
    assert Subscription.unscoped.get(pk=active.pk).status == "paused"
    event = Event.unscoped.get(type="subscription.paused", object_id=active.pk)
    assert event.actor_type == "user"
    act(my_staff, "resume_selected", [active])
    assert Subscription.unscoped.get(pk=active.pk).status == "active"
    act(my_staff, "cancel_selected", [active])
    assert Subscription.unscoped.get(pk=active.pk).status == "canceled"
