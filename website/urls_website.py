from django.urls import path

from .home import home

app_name = "website"

urlpatterns = [
    path("", home, name="home"),
]
