from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list_view, name="list"),
    path("new/", views.project_create_view, name="create"),
    path("<str:key>/", views.project_detail_view, name="detail"),
    path("<str:key>/activity/", views.project_activity_view, name="activity"),
    path("<str:key>/settings/", views.project_settings_view, name="settings"),
    path("<str:key>/settings/archive/", views.project_archive_view, name="archive"),
    path("<str:key>/members/add/", views.member_add_view, name="member_add"),
    path("<str:key>/members/<int:member_id>/role/", views.member_role_view, name="member_role"),
    path(
        "<str:key>/members/<int:member_id>/remove/", views.member_remove_view, name="member_remove"
    ),
]
