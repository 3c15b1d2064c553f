from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsiteConfig(AppConfig):
    """The site's composition, the top floor: the root URLconf, the home page and
    `seed_demo`. It may import every app; no app imports it."""

    name = "website"
    verbose_name = _("Website")
