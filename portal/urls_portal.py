from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .notifications.views import site_notifications_view

app_name = "portal"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="portal/password_change.html",
            success_url=reverse_lazy("portal:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html"),
        name="password_change_done",
    ),
    path("settings/", views.profile, name="profile"),
    path("settings/notifications/", site_notifications_view, name="notifications"),
    path("i18n/language/", views.set_language, name="set_language"),
]
