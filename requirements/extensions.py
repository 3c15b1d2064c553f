"""What the apps above the backlog add to it, without the backlog knowing them.

An app above requirements registers, from its `AppConfig.ready()`, a template the backlog's
bulk bar includes (with `project` and `request` in the context): another thing to do with
the selected requirements (e.g. ship them in a release). The template posts to its own
app's URL and includes the checked `ids` as the bulk bar does.
"""

from __future__ import annotations

_BULK_ACTIONS: dict[str, str] = {}


def register_backlog_bulk_action(name: str, template: str) -> None:
    _BULK_ACTIONS[name] = template


def backlog_bulk_actions() -> list[str]:
    return list(_BULK_ACTIONS.values())
