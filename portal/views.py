"""Site-level pages: home, profile, language switch, health."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from .errors import ApplicationError
from .forms import ProfileForm
from .models import Language
from .refusals import refusal_for_exception
from .selectors import scheduler_heartbeat, user_fresh_copy
from .services import user_update_profile


@login_required
def profile(request: HttpRequest):
    assert request.user.is_authenticated  # @login_required
    # The form validates against its own copy: ModelForm.is_valid() writes the cleaned
    # values onto its instance, and the service must see what really changed.
    form = ProfileForm(request.POST or None, instance=user_fresh_copy(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            translation.activate(request.user.language)
            messages.success(request, _("Your settings were saved."))
            response = HttpResponseRedirect(reverse("portal:profile"))
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language)
            return response
    return render(request, "portal/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest):
    """Switch the UI language; a signed-in user's choice is saved to their profile."""
    lang = request.POST.get("language", "")
    if lang not in Language.values:
        lang = settings.LANGUAGE_CODE
    next_url = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated and request.user.language != lang:
        user_update_profile(user=request.user, language=lang)
    response = (
        HttpResponseClientRedirect(next_url)
        if getattr(request, "htmx", False)
        else HttpResponseRedirect(next_url)
    )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest):
    """Liveness and readiness for load balancers: 200 while the database answers.

    Redis down is reported ("degraded") but not a 503: the web tier serves without it
    (the cache fails open, the outbox sends later), and a 503 would make a balancer take
    every web instance out at once during a Redis outage."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            ).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    else:
        checks["redis"] = "not configured"
    if checks["database"] == "ok":
        beat = scheduler_heartbeat(name="scheduler")
        checks["scheduler_last_run"] = beat.last_run_at.isoformat() if beat else None
    if not healthy:
        checks["status"] = "error"
    else:
        checks["status"] = "ok" if checks["redis"] in ("ok", "not configured") else "degraded"
    checks["time"] = timezone.now().isoformat()
    return JsonResponse(checks, status=200 if healthy else 503)


def _is_api(request: HttpRequest) -> bool:
    # API clients get the API's error shape (DESIGN §5), never an HTML page.
    return request.path.startswith("/api/")


def _api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def error_400(request: HttpRequest, exception=None):
    # Django answers 400 itself for a request it refuses to parse (too many fields, a bad Host).
    if _is_api(request):
        return _api_error(str(_("Malformed request.")), 400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def error_403(request: HttpRequest, exception=None):
    if _is_api(request):
        return _api_error(str(_("You do not have permission to perform this action.")), 403)
    # Who may do this and where to go instead (portal/refusals.py), in the site's layout.
    return refusal_for_exception(request, exception)


def error_404(request: HttpRequest, exception=None):
    if _is_api(request):
        return _api_error(str(_("Not found.")), 404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest):
    if _is_api(request):
        return _api_error(str(_("A server error occurred.")), 500)
    # No context processors that touch the database: it may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
