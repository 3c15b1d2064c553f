from django.conf import settings
from django.urls import reverse

from .navigation import site_entries


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_name": settings.PORTAL_NAME}
    path = request.path
    entries = []
    for entry in site_entries():
        if entry.staff_only and not user.is_staff:
            continue
        url = reverse(entry.url_name)
        entries.append(
            {"key": entry.key, "label": entry.label, "url": url, "active": path.startswith(url)}
        )
    return {"portal_name": settings.PORTAL_NAME, "site_nav": entries}
