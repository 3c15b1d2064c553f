"""Site-wide release pages (under /releases/): the portfolio and the freeze calendar."""

from django.urls import path

from . import views_freeze, views_site

app_name = "releases_site"

urlpatterns = [
    path("", views_site.portfolio_view, name="portfolio"),
    path("freeze/", views_freeze.freeze_site_view, name="freeze"),
    path("freeze/<int:pk>/delete/", views_freeze.freeze_site_delete_view, name="freeze_delete"),
]
