"""A real browser renders the admin dashboard (issue 18): Playwright driving the OS's Chromium (`.ci/run` installs
Debian's `chromium`); skipped, with the reason, where either is missing. The page must draw its charts with every
request going to the server itself (no internet, no CDN), and a screenshot is taken (kept in SCREENSHOT_DIR if set)."""
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from serviceengine.models import StaffProfile
from tests import factories
from orders.models import OrderStatus
from tests.billing.factories import make_invoice
from tests.orders.factories import make_order
from tests.reports.test_admin_dashboard import paid_invoice

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").sync_playwright

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium)"),
    pytest.mark.django_db(transaction=True),
]


def test_dashboard_renders_its_charts_in_chromium(live_server, tmp_path):
    org = factories.make_org(slug="browser-org", name="Browser Org")
    client = factories.make_client(org, name_f="Ada", name_l="Lovelace")
    for total, currency in (("1200.00", "USD"), ("350.00", "USD"), ("80.00", "EUR")):
        paid_invoice(org, client, total, currency=currency)
    make_invoice(org, user=client)  # owed
    member = factories.make_team_member(org, name_f="Mia", name_l="Maker")
    make_order(org, client, employees=[member], status=OrderStatus.IN_PROGRESS)
    account = get_user_model().objects.create_user(username="viewer", password="pw", is_staff=True)
    StaffProfile.objects.create(user=account, organization=org)
    browser_client = Client()
    browser_client.force_login(account)
    session = browser_client.cookies[settings.SESSION_COOKIE_NAME].value

    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

        def only_local(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/")
        page.wait_for_selector("#dashboard")
        chart = page.locator('svg.revenue-chart[data-currency="USD"]')
        assert chart.is_visible()
        assert chart.locator("rect.paid").count() == 12
        heights = [float(h) for h in chart.locator("rect.paid").evaluate_all("rs => rs.map(r => r.getAttribute('height'))")]
        assert max(heights) > 0
        assert page.locator('svg.revenue-chart[data-currency="EUR"]').is_visible()
        assert page.locator("#dash-workload").get_by_text("Mia Maker").is_visible()
        assert page.locator("#dash-receivables rect.bucket").count() == 4
        shot = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / "admin-dashboard.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert outside == []
    assert shot.stat().st_size > 10_000
