"""The KPIs a requirement is meant to move, with the expected effect."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kpis.models import KPI
from portal.activity import activity_record
from portal.errors import ApplicationError

from ..models import (
    Requirement,
    RequirementKPI,
)

# ---------------------------------------------------------------- KPI links


def _expected_change(value: Any) -> Decimal:
    try:
        change = Decimal(str(value))
    except (ArithmeticError, ValueError):
        change = None
    if change is None or not change.is_finite() or abs(change) >= Decimal("1e12"):
        raise ApplicationError(_("Enter the expected change as a number."), field="expected_change")
    return change


def _kpi_links_save(
    requirement: Requirement, links: list[dict[str, Any]], *, replace: bool, new: bool = False
) -> tuple[list[RequirementKPI], list[RequirementKPI]]:
    """Create or update these links (one per KPI) and, with `replace`, drop the others.
    A fixed number of queries whatever the number of links. Returns (kept, removed)."""
    wanted: dict[int, tuple[Decimal, str]] = {}
    for given in links:
        kpi_id = getattr(given["kpi"], "pk", given["kpi"])
        if not str(kpi_id).isdigit():
            raise ApplicationError(
                _("Choose a KPI of this project or a company-wide KPI."), field="kpi"
            )
        wanted[int(kpi_id)] = (
            _expected_change(given.get("expected_change")),
            (given.get("note") or "").strip()[:200],
        )
    kpis = {k.pk: k for k in KPI.objects.filter(pk__in=wanted)}
    for kpi_id in wanted:
        kpi = kpis.get(kpi_id)
        if kpi is None or kpi.project_id not in (None, requirement.project_id):
            raise ApplicationError(
                _("Choose a KPI of this project or a company-wide KPI."), field="kpi"
            )
    existing = (
        {}
        if new  # a requirement created just now has no links yet
        else {
            link.kpi_id: link
            for link in RequirementKPI.objects.filter(requirement=requirement).select_related("kpi")
        }
    )
    created: list[RequirementKPI] = []
    changed: list[RequirementKPI] = []
    for kpi_id, (change, note) in wanted.items():
        link = existing.get(kpi_id)
        if link is None:
            created.append(
                RequirementKPI(
                    requirement=requirement, kpi=kpis[kpi_id], expected_change=change, note=note
                )
            )
        elif (link.expected_change, link.note) != (change, note):
            link.expected_change, link.note = change, note
            changed.append(link)
    if created:
        RequirementKPI.objects.bulk_create(created)
    if changed:
        RequirementKPI.objects.bulk_update(changed, ["expected_change", "note"])
    removed = []
    if replace:
        removed = [link for kpi_id, link in existing.items() if kpi_id not in wanted]
        if removed:
            RequirementKPI.objects.filter(pk__in=[link.pk for link in removed]).delete()
    # Existing links came with their KPI, new ones were built with it.
    by_kpi = {**existing, **{link.kpi_id: link for link in created}}
    return [by_kpi[kpi_id] for kpi_id in wanted], removed


@transaction.atomic
def requirement_kpi_link(
    *, requirement: Requirement, actor: Any, kpi: Any, expected_change: Any, note: str = ""
) -> RequirementKPI:
    """Link a target KPI with its expected effect; linking the same KPI again updates it."""
    (link,), _removed = _kpi_links_save(
        requirement,
        [{"kpi": kpi, "expected_change": expected_change, "note": note}],
        replace=False,
    )
    activity_record(
        actor=actor,
        verb="requirement.kpi_linked",
        target=requirement,
        project=requirement.project,
        after={"kpi": link.kpi.name, "expected_change": f"{link.expected_change:+}"},
        label=str(requirement),
    )
    return link


@transaction.atomic
def requirement_kpis_replace(
    *, requirement: Requirement, actor: Any, links: list[dict[str, Any]]
) -> list[RequirementKPI]:
    """Make the target KPIs exactly `links` ([{kpi, expected_change, note}])."""
    return _kpis_replace(requirement, actor, links)


def _kpis_replace(
    requirement: Requirement, actor: Any, links: list[dict[str, Any]]
) -> list[RequirementKPI]:
    kept, removed = _kpi_links_save(requirement, links, replace=True)
    activity_record(
        actor=actor,
        verb="requirement.kpis_changed",
        target=requirement,
        project=requirement.project,
        before={"kpis": [link.kpi.code for link in removed]},
        after={"kpis": [link.kpi.code for link in kept]},
        label=str(requirement),
    )
    return kept


@transaction.atomic
def requirement_kpi_unlink(*, link: RequirementKPI, actor: Any) -> None:
    requirement = link.requirement
    activity_record(
        actor=actor,
        verb="requirement.kpi_unlinked",
        target=requirement,
        project=requirement.project,
        before={"kpi": link.kpi.name, "expected_change": f"{link.expected_change:+}"},
        label=str(requirement),
    )
    link.delete()
