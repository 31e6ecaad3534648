from django.urls import path

from . import views

urlpatterns = [
    path("reports/summary", views.SummaryView.as_view(), name="report-summary"),
    path("reports/revenue", views.RevenueView.as_view(), name="report-revenue"),
    path("reports/receivables", views.ReceivablesView.as_view(), name="report-receivables"),
    path("reports/workload", views.WorkloadView.as_view(), name="report-workload"),
]
