"""KPI and OKR writes. One transaction per use case; activity rows; `kpi.red` events."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kpis.models import KPI, KPIDataPoint, Source
from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.events import emit
from portal.validators import MAX_YEAR, MIN_YEAR, year_in_range

from .calculations import RED, kpi_status
from .models import CheckIn, KeyResult, Objective

KPI_FIELDS = {"name", "code", "description", "unit", "currency", "direction", "target", "source"}


def _clean_kpi(kpi: KPI) -> None:
    if kpi.unit == "money" and not kpi.currency:
        raise ApplicationError(_("A money KPI needs its currency."), field="currency")
    clash = KPI.objects.filter(project=kpi.project, code=kpi.code).exclude(pk=kpi.pk).exists()
    if clash:
        raise ApplicationError(_("Another KPI here already uses this code."), field="code")
    kpi.full_clean(
        exclude=["project", "created_by"], validate_unique=False, validate_constraints=False
    )


@transaction.atomic
def kpi_create(*, actor: Any, project: Any = None, **fields: Any) -> KPI:
    unknown = set(fields) - KPI_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    kpi = KPI(project=project, created_by=actor, **fields)
    _clean_kpi(kpi)
    kpi.save()
    activity_record(actor=actor, verb="kpi.created", target=kpi, project=project)
    return kpi


@transaction.atomic
def kpi_update(*, kpi: KPI, actor: Any, **changes: Any) -> KPI:
    unknown = set(changes) - KPI_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    kpi = KPI.objects.select_for_update().get(pk=kpi.pk)
    before, after = {}, {}
    for field, value in changes.items():
        if getattr(kpi, field) != value:
            before[field], after[field] = getattr(kpi, field), value
            setattr(kpi, field, value)
    if not after:
        return kpi
    _clean_kpi(kpi)
    kpi.save()
    activity_record(
        actor=actor, verb="kpi.updated", target=kpi, project=kpi.project, before=before, after=after
    )
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: KPI, actor: Any) -> None:
    activity_record(actor=actor, verb="kpi.deleted", target=kpi, project=kpi.project)
    kpi.delete()


def _is_currency(code: str) -> bool:
    from django.core.exceptions import ValidationError as DjangoValidationError

    from portal.validators import validate_currency

    try:
        validate_currency(code)
    except DjangoValidationError:
        return False
    return True


def _parse_rows(kpi: KPI, rows: Any) -> tuple[list[tuple[date, Decimal, str]], dict[int, dict]]:
    """Validate every row; return the clean ones and the errors by row index."""
    if not isinstance(rows, list) or not rows:
        raise ApplicationError(_("Send a non-empty list of {date, value} objects."), field="points")
    if len(rows) > 5000:
        raise ApplicationError(_("At most 5,000 points per request."), field="points")
    clean: list[tuple[date, Decimal, str]] = []
    errors: dict[int, dict] = {}
    seen: dict[date, int] = {}
    for index, row in enumerate(rows):
        row_errors: dict[str, list[str]] = {}
        if not isinstance(row, dict):
            errors[index] = {
                "non_field_errors": [_("Each point is an object with date and value.")]
            }
            continue
        raw_date = row.get("date")
        try:
            day = parse_date(str(raw_date)) if raw_date is not None else None
        except ValueError:
            day = None
        if day is None:
            row_errors["date"] = [_("Not a real date (YYYY-MM-DD).")]
        elif not year_in_range(day.year):
            row_errors["date"] = [
                _("Use a year from %(min)s to %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}
            ]
        elif day in seen:
            row_errors["date"] = [_("This date is also in row %(row)s.") % {"row": seen[day] + 1}]
        raw_value = row.get("value")
        value = None
        if isinstance(raw_value, bool) or raw_value is None or raw_value == "":
            row_errors["value"] = [_("A number is required.")]
        else:
            try:
                value = Decimal(str(raw_value))
                if not value.is_finite() or (
                    isinstance(raw_value, float) and not math.isfinite(raw_value)
                ):
                    raise InvalidOperation
                # Stored with 4 decimals and 14 digits before the point: round, then check.
                value = value.quantize(Decimal("0.0001"))
                if abs(value) >= Decimal("1e14"):
                    row_errors["value"] = [_("This number is too large.")]
            except (InvalidOperation, ValueError):
                row_errors["value"] = [_("A finite number is required.")]
        raw_currency = row.get("currency")
        if raw_currency not in (None, "") and (
            not isinstance(raw_currency, str) or not _is_currency(raw_currency.upper())
        ):
            row_errors["currency"] = [_("A currency is a three-letter code such as CNY.")]
            currency = ""
        elif kpi.unit == "money":
            currency = (raw_currency or kpi.currency).upper()
            if currency != kpi.currency:
                row_errors["currency"] = [
                    _("This KPI is kept in %(currency)s.") % {"currency": kpi.currency}
                ]
        else:
            # Only money has a currency: a code sent for a count or a percent is ignored.
            currency = ""
        if row_errors:
            errors[index] = row_errors
        else:
            # Without errors both were parsed: a missing date or value is a row error.
            assert day is not None
            assert value is not None
            seen[day] = index
            clean.append((day, value, currency))
    return clean, errors


@transaction.atomic
def kpi_points_upsert(*, kpi: KPI, actor: Any, rows: Any) -> list[KPIDataPoint]:
    """Upsert data points by date. If any row is bad, nothing is written and every bad row
    is reported by its index. A KPI turning red emits `kpi.red` once for that date."""
    if kpi.source == Source.COMPUTED:
        raise ApplicationError(
            _("The portal computes this KPI from its own data; values cannot be entered."),
            field="points",
        )
    clean, errors = _parse_rows(kpi, rows)
    if errors:
        raise ApplicationError(
            _("%(count)s of %(total)s rows are invalid; nothing was saved.")
            % {"count": len(errors), "total": len(rows)},
            field="points",
            extra={"rows": {str(i): e for i, e in sorted(errors.items())}},
        )
    kpi = KPI.objects.select_for_update().get(pk=kpi.pk)
    before_status = _latest_status(kpi)
    points = KPIDataPoint.objects.bulk_create(
        [
            KPIDataPoint(kpi=kpi, date=day, value=value, currency=currency)
            for day, value, currency in clean
        ],
        update_conflicts=True,
        unique_fields=["kpi", "date"],
        update_fields=["value", "currency", "updated_at"],
    )
    latest = KPIDataPoint.objects.filter(kpi=kpi).order_by("-date").first()
    status = kpi_status(latest.value if latest else None, kpi.target, kpi.direction)
    activity_record(
        actor=actor,
        verb="kpi.points_saved",
        target=kpi,
        project=kpi.project,
        after={"points": len(clean), "latest": str(latest.value) if latest else None},
    )
    if status == RED and before_status != RED and latest is not None:
        emit(
            "kpi.red",
            project=kpi.project,
            payload={
                "kpi_id": kpi.pk,
                "key": kpi.code,
                "title": kpi.name,
                "value": str(latest.value),
                "target": str(kpi.target),
                "date": latest.date.isoformat(),
                "unit": kpi.unit,
                "currency": kpi.currency,
            },
            dedupe_key=f"kpi.red:{kpi.pk}:{latest.date.isoformat()}",
        )
    return points


def _latest_status(kpi: KPI) -> str | None:
    latest = KPIDataPoint.objects.filter(kpi=kpi).order_by("-date").first()
    return kpi_status(latest.value if latest else None, kpi.target, kpi.direction)


@transaction.atomic
def kpi_templates_apply(
    *, actor: Any, project: Any, codes: list[str], language: str, currency: str = "CNY"
) -> list[KPI]:
    from .templates_kpi import KPI_TEMPLATES

    existing = set(KPI.objects.filter(project=project).values_list("code", flat=True))
    created = []
    zh = language.startswith("zh")
    for template in KPI_TEMPLATES:
        if template.code not in codes or template.code in existing:
            continue
        created.append(
            kpi_create(
                actor=actor,
                project=project,
                name=template.zh if zh else template.en,
                code=template.code,
                description=template.description_zh if zh else template.description_en,
                unit=template.unit,
                currency=currency if template.unit == "money" else "",
                direction=template.direction,
                target=template.target,
            )
        )
    return created


# ---------------------------------------------------------------- OKRs

OBJECTIVE_FIELDS = {"title", "description", "period", "level", "department", "owner"}
KR_FIELDS = {"title", "start", "target", "current", "kpi", "unit", "weight", "owner"}


def _clean_objective(objective: Objective) -> None:
    if objective.level == "project" and objective.project_id is None:
        raise ApplicationError(_("A project objective needs its project."), field="project")
    if objective.level != "project" and objective.project_id is not None:
        raise ApplicationError(_("Only project objectives belong to a project."), field="level")
    if objective.level == "department" and not objective.department:
        raise ApplicationError(_("Choose the department."), field="department")
    objective.full_clean(exclude=["project", "owner"], validate_constraints=False)


@transaction.atomic
def objective_create(*, actor: Any, project: Any = None, **fields: Any) -> Objective:
    unknown = set(fields) - OBJECTIVE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    fields.setdefault("owner", actor)
    fields.setdefault("level", "project" if project is not None else "company")
    objective = Objective(project=project, **fields)
    _clean_objective(objective)
    objective.save()
    activity_record(actor=actor, verb="objective.created", target=objective, project=project)
    return objective


@transaction.atomic
def objective_update(*, objective: Objective, actor: Any, **changes: Any) -> Objective:
    unknown = set(changes) - OBJECTIVE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    for field, value in changes.items():
        setattr(objective, field, value)
    _clean_objective(objective)
    objective.save()
    activity_record(
        actor=actor, verb="objective.updated", target=objective, project=objective.project
    )
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective, actor: Any) -> None:
    """Remove an objective with its key results and their check-ins. What it was stays in
    the activity log: the objective and each key result as they stood."""
    # of=self: PostgreSQL cannot lock the empty side of the (nullable) project join.
    objective = (
        Objective.objects.select_for_update(of=("self",))
        .select_related("project", "owner")
        .get(pk=objective.pk)
    )
    key_results = list(objective.key_results.select_related("kpi").order_by("id"))
    activity_record(
        actor=actor,
        verb="objective.deleted",
        target=objective,
        project=objective.project,
        before={
            "title": objective.title,
            "description": objective.description,
            "period": objective.period,
            "level": objective.level,
            "department": objective.department,
            "owner": objective.owner.label,
            "key_results": [_kr_state(kr) for kr in key_results],
        },
    )
    objective.delete()


def _kr_state(kr: KeyResult) -> dict[str, Any]:
    return {
        "title": kr.title,
        "start": str(kr.start),
        "target": str(kr.target),
        "current": None if kr.current is None else str(kr.current),
        "kpi": kr.kpi.code if kr.kpi is not None else None,
        "unit": kr.unit,
        "weight": str(kr.weight),
    }


def _clean_kr(kr: KeyResult) -> None:
    if kr.target == kr.start:
        raise ApplicationError(_("The target must differ from the start."), field="target")
    if kr.kpi is not None and kr.kpi.project_id not in (None, kr.objective.project_id):
        raise ApplicationError(_("Link a KPI of the same project, or a company KPI."), field="kpi")
    kr.full_clean(exclude=["objective", "kpi", "owner"], validate_constraints=False)


@transaction.atomic
def key_result_create(*, objective: Objective, actor: Any, **fields: Any) -> KeyResult:
    unknown = set(fields) - KR_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    kr = KeyResult(objective=objective, **fields)
    if kr.current is None and not kr.kpi_id:
        kr.current = kr.start
    _clean_kr(kr)
    kr.save()
    activity_record(actor=actor, verb="key_result.created", target=kr, project=objective.project)
    return kr


@transaction.atomic
def key_result_update(*, key_result: KeyResult, actor: Any, **changes: Any) -> KeyResult:
    unknown = set(changes) - KR_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    kr = KeyResult.objects.select_for_update().select_related("objective").get(pk=key_result.pk)
    for field, value in changes.items():
        setattr(kr, field, value)
    _clean_kr(kr)
    kr.save()
    activity_record(actor=actor, verb="key_result.updated", target=kr, project=kr.objective.project)
    return kr


@transaction.atomic
def key_result_delete(*, key_result: KeyResult, actor: Any) -> None:
    """Remove a key result with its check-ins; its last state stays in the activity log."""
    kr = (
        KeyResult.objects.select_for_update(of=("self",))
        .select_related("objective__project", "kpi", "owner")
        .get(pk=key_result.pk)
    )
    activity_record(
        actor=actor,
        verb="key_result.deleted",
        target=kr,
        project=kr.objective.project,
        before={
            **_kr_state(kr),
            "objective": kr.objective.title,
            "owner": kr.owner.label if kr.owner else None,
            "check_ins": kr.check_ins.count(),
        },
    )
    kr.delete()


@transaction.atomic
def check_in_add(
    *, key_result: KeyResult, actor: Any, value: Decimal, confidence: int, note: str = ""
) -> CheckIn:
    """Record progress on a key result; a manual KR's current value becomes the check-in's."""
    if not 1 <= int(confidence) <= 10:
        raise ApplicationError(_("Confidence is a whole number from 1 to 10."), field="confidence")
    if not Decimal(value).is_finite():
        raise ApplicationError(_("A finite number is required."), field="value")
    kr = KeyResult.objects.select_for_update().select_related("objective").get(pk=key_result.pk)
    check_in = CheckIn.objects.create(
        key_result=kr, value=value, confidence=confidence, note=note, author=actor, at=clock.now()
    )
    if not kr.kpi_id:
        kr.current = value
        kr.save(update_fields=["current"])
    activity_record(
        actor=actor,
        verb="key_result.checked_in",
        target=kr,
        project=kr.objective.project,
        after={"value": str(value), "confidence": confidence},
    )
    return check_in


def key_results_flag_off_track(*, now=None) -> int:
    """Emit `key_result.off_track` for key results behind schedule in running periods:
    at most once a week per key result while it stays off track (dedupe key)."""
    from .calculations import OFF_TRACK, period_bounds
    from .selectors import annotate_objective

    now = now or clock.now()
    today = now.date()
    week = today.isocalendar()
    emitted = 0
    objectives = (
        Objective.objects.select_related("project")
        .prefetch_related("key_results", "key_results__kpi")
        .order_by("id")
    )
    for objective in objectives:
        try:
            start, end = period_bounds(objective.period)
        except ValueError:
            continue
        if not start <= today <= end:
            continue
        for kr in objective.key_results.all():
            if kr.kpi_id:
                # What objectives_for annotates (kpi_latest). A queryset annotation cannot be
                # declared on the model: the django-stubs plugin then rejects the annotate().
                kr.kpi_latest = (  # type: ignore[attr-defined]
                    KPIDataPoint.objects.filter(kpi_id=kr.kpi_id)
                    .order_by("-date")
                    .values_list("value", flat=True)
                    .first()
                )
        annotate_objective(objective, today)
        for kr in objective.key_results.all():
            if kr.status != OFF_TRACK:
                continue
            event = emit(
                "key_result.off_track",
                project=objective.project,
                payload={
                    "kr_id": kr.pk,
                    "key": objective.period,
                    "title": kr.title,
                    "objective": objective.title,
                    "progress": float(kr.progress),
                    "expected": float(objective.elapsed),
                    "url": "/okrs/?period=" + objective.period,
                },
                dedupe_key=f"key_result.off_track:{kr.pk}:{week.year}-W{week.week}",
            )
            emitted += event is not None
    return emitted
