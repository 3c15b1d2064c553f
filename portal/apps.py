from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from .activity import register_verbs
        from .navigation import NavEntry, register_site

        register_verbs({"user.signin_unlocked": _("%(actor)s unlocked sign-in for %(target)s")})
        register_site(NavEntry("settings", _("Settings"), "portal:profile", order=100))
        register_site(
            NavEntry(
                "notifications",
                _("Notifications"),
                "portal:notifications",
                order=90,
                staff_only=True,
            )
        )
