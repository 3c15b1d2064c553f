from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.http import HtmxHttpRequest
from portal.notifications.views import notifications_page
from portal.permissions import project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for


@login_required
@require_http_methods(["GET", "POST"])
def project_notifications_view(request: HtmxHttpRequest, key: str):
    """A project's channels, subscriptions and delivery log: its owners' page."""
    project = project_get_for_user(
        request.user,
        key=key,
        need=Role.OWNER,
        refusal=_("Only the project's owners can manage its notification channels."),
    )
    return notifications_page(
        request,
        project=project,
        page_url=reverse("projects:notifications", args=[project.key]),
        extra={"tabs": tabs_for(project, "notifications", request.user)},
    )
