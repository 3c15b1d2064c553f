from django.urls import path

from . import views, views_csv, views_detail

app_name = "requirements"

urlpatterns = [
    path("", views.backlog_view, name="backlog"),
    path("new/", views_detail.requirement_create_view, name="create"),
    path("triage/", views.triage_view, name="triage"),
    path("kano/", views_detail.kano_overview_view, name="kano"),
    path("reorder/", views.backlog_reorder_view, name="reorder"),
    path("bulk/", views.backlog_bulk_view, name="bulk"),
    path("views/", views.saved_view_create_view, name="view_save"),
    path("views/<int:view_id>/delete/", views.saved_view_delete_view, name="view_delete"),
    path("export.csv", views_csv.backlog_export_csv_view, name="export_csv"),
    path("import/", views_csv.backlog_import_view, name="import"),
    path("<int:number>/", views_detail.requirement_detail_view, name="detail"),
    path("<int:number>/edit/", views_detail.requirement_edit_view, name="edit"),
    path("<int:number>/inline/", views.requirement_inline_view, name="inline"),
    path("<int:number>/triage/", views.requirement_triage_view, name="triage_one"),
    path("<int:number>/reject/", views_detail.requirement_reject_view, name="reject"),
    path("<int:number>/delete/", views_detail.requirement_delete_view, name="delete"),
    path("<int:number>/survey/", views_detail.kano_survey_view, name="survey"),
    path(
        "<int:number>/survey/<int:response_id>/delete/",
        views_detail.kano_response_delete_view,
        name="survey_delete",
    ),
    path("<int:number>/kpis/", views_detail.requirement_kpi_view, name="kpi_link"),
    path(
        "<int:number>/kpis/<int:link_id>/delete/",
        views_detail.requirement_kpi_delete_view,
        name="kpi_unlink",
    ),
    path("<int:number>/comments/", views_detail.requirement_comment_view, name="comment"),
    path("<int:number>/promote/", views_detail.requirement_promote_view, name="promote"),
]
