"""What the apps above the board add to a work item, without the board knowing them.

The board stands below requirements (issue #14): a work item does not point at the
requirement it delivers, requirements owns that link. An app above registers, from its
`AppConfig.ready()`, how a work item read learns about it (a queryset annotation) and a
section of the card panel that shows it; the board's selectors and panel apply whatever is
registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class WorkItemExtension:
    name: str
    # Adds the registering app's attributes to a queryset of work items (a join or a
    # prefetch: the number of queries must not grow with the rows).
    annotate: Callable[[QuerySet], QuerySet] | None = None
    # The plain attributes `annotate` sets, carried over to a re-read item (a write
    # returns a fresh row; a work item's writes never change what another app links to it).
    attributes: tuple[str, ...] = ()
    # Included in the card panel's details with `item` and `project` in the context.
    panel_template: str = ""
    # Included in the card's meta line on the board (a small badge), same context.
    card_template: str = ""


_EXTENSIONS: dict[str, WorkItemExtension] = {}


def register_work_item_extension(extension: WorkItemExtension) -> None:
    _EXTENSIONS[extension.name] = extension


def with_extensions(qs: QuerySet) -> QuerySet:
    """`qs` with every registered app's attributes on its work items."""
    for extension in _EXTENSIONS.values():
        if extension.annotate is not None:
            qs = extension.annotate(qs)
    return qs


def carry_extensions(source: Any, target: Any) -> Any:
    """`target` (a fresh read of the same work item) with `source`'s registered attributes."""
    for extension in _EXTENSIONS.values():
        for name in extension.attributes:
            if hasattr(source, name):
                setattr(target, name, getattr(source, name))
    return target


def panel_templates() -> list[str]:
    return [e.panel_template for e in _EXTENSIONS.values() if e.panel_template]


def card_templates() -> list[str]:
    return [e.card_template for e in _EXTENSIONS.values() if e.card_template]
