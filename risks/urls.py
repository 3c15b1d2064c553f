from django.urls import path

from . import views

app_name = "risks"

urlpatterns = [
    path("", views.risk_register_view, name="register"),
    path("new/", views.risk_create_view, name="create"),
    path("templates/", views.risk_templates_view, name="templates"),
    path("export.csv", views.risk_export_csv_view, name="export_csv"),
    path("export.xlsx", views.risk_export_xlsx_view, name="export_xlsx"),
    path("<int:number>/", views.risk_detail_view, name="detail"),
    path("<int:number>/edit/", views.risk_edit_view, name="edit"),
    path("<int:number>/inline/", views.risk_inline_edit_view, name="inline"),
    path("<int:number>/review/", views.risk_review_view, name="review"),
    path("<int:number>/delete/", views.risk_delete_view, name="delete"),
    path("<int:number>/links/", views.risk_link_view, name="link"),
]
