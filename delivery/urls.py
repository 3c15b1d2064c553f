"""A project's release pages (under /projects/<key>/releases/)."""

from django.urls import include, path

app_name = "releases"

urlpatterns = [
    path("freeze/", include("delivery.urls_freeze")),
]
