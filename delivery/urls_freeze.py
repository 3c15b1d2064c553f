"""A project's freeze calendar (under /projects/<key>/releases/freeze/)."""

from django.urls import path

from . import views_freeze

urlpatterns = [
    path("", views_freeze.freeze_project_view, name="freeze"),
    path("<int:pk>/delete/", views_freeze.freeze_project_delete_view, name="freeze_delete"),
]
