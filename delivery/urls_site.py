"""Site-wide release pages (under /releases/): the portfolio and the freeze calendar."""

from django.urls import path  # noqa: F401

app_name = "releases_site"

urlpatterns: list = []
