"""The API's permission classes for KPIs and OKRs: they call the rules of
`metrics/permissions.py` (`can_edit_kpi`, `can_edit_objective`).

Objects the caller cannot see are 404 before any of these run (`kpi_list`,
`objectives_visible_to`, `project_get_for_user`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.api.permissions import rule_permission

from .models import KeyResult
from .permissions import can_edit_kpi, can_edit_objective

# A KPI, or the project a new one is for (None: a company KPI, staff's).
ChangesKPI = rule_permission(can_edit_kpi, _("You cannot change this KPI."), name="ChangesKPI")


def _objective_refusal(view, project) -> Any:
    if project is None:
        return _("Only administrators add company and department objectives.")
    return _("Viewers cannot add objectives.")


# A new objective, judged on its project (None: company or department, staff's).
AddsObjective = rule_permission(
    can_edit_kpi, _objective_refusal, actions={"create"}, name="AddsObjective"
)
ChangesObjective = rule_permission(
    can_edit_objective,
    _("You cannot change this objective."),
    actions={"update", "partial_update", "destroy"},
    name="ChangesObjective",
)

# A key result, or the objective a new one is for: its objective's editors change it.
ChangesKeyResults = rule_permission(
    can_edit_objective,
    _("You cannot change this objective's key results."),
    target=lambda view, obj: obj.objective if isinstance(obj, KeyResult) else obj,
    name="ChangesKeyResults",
)


def can_check_in(user: Any, key_result: KeyResult) -> bool:
    """The objective's editors and the key result's own owner check in on it."""
    return can_edit_objective(user, key_result.objective) or key_result.owner_id == user.pk


ChecksIn = rule_permission(
    can_check_in,
    _("You cannot check in on this key result."),
    methods={"POST"},
    name="ChecksIn",
)
