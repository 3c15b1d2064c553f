"""A project's freeze calendar (under /projects/<key>/releases/freeze/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
