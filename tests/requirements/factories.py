"""Builders for the requirement backlog, through the real services (so numbers, ranks,
scores, KPI links, activity rows and events exist exactly as they do for a PM)."""

from __future__ import annotations

from typing import Any

import factory

from portal.models import Project
from requirements import services
from requirements.models import Requirement
from tests.projects.factories import ProjectFactory


class RequirementFactory(factory.django.DjangoModelFactory):
    """A requirement created by `requirement_create` at the bottom of the backlog (or the
    top: `position="top"`), by the project's owner unless `actor` is given. Any other field
    goes to the service, e.g. `kpi_links=[{"kpi": kpi, "expected_change": 5}]`."""

    class Meta:
        model = Requirement

    project = factory.SubFactory(ProjectFactory)
    actor = factory.LazyAttribute(lambda r: r.project.owner)
    title = factory.Sequence(lambda n: f"需求 {n + 1}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.requirement_create(**kwargs)


def make_requirement(project: Project, actor: Any = None, **fields: Any) -> Requirement:
    """A requirement created by `requirement_create`; the actor defaults to the project owner."""
    if actor:
        fields["actor"] = actor
    return RequirementFactory(project=project, **fields)


def triaged(project: Project, actor: Any = None, **fields: Any) -> Requirement:
    """A requirement already triaged (Must, P1 unless told otherwise)."""
    fields.setdefault("moscow", "must")
    fields.setdefault("priority", "P1")
    fields.setdefault("status", "triaged")
    return make_requirement(project, actor, **fields)


def backlog_keys(project: Project) -> list[str]:
    """The backlog as the PM sees it, top to bottom."""
    return [r.key for r in Requirement.objects.filter(project=project).select_related("project")]
