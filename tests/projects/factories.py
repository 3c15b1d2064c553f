"""Factories for projects, memberships, sprints and work items.

Each one creates through the real service, as a person would: a project gets its owner's
membership, the default workflow columns in the owner's language, the phase row and the
activity row (`project_create`); a sprint and a card get their activity, a card its
number, rank and column history. `make_project` and `add_member` are the short forms the
suite uses; the board's short forms (`make_item`, `make_sprint`) are in board_factories.py.
"""

from __future__ import annotations

from datetime import timedelta

import factory

from portal import clock
from portal.models import Membership, Project
from portal.roles import Role
from projects import services
from projects.models import Sprint, WorkItem
from tests.portal.factories import UserFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project created by `project_create` (its owner is the actor)."""

    class Meta:
        model = Project

    owner = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"P{100 + n}")
    name = factory.LazyAttribute(lambda p: f"项目 {p.key}")

    @classmethod
    def _create(cls, model_class, *, owner, key, name, **kwargs):
        return services.project_create(actor=owner, key=key, name=name, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member added by `member_add`; the project's owner adds them unless `actor` is given."""

    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    actor = factory.LazyAttribute(lambda m: m.project.owner)

    @classmethod
    def _create(cls, model_class, *, project, user, role, actor):
        return services.member_add(project=project, user=user, role=role, actor=actor)


class SprintFactory(factory.django.DjangoModelFactory):
    """A planned sprint created by `sprint_create`: `weeks` long (2 unless told) from
    `start` (the project's today unless told), planned by the project's owner."""

    class Meta:
        model = Sprint

    class Params:
        weeks = 2

    project = factory.SubFactory(ProjectFactory)
    actor = factory.LazyAttribute(lambda s: s.project.owner)
    name = factory.Sequence(lambda n: f"Sprint {n + 1}")
    start = factory.LazyAttribute(lambda s: s.project.today())
    # The end date is the sprint's last day: 2 weeks from a Monday end on a Sunday.
    end = factory.LazyAttribute(lambda s: s.start + timedelta(weeks=s.weeks, days=-1))
    goal = ""

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.sprint_create(**kwargs)


class WorkItemFactory(factory.django.DjangoModelFactory):
    """A card created by `work_item_create` (by the project's owner unless `actor` is
    given), at the moment `when` if given; any other field goes to the service."""

    class Meta:
        model = WorkItem

    project = factory.SubFactory(ProjectFactory)
    actor = factory.LazyAttribute(lambda i: i.project.owner)
    title = factory.Sequence(lambda n: f"卡片 {n + 1}")
    when = None

    @classmethod
    def _create(cls, model_class, *, when=None, **kwargs):
        if when is None:
            return services.work_item_create(**kwargs)
        with clock.frozen_at(when):
            return services.work_item_create(**kwargs)


def make_project(*, owner=None, key=None, name=None, **kwargs) -> Project:
    """A project created through the real service (owner membership, columns, phase row,
    activity); `owner`, `key` and `name` are made up when not given."""
    given = {"owner": owner, "key": key, "name": name}
    return ProjectFactory(**{k: v for k, v in given.items() if v}, **kwargs)


def add_member(project, user=None, role=Role.MEMBER):
    """`user` (a new one unless given) joins `project` with `role`; returns the user."""
    return MembershipFactory(project=project, user=user or UserFactory(), role=role).user
