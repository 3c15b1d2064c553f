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

Generic on purpose: the floors (pyproject's import-linter contract) keep `portal` below
the apps, so the classes that know about projects live in the apps
(`projects/api_permissions.py`, `metrics/api_permissions.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.utils.functional import Promise
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

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
