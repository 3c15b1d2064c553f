"""The site's navigation, assembled from what the apps register.

An entry appears only once its page exists, so the shell never links to a page
that is not built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from .permissions import memberships_of
from .roles import role_at_least


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: Promise | str
    url_name: str
    order: int
    staff_only: bool = False
    # For project tabs: the least role that sees the tab (e.g. Settings: owner).
    min_role: str = "viewer"


_SITE: list[NavEntry] = []
_PROJECT: list[NavEntry] = []


def register_site(entry: NavEntry) -> None:
    """A top-level destination (Projects, Dashboards, Settings…)."""
    if entry.key not in {e.key for e in _SITE}:
        _SITE.append(entry)
        _SITE.sort(key=lambda e: e.order)


def register_project_tab(entry: NavEntry) -> None:
    """A tab inside a project; its URL takes the project key (Backlog, Board, Risks…)."""
    if entry.key not in {e.key for e in _PROJECT}:
        _PROJECT.append(entry)
        _PROJECT.sort(key=lambda e: e.order)


def site_entries() -> list[NavEntry]:
    return list(_SITE)


def project_tabs() -> list[NavEntry]:
    return list(_PROJECT)


def project_tab_links(user: Any, tab_key: str) -> list[tuple[str, str]]:
    """(project key, url) of one project tab (e.g. "notifications") in every project
    where the user's role shows that tab, by project key."""
    tab = next((t for t in _PROJECT if t.key == tab_key), None)
    if tab is None:
        return []
    return [
        (key, reverse(tab.url_name, args=[key]))
        for key, role in sorted(memberships_of(user))
        if role_at_least(role, tab.min_role)
    ]
