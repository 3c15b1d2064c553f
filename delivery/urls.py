"""A project's release pages (under /projects/<key>/releases/)."""

from django.urls import include, path, register_converter

from . import views, views_rollout


class VersionConverter:
    """A release's version as it is written (2.3.0, 3.1.0-rc.1, 2.3.0+build5)."""

    regex = r"[0-9A-Za-z][0-9A-Za-z.+\-]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(VersionConverter, "version")

app_name = "releases"

urlpatterns = [
    path("", views.release_list_view, name="list"),
    path("new/", views.release_create_view, name="create"),
    path("freeze/", include("delivery.urls_freeze")),
    path("items/<int:number>/", views.work_item_release_view, name="item_release"),
    path("backlog/", views.backlog_add_view, name="backlog_add"),
    path("<version:version>/", views.release_detail_view, name="detail"),
    path("<version:version>/edit/", views.release_edit_view, name="edit"),
    path("<version:version>/delete/", views.release_delete_view, name="delete"),
    path("<version:version>/notes.md", views.release_notes_download_view, name="notes"),
    path("<version:version>/advance/", views_rollout.release_advance_view, name="advance"),
    path("<version:version>/halt/", views_rollout.release_halt_view, name="halt"),
    path("<version:version>/rollback/", views_rollout.release_rollback_view, name="rollback"),
    path("<version:version>/plan/", views_rollout.release_plan_view, name="plan"),
    path("<version:version>/guards/", views_rollout.release_guard_view, name="guard"),
    path("<version:version>/checklist/", views_rollout.release_check_view, name="check"),
    path(
        "<version:version>/accept-risks/",
        views_rollout.release_accept_risks_view,
        name="accept_risks",
    ),
    path("<version:version>/hotfix/", views_rollout.release_hotfix_view, name="hotfix"),
    path("<version:version>/cancel/", views_rollout.release_cancel_view, name="cancel"),
    path("<version:version>/scope/", views_rollout.release_scope_view, name="scope"),
]
