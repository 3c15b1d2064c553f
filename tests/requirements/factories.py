"""Builders for the requirement backlog, through the real services (so numbers, ranks,
scores, activity rows and events exist exactly as they do for a PM)."""

from __future__ import annotations

import itertools
from typing import Any

from projects.models import Project
from requirements import services
from requirements.models import Requirement

_titles = itertools.count(1)


def make_requirement(project: Project, actor: Any = None, **fields: Any) -> Requirement:
    """A requirement created by `requirement_create`; the actor defaults to the project owner."""
    fields.setdefault("title", f"需求 {next(_titles)}")
    return services.requirement_create(project=project, actor=actor or project.owner, **fields)


def triaged(project: Project, actor: Any = None, **fields: Any) -> Requirement:
    """A requirement already triaged (Must, P1 unless told otherwise)."""
    fields.setdefault("moscow", "must")
    fields.setdefault("priority", "P1")
    fields.setdefault("status", "triaged")
    return make_requirement(project, actor, **fields)


def backlog_keys(project: Project) -> list[str]:
    """The backlog as the PM sees it, top to bottom."""
    return [r.key for r in Requirement.objects.filter(project=project).select_related("project")]
