"""Declared API permissions: DRF permission classes built from the rule functions in
`<app>/permissions.py` (CONVENTIONS, "Views, htmx, API").

A viewset or an `@action` declares what it needs (`permission_classes=with_defaults(...)`)
instead of checking by hand. The rule runs in `has_object_permission`: on the object
`get_object()` fetched, or, for one the URL does not name (the project a create names in
its body, the rows a bulk action moves), on the object the view hands to
`check_object_permissions()`. Whether the caller may see the object at all stays the
queryset's or the authorising lookup's business (404 for outsiders, never 403); these
classes only decide what someone who sees it may do, and answer 403 with the message
that says why.

The generic machinery comes first (`RulePermission`, `rule_permission`); then the classes
about a project, since the project and its rules (`portal/permissions.py`) are portal's.
An app's own rules build theirs in the app (`metrics/api_permissions.py`).

Outsiders never get here: querysets and `project_get_for_user` answer them 404 first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from portal.models import Project
from portal.notifications.models import Delivery
from portal.permissions import can_admin, can_edit

# The methods that change something; reads are the queryset's business.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# A rule of `<app>/permissions.py`: may `user` do it to `target`?
Rule = Callable[[Any, Any], bool]
# What a refused caller reads: a (lazily translated) string, or one chosen per target
# from `(view, target)` (a view's own wording, site-wide versus project objects).
Refusal = str | Promise | Callable[[Any, Any], Any]


def with_defaults(*classes: type[BasePermission]) -> list[Any]:
    """`DEFAULT_PERMISSION_CLASSES` (signed in: anonymous calls stay 401) and `classes`."""
    return [*api_settings.DEFAULT_PERMISSION_CLASSES, *classes]


class RulePermission(BasePermission):
    """Refuses a request (403 with `refusal`) unless `rule(user, target)` holds.

    It judges only the requests it `applies` to: HTTP `methods` (the writes by default)
    and, when given, the view's `actions`; everything else passes. `target` turns the
    object DRF checks into what the rule is about (a work item's project, a key result's
    objective); by default the object itself.
    """

    rule: Rule
    refusal: Refusal = ""
    methods: frozenset[str] = WRITE_METHODS
    actions: frozenset[str] | None = None

    def applies(self, request, view) -> bool:
        if request.method not in self.methods:
            return False
        return self.actions is None or getattr(view, "action", None) in self.actions

    def target(self, view, obj) -> Any:
        return obj

    def has_object_permission(self, request, view, obj) -> bool:
        if not self.applies(request, view):
            return True
        target = self.target(view, obj)
        if self.rule(request.user, target):
            return True
        # DRF reads `message` off this instance (a fresh one per check) when refusing.
        refusal = self.refusal
        self.message = refusal if isinstance(refusal, str | Promise) else refusal(view, target)
        return False


def rule_permission(
    rule: Rule,
    refusal: Refusal,
    *,
    methods: Collection[str] = WRITE_METHODS,
    actions: Collection[str] | None = None,
    target: Callable[[Any, Any], Any] | None = None,
    base: type[RulePermission] = RulePermission,
    name: str | None = None,
) -> type[RulePermission]:
    """A permission class that calls `rule` on the requests it applies to.

    `target(view, obj)` overrides the base's; `name` names the class (default: the rule's
    name in CamelCase), as tracebacks and reprs show it.
    """
    attrs: dict[str, Any] = {
        "rule": staticmethod(rule),
        # A function stays one (not a method of the class): it is called as (view, target).
        "refusal": refusal if isinstance(refusal, str | Promise) else staticmethod(refusal),
        "methods": frozenset(method.upper() for method in methods),
        "actions": None if actions is None else frozenset(actions),
        "__doc__": f"Requires `{rule.__module__}.{rule.__qualname__}`.",
    }
    if target is not None:
        attrs["target"] = lambda self, view, obj: target(view, obj)
    class_name = name or "".join(part.title() for part in rule.__name__.split("_"))
    return type(class_name, (base,), attrs)


# Project rules: `can_edit`, `can_admin` on the project an object belongs to.


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
