"""KPI tiles and the OKR board. Thin views over services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kpis.models import Source
from portal import clock
from portal.errors import ApplicationError
from portal.forms_util import add_service_error, form_errors_text, service_error_text
from portal.http import id_or_none
from portal.permissions import projects_visible_to

from . import services
from .calculations import valid_period
from .engineering import ENGINEERING_KPIS, engineering_kpis_enable
from .forms import CheckInForm, KeyResultForm, KPIForm, ObjectiveForm, PointForm, TemplatesForm
from .permissions import can_edit_kpi, can_edit_objective, objectives_visible_to
from .selectors import (
    key_result_kpi,
    key_result_kpi_choices,
    key_results_visible_to,
    kpi_choice_rows,
    kpi_list,
    live_projects_by_name,
    objectives_for,
    project_kpis,
    project_roles_of,
    projects_by_pk,
    projects_editable_by,
    with_tiles,
)


def _current_quarter() -> str:
    today = clock.now().date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _scope(request):
    """`?project=KEY` narrows to a project the user may see; otherwise company KPIs."""
    key = request.GET.get("project") or request.POST.get("project_key") or ""
    if not key:
        return None
    return get_object_or_404(projects_visible_to(request.user), key=key)


@login_required
@require_http_methods(["GET", "POST"])
def kpi_board_view(request):
    project = _scope(request)
    language = get_language() or "zh-hans"
    form = KPIForm(prefix="kpi", language=language)
    if request.method == "POST":
        if not can_edit_kpi(request.user, project):
            messages.error(request, _("You cannot change these KPIs."))
            return _back(project)
        action = request.POST.get("action")
        try:
            if action == "add":
                form = KPIForm(request.POST, prefix="kpi", language=language)
                if form.is_valid():
                    services.kpi_create(actor=request.user, project=project, **form.cleaned_data)
                    messages.success(request, _("KPI added."))
                    return _back(project)
            elif action == "templates":
                templates = TemplatesForm(request.POST)
                if templates.is_valid():
                    created = services.kpi_templates_apply(
                        actor=request.user,
                        project=project,
                        codes=templates.cleaned_data["codes"],
                        language=language,
                        currency=project.currency if project else "CNY",
                    )
                    messages.success(request, _("%(count)s KPIs added.") % {"count": len(created)})
                else:
                    messages.error(request, _("Choose at least one template."))
                return _back(project)
            elif action == "engineering" and project is not None:
                created = engineering_kpis_enable(
                    project=project, actor=request.user, language=language
                )
                if created:
                    messages.success(
                        request,
                        _("%(count)s engineering KPIs added; the portal computes them daily.")
                        % {"count": len(created)},
                    )
                else:
                    messages.info(request, _("This project tracks every engineering KPI already."))
                return _back(project)
            elif action == "csv":
                kpi = get_object_or_404(
                    project_kpis(project=project), pk=id_or_none(request.POST.get("kpi"))
                )
                upload = request.FILES.get("file")
                rows, problem = _csv_rows(upload)
                if problem:
                    messages.error(request, problem)
                    return _back(project)
                try:
                    services.kpi_points_upsert(kpi=kpi, actor=request.user, rows=rows)
                except ApplicationError as exc:
                    details = "; ".join(
                        _("line %(line)s: %(errors)s")
                        % {
                            "line": int(index) + 2,
                            "errors": " ".join(m for msgs in errs.values() for m in msgs),
                        }
                        for index, errs in list(exc.extra.get("rows", {}).items())[:10]
                    )
                    messages.error(request, f"{exc.message} {details}")
                    return _back(project)
                messages.success(
                    request,
                    _("%(count)s values imported into %(name)s.")
                    % {"count": len(rows), "name": kpi.name},
                )
                return _back(project)
            elif action == "point":
                kpi = get_object_or_404(
                    project_kpis(project=project), pk=id_or_none(request.POST.get("kpi"))
                )
                point = PointForm(request.POST, prefix=f"p{kpi.pk}")
                if kpi.source == Source.COMPUTED:
                    messages.error(
                        request,
                        _(
                            "The portal computes this KPI from its own data; values cannot be entered."
                        ),
                    )
                elif point.is_valid():
                    services.kpi_points_upsert(
                        kpi=kpi,
                        actor=request.user,
                        rows=[
                            {
                                "date": point.cleaned_data["date"].isoformat(),
                                "value": str(point.cleaned_data["value"]),
                            }
                        ],
                    )
                    messages.success(request, _("Value saved for %(name)s.") % {"name": kpi.name})
                else:
                    messages.error(
                        request, "; ".join(str(e) for errs in point.errors.values() for e in errs)
                    )
                return _back(project)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
    kpis = with_tiles(
        list(kpi_list(user=request.user, project=project, company_only=project is None))
    )
    today = clock.now().date()
    tiles = [(kpi, PointForm(prefix=f"p{kpi.pk}", initial={"date": today})) for kpi in kpis]
    return render(
        request,
        "metrics/kpi_board.html",
        {
            "project": project,
            "tiles": tiles,
            "sparklines": {k.pk: k.sparkline for k in kpis},
            "form": form,
            "templates_form": TemplatesForm(),
            "engineering_kpis": ENGINEERING_KPIS,
            "projects": list(live_projects_by_name(user=request.user)),
            "can_edit": can_edit_kpi(request.user, project),
        },
        status=400 if form.errors else 200,
    )


MAX_CSV_BYTES = 2 * 1024 * 1024


def _csv_rows(upload) -> tuple[list[dict], str | None]:
    """A CSV with a header `date,value[,currency]` (UTF-8, with or without BOM) → rows."""
    import csv
    import io

    if upload is None:
        return [], _("Choose a CSV file.")
    if upload.size > MAX_CSV_BYTES:
        return [], _("The file is larger than 2 MB.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], _("Save the file as UTF-8 CSV.")
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "date" not in fields or "value" not in fields:
        return [], _("The first line must name the columns date and value.")
    rows = []
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        rows.append(
            {
                "date": row.get("date"),
                "value": row.get("value"),
                **({"currency": row["currency"]} if row.get("currency") else {}),
            }
        )
    if not rows:
        return [], _("The file has no data lines.")
    return rows, None


def _back(project):
    url = reverse("metrics:kpis")
    return HttpResponseRedirect(f"{url}?project={project.key}" if project else url)


@login_required
@require_http_methods(["GET", "POST"])
def okr_board_view(request):
    # A period outside the planning years (?period=0000-Q1) shows the current quarter.
    period = valid_period(request.GET.get("period")) or _current_quarter()
    editable_projects = projects_editable_by(user=request.user)
    project_qs = projects_by_pk(pks=[p.pk for p in editable_projects])
    objective_form = ObjectiveForm(
        initial={"period": period, "level": "company"}, projects=project_qs, prefix="obj"
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "objective":
                objective_form = ObjectiveForm(request.POST, projects=project_qs, prefix="obj")
                if objective_form.is_valid():
                    data = dict(objective_form.cleaned_data)
                    project = data.pop("project")
                    if project is not None:
                        data["level"] = "project"
                    elif not request.user.is_staff:
                        raise ApplicationError(
                            _("Only administrators add company and department objectives."),
                            field="level",
                        )
                    services.objective_create(actor=request.user, project=project, **data)
                    messages.success(request, _("Objective added."))
                    return HttpResponseRedirect(
                        f"{reverse('metrics:okrs')}?period={data['period']}"
                    )
            elif action in ("kr", "checkin"):
                return _kr_action(request, action, period)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(objective_form, exc)
    objectives = objectives_for(user=request.user, period=period)
    # One query for the user's roles and one for the KPIs, whatever the number of objectives.
    roles = project_roles_of(user=request.user)
    kpi_rows = kpi_choice_rows(user=request.user)
    # can_edit, kr_form and checkin_form are for the template only: Objective and KeyResult
    # do not declare them (as they declare progress and status), so mypy cannot know them.
    for objective in objectives:
        objective.can_edit = _can_edit_objective_cached(request.user, objective, roles)  # type: ignore[attr-defined]
        choices = [
            (pk, name)
            for pk, name, project_id in kpi_rows
            if project_id in (None, objective.project_id)
        ]
        objective.kr_form = KeyResultForm(prefix=f"kr{objective.pk}", kpi_choices=choices)  # type: ignore[attr-defined]
        for kr in objective.key_results.all():
            kr.checkin_form = CheckInForm(prefix=f"ci{kr.pk}", initial={"value": kr.current_value})  # type: ignore[attr-defined]
    return render(
        request,
        "metrics/okr_board.html",
        {
            "period": period,
            "periods": _periods(period),
            "objectives": objectives,
            "objective_form": objective_form,
            "can_add": request.user.is_staff or bool(editable_projects),
        },
        status=400 if objective_form.errors else 200,
    )


def _can_edit_objective_cached(user, objective, roles: dict) -> bool:
    """can_edit_objective without a query per objective (roles loaded once)."""
    if user.is_staff:
        return True
    if objective.project_id:
        return (
            roles.get(objective.project_id) in ("owner", "member")
            and not objective.project.archived
        )
    return objective.owner_id == user.pk


def _periods(current: str) -> list[str]:
    year = clock.now().year
    return [f"{y}-Q{q}" for y in (year - 1, year, year + 1) for q in range(1, 5)]


def _kr_action(request, action, period):
    back = HttpResponseRedirect(f"{reverse('metrics:okrs')}?period={period}")
    if action == "kr":
        objective = get_object_or_404(
            objectives_visible_to(request.user), pk=id_or_none(request.POST.get("objective"))
        )
        if not can_edit_objective(request.user, objective):
            messages.error(request, _("You cannot change this objective."))
            return back
        form = KeyResultForm(
            request.POST,
            prefix=f"kr{objective.pk}",
            kpi_choices=key_result_kpi_choices(user=request.user, project_id=objective.project_id),
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["kpi"] = (
                key_result_kpi(user=request.user, project_id=objective.project_id, pk=data["kpi"])
                if data.get("kpi")
                else None
            )
            try:
                services.key_result_create(objective=objective, actor=request.user, **data)
                messages.success(request, _("Key result added."))
            except (ApplicationError, ValidationError) as exc:
                messages.error(request, service_error_text(exc))
        else:
            messages.error(
                request,
                form_errors_text(form),
            )
        return back
    kr = get_object_or_404(
        key_results_visible_to(user=request.user),
        pk=id_or_none(request.POST.get("key_result")),
    )
    if not (can_edit_objective(request.user, kr.objective) or kr.owner_id == request.user.pk):
        messages.error(request, _("You cannot check in on this key result."))
        return back
    checkin_form = CheckInForm(request.POST, prefix=f"ci{kr.pk}")
    if checkin_form.is_valid():
        try:
            services.check_in_add(key_result=kr, actor=request.user, **checkin_form.cleaned_data)
            messages.success(request, _("Check-in saved."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(
            request,
            form_errors_text(checkin_form),
        )
    return back
