"""Demo subscription for `python manage.py seed_demo`: the billing demo client (billing/demo.py) subscribes monthly
to its SEO package with the WELCOME10 coupon, starting today, so its first period's invoice is issued (and its
e-mail queued) at once and the worker bills the next month by itself.

Idempotent: created only while that client has no subscription. Runs after billing's seeder (seed_demo's order),
whose client, service and coupon it uses; without them it creates nothing."""
from billing.models import Coupon
from catalog.models import Service
from clients.services import user_by_email

from . import services
from .models import Subscription

CLIENT_EMAIL = "billing@demo-billing.example.com"  # billing/demo.py DEMO_CLIENT
SERVICE_NAME = "Monthly SEO Package (billing demo)"  # billing/demo.py DEMO_SERVICES
COUPON_CODE = "WELCOME10"  # billing/demo.py DEMO_COUPONS


def seed(*, organization, owner) -> None:
    client = user_by_email(organization=organization, email=CLIENT_EMAIL)
    service = Service.objects.for_org(organization).filter(name=SERVICE_NAME).first()
    if client is None or service is None or Subscription.objects.for_org(organization).filter(client=client).exists():
        return
    coupon = Coupon.objects.for_org(organization).filter(code=COUPON_CODE).first()
    services.subscription_create(
        organization=organization,
        client_id=str(client.pk),
        items=[{"service_id": str(service.pk), "name": service.name, "quantity": 1, "price": service.price}],
        interval="month",
        currency="USD",
        coupon_code=coupon.code if coupon else None,
    )
