"""The API's permission classes for project work: they call the rules of
`projects/permissions.py` (`can_edit`, `can_admin`) on the project an object belongs to.

Outsiders never get here: querysets and `project_get_for_user` answer them 404 first.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.api.permissions import WRITE_METHODS, Refusal, Rule, RulePermission, rule_permission
from portal.models import Project
from portal.notifications.models import Delivery
from portal.permissions import can_admin, can_edit


def project_of(view, obj) -> Project | None:
    """The project a permission is about: `obj` itself when it is a project (None: nothing
    of a project's, such as a site-wide channel), else the project the view says it belongs
    to (`view.project_of(obj)`, e.g. a retrospective's sprint's), else `obj.project`."""
    if obj is None or isinstance(obj, Project):
        return obj
    resolve = getattr(view, "project_of", None)
    return resolve(obj) if resolve is not None else obj.project


class ProjectRulePermission(RulePermission):
    """A rule about the project of the object checked."""

    def target(self, view, obj) -> Project | None:
        return project_of(view, obj)


def project_rule(
    rule: Rule,
    refusal: Refusal,
    *,
    methods: Collection[str] = WRITE_METHODS,
    actions: Collection[str] | None = None,
    name: str | None = None,
) -> type[RulePermission]:
    """A permission class calling `rule(user, project)` on the checked object's project."""
    return rule_permission(
        rule, refusal, methods=methods, actions=actions, base=ProjectRulePermission, name=name
    )


def owners_only(
    refusal: Refusal,
    *,
    methods: Collection[str] = WRITE_METHODS,
    actions: Collection[str] | None = None,
) -> type[RulePermission]:
    """Only the project's owners (and staff) may: `can_admin`."""
    return project_rule(
        can_admin, refusal, methods=methods, actions=actions, name="ProjectOwnersOnly"
    )


# Members change a project's work, viewers only read, nobody changes an archived project's
# (`can_edit`). The refusal is the view's `edit_refusal`, in its own words. Deletes are not
# covered: each viewset that deletes declares who may (owners, `owners_only`).
CanEditProjectWork = project_rule(
    can_edit,
    lambda view, project: view.edit_refusal,
    methods={"POST", "PUT", "PATCH"},
    name="CanEditProjectWork",
)


def can_manage_notifications(user: Any, project: Project | None) -> bool:
    """A project's channels and subscriptions are its owners' (`can_admin`); site-wide
    ones (`project` None) are staff's."""
    if project is None:
        return bool(user.is_staff)
    return can_admin(user, project)


class ManagesNotifications(ProjectRulePermission):
    """Writes to notification channels, subscriptions and deliveries: `can_manage_notifications`
    on their project (a delivery without one goes by its channel's)."""

    rule = staticmethod(can_manage_notifications)

    def target(self, view, obj) -> Project | None:
        if isinstance(obj, Delivery):
            return obj.project or obj.channel.project
        return project_of(view, obj)

    def refusal(self, view, project) -> Any:
        if project is None:
            return _("Only administrators manage site-wide channels.")
        return _("Only the project's owners manage its notifications.")
