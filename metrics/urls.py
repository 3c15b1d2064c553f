from django.urls import path

from . import views, views_dashboard

app_name = "metrics"

urlpatterns = [
    path("kpis/", views.kpi_board_view, name="kpis"),
    path("okrs/", views.okr_board_view, name="okrs"),
    path("dashboard/", views_dashboard.executive_dashboard_view, name="dashboard"),
    path(
        "projects/<str:key>/dashboard/",
        views_dashboard.project_dashboard_view,
        name="project_dashboard",
    ),
    path(
        "projects/<str:key>/reports/<str:day>/",
        views_dashboard.daily_report_view,
        name="daily_report",
    ),
]
