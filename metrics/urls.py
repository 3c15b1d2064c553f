from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("kpis/", views.kpi_board_view, name="kpis"),
    path("okrs/", views.okr_board_view, name="okrs"),
]
