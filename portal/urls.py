"""Client pages, reached only through signed links (`portal.links`)."""
from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>", views.page, name="portal-page"),
    path("<str:token>/sign", views.sign, name="portal-sign"),
    path("<str:token>/pdf", views.pdf, name="portal-pdf"),
    path("<str:token>/pay", views.pay, name="portal-pay"),
    path("<str:token>/pay/simulated", views.pay_simulated, name="portal-pay-simulated"),
]
