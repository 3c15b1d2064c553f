"""The API's permission classes for releases and freeze windows: they call the rules of
`delivery/permissions.py`. Outsiders are answered 404 before these run (the querysets of
`delivery/selectors.py` and `project_get_for_user`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.api.permissions import WRITE_METHODS, project_rule, rule_permission

from .models import FreezeWindow
from .permissions import can_manage_freeze_windows, can_manage_releases, can_run_rollout

# The release endpoints only a project's owners may call (every write but the rollout's).
RELEASE_MANAGEMENT = {
    "create",
    "update",
    "partial_update",
    "destroy",
    "plan",
    "scope",
    "checklist",
    "accept_risks",
    "approve_hotfix",
    "cancel",
    "rollback",
    "guards",
}
# The rollout itself: members too.
ROLLOUT = {"advance", "halt", "metrics"}

ManagesReleases = project_rule(
    can_manage_releases,
    _("Only the project's owners manage its releases."),
    methods=WRITE_METHODS,
    actions=RELEASE_MANAGEMENT,
    name="ManagesReleases",
)
RunsRollout = project_rule(
    can_run_rollout,
    _("Viewers cannot move a rollout on or stop it."),
    methods={"POST"},
    actions=ROLLOUT,
    name="RunsRollout",
)


def _freeze_refusal(view, project) -> Any:
    if project is None:
        return _("Only administrators manage site-wide freeze windows.")
    return _("Only the project's owners manage its freeze windows.")


# A freeze window, or the project a new one is for (None: site-wide, staff's).
ManagesFreezeWindows = rule_permission(
    can_manage_freeze_windows,
    _freeze_refusal,
    target=lambda view, obj: obj.project if isinstance(obj, FreezeWindow) else obj,
    name="ManagesFreezeWindows",
)
