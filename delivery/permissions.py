"""Who may do what to releases and freeze windows (DESIGN §8, issue #15 "Roles").

Owners manage a release (create, edit, plan, scope, checklist, accept risks, approve a
hotfix, cancel, roll back, delete) and the project's freeze windows; members run the
rollout (advance stages, halt, push metrics); viewers read. Site-wide freeze windows are
staff's. Seeing a release at all is the selectors' business (404 for outsiders).
"""

from __future__ import annotations

from typing import Any

from portal.models import Project
from portal.permissions import can_admin, can_edit


def can_manage_releases(user: Any, project: Project) -> bool:
    """Owners (and staff) plan a project's releases; an archived project's stay as they are."""
    return can_admin(user, project) and not project.archived


def can_run_rollout(user: Any, project: Project) -> bool:
    """Owners and members start and pass stages, halt a rollout and push its metrics."""
    return can_edit(user, project)


def can_manage_freeze_windows(user: Any, project: Project | None) -> bool:
    """A project's freeze windows are its owners'; site-wide ones (`project` None) staff's."""
    if project is None:
        return bool(user.is_staff)
    return can_admin(user, project)
