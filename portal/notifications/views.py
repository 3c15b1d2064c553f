"""The notification settings page: channels, subscriptions, "send test", delivery log.

One implementation for both scopes: a project's own channels (its owners) and the
site-wide channels (staff). The caller authorises and passes the scope.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.errors import ApplicationError
from portal.forms_util import add_service_error, form_errors_text, service_error_text
from portal.http import HtmxHttpRequest
from portal.navigation import project_tab_links
from portal.permissions import project_get_for_user
from portal.refusals import NextStep, Refused
from portal.roles import Role
from portal.tabs import tabs_for

from . import selectors, services
from .forms import EVENT_LABELS, ChannelForm, DeliveryFilterForm, SubscriptionForm


def notifications_page(request, *, project, page_url: str, extra: dict | None = None):
    channels = selectors.channel_list(project=project)
    if request.method == "POST":
        response = _handle_post(request, project=project, channels=channels, page_url=page_url)
        if response is not None:
            return response
    subscriptions = selectors.subscriptions_by_channel(channels=channels, project=project)
    # Site-wide channels serve every project: a project page shows them, read-only.
    shared = selectors.shared_channel_list(project=project)
    rows = []
    for channel in channels:
        subscription = subscriptions.get(channel.pk)
        rows.append(
            {
                "channel": channel,
                "form": ChannelForm(instance=channel, prefix=f"c{channel.pk}"),
                "subscription": subscription,
                "events_form": SubscriptionForm(
                    initial={"events": subscription.events if subscription else []},
                    prefix=f"s{channel.pk}",
                ),
            }
        )
    filters = DeliveryFilterForm(request.GET or None)
    deliveries = selectors.delivery_log(
        project=project, filters=filters.cleaned_data if filters.is_valid() else None
    )
    page = Paginator(deliveries, 50).get_page(request.GET.get("page") or 1)
    context = {
        "project": project,
        "rows": rows,
        "shared": list(shared),
        "new_form": getattr(request, "_new_channel_form", None) or ChannelForm(prefix="new"),
        "filters": filters,
        "deliveries": page,
        "page_url": page_url,
        "event_labels": EVENT_LABELS,
        **(extra or {}),
    }
    if request.htmx and request.htmx.target == "delivery-log":
        return render(request, "notifications/settings.html#log", context)
    return render(
        request,
        "notifications/settings.html",
        context,
        status=400 if hasattr(request, "_new_channel_form") else 200,
    )


def _handle_post(request, *, project, channels, page_url):
    action = request.POST.get("action")
    actor = request.user
    try:
        if action == "add":
            form = ChannelForm(request.POST, prefix="new")
            if form.is_valid():
                try:
                    services.channel_create(actor=actor, project=project, **form.cleaned_data)
                except (ApplicationError, ValidationError) as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, _("Channel added. Send a test message to check it."))
                    return HttpResponseRedirect(page_url)
            request._new_channel_form = form
            return None
        if action == "retry":
            delivery = get_object_or_404(
                selectors.delivery_scope(project=project), pk=request.POST.get("delivery")
            )
            services.delivery_retry(delivery=delivery, actor=actor)
            messages.success(request, _("The delivery will be sent again shortly."))
            return HttpResponseRedirect(page_url)
        channel = get_object_or_404(channels, pk=request.POST.get("channel"))
        if action == "update":
            form = ChannelForm(
                request.POST,
                instance=selectors.channel_fresh_copy(channel=channel),
                prefix=f"c{channel.pk}",
            )
            if form.is_valid():
                services.channel_update(channel=channel, actor=actor, **form.cleaned_data)
                messages.success(request, _("Channel saved."))
            else:
                messages.error(
                    request,
                    form_errors_text(form),
                )
            return HttpResponseRedirect(page_url)
        if action == "delete":
            services.channel_delete(channel=channel, actor=actor)
            messages.success(request, _("Channel deleted."))
            return HttpResponseRedirect(page_url)
        if action == "subscribe":
            subscription_form = SubscriptionForm(request.POST, prefix=f"s{channel.pk}")
            if subscription_form.is_valid():
                services.subscription_save(
                    channel=channel,
                    project=project,
                    events=subscription_form.cleaned_data["events"],
                    actor=actor,
                )
                messages.success(request, _("Subscription saved."))
            else:
                messages.error(request, _("Choose at least one event, or * for all."))
            return HttpResponseRedirect(page_url)
        if action == "test":
            outcome = services.channel_send_test(channel=channel, actor=actor)
            context = {"channel": channel, "outcome": outcome}
            return render(request, "notifications/partials/_test_result.html", context)
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, service_error_text(exc))
        return HttpResponseRedirect(page_url)
    return HttpResponseRedirect(page_url)


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


@login_required
@require_http_methods(["GET", "POST"])
def site_notifications_view(request):
    if not request.user.is_staff:
        # Not the admin's login page (staff_member_required's answer): say who may, and
        # link to the channels this person does manage, their projects' own.
        raise Refused(
            _("Only site admins can manage site-wide notification channels."),
            detail=_("A project's owners manage its own channels on its Notifications tab."),
            next_steps=[
                NextStep(url, _("Notifications of %(project)s") % {"project": key})
                for key, url in project_tab_links(request.user, "notifications")
            ],
        )
    return notifications_page(request, project=None, page_url=reverse("portal:notifications"))
