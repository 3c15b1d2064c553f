"""The backlog as a CSV file: export (what the backlog page shows, filters included) and
import (check every row, then all or nothing, or only the good rows on request).

Thin views: the file format and the rules live in csv_io.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from portal import exports
from portal.errors import ApplicationError
from portal.http import HtmxHttpRequest
from portal.permissions import project_get_for_user
from portal.roles import Role
from portal.tabs import tabs_for

from . import csv_io
from .forms import ImportForm
from .selectors import requirement_backlog
from .views import backlog_filters

# Enough to fix a file; a file with more problems has a systematic one (wrong columns).
MAX_ERRORS_SHOWN = 500


@login_required
@require_GET
def backlog_export_csv_view(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The backlog as filtered and sorted on the page (the page's own reading of the
    query string); `?template=1`: the header only, a file to fill in for an import."""
    project = project_get_for_user(request.user, key=key)
    if request.GET.get("template"):
        return exports.csv_response(
            header=csv_io.COLUMNS, rows=[], filename=f"{project.key}-requirements-template.csv"
        )
    _form, filters = backlog_filters(request, project)
    backlog = requirement_backlog(project=project, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.csv_response(
        header=csv_io.COLUMNS,
        rows=csv_io.backlog_rows(backlog),
        filename=f"{project.key}-requirements-{stamp}.csv",
    )


def _uploaded_text(form: ImportForm) -> str:
    """The CSV text: the uploaded file, or the content re-posted from the error page."""
    upload = form.cleaned_data.get("file")
    if upload:
        if upload.size > csv_io.MAX_BYTES:
            raise csv_io.too_big_error()
        return csv_io.decode_csv(upload.read())
    content = form.cleaned_data.get("content") or ""
    if not content:
        raise ApplicationError(_("Choose a CSV file."), field="file")
    return content


@login_required
@require_http_methods(["GET", "POST"])
def backlog_import_view(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """GET: the upload form. POST: check the file; all rows good → import and back to the
    backlog; rows in error → the errors, row by row, and nothing imported, with an offer
    to import only the good rows (the file's text comes back in a hidden field)."""
    project = project_get_for_user(request.user, key=key, need=Role.MEMBER)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    plan, content = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            content = _uploaded_text(form)
            plan = csv_io.parse_backlog_csv(content, project=project)
        except ApplicationError as exc:
            form.add_error("file", exc.message)
            content = ""
        valid_only = form.cleaned_data.get("valid_only", False)
        if plan is not None and (plan.is_valid or (valid_only and plan.valid_count)):
            try:
                created = csv_io.import_backlog(
                    project=project, actor=request.user, plan=plan, valid_only=valid_only
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s requirement imported.",
                        "%(count)s requirements imported.",
                        len(created),
                    )
                    % {"count": len(created)},
                )
                if plan.invalid_count:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)s row with errors was skipped.",
                            "%(count)s rows with errors were skipped.",
                            plan.invalid_count,
                        )
                        % {"count": plan.invalid_count},
                    )
                for warning in plan.warnings:
                    messages.warning(request, warning)
                return HttpResponseRedirect(reverse("requirements:backlog", args=[project.key]))
    errors = plan.errors if plan is not None else []
    context = {
        "project": project,
        "tabs": tabs_for(project, "requirements", request.user),
        "form": form,
        "plan": plan,
        "errors": errors[:MAX_ERRORS_SHOWN],
        "errors_hidden": max(len(errors) - MAX_ERRORS_SHOWN, 0),
        "content": content if plan is not None and plan.valid_count else "",
        "columns": csv_io.COLUMNS,
        "max_rows": csv_io.MAX_ROWS,
    }
    return render(request, "requirements/requirement_import.html", context)
