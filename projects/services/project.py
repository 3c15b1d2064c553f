"""Writes to projects and their memberships. One transaction per use case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record, changed_fields
from portal.errors import ApplicationError
from portal.models import Membership, PhaseChange, Project
from portal.roles import Role

from .columns import columns_create_default

User = get_user_model()

PROJECT_EDITABLE_FIELDS = {
    "sprint_min_weeks",
    "sprint_max_weeks",
    "name",
    "description",
    "phase",
    "health",
    "start_date",
    "target_date",
    "budget",
    "currency",
    "timezone",
    "language",
    "archived",
}


# full_clean(validate_constraints=False): Project.clean() and the field validators state
# every check constraint in words a person can act on; the database still enforces them.


@transaction.atomic
def project_create(
    *,
    actor: Any,
    key: str,
    name: str,
    description: str = "",
    phase: str = "discovery",
    health: str = "on_track",
    start_date: date | None = None,
    target_date: date | None = None,
    budget: Decimal | None = None,
    currency: str = "CNY",
    timezone_name: str = "Asia/Shanghai",
    language: str | None = None,
) -> Project:
    """Create a project; its creator becomes its owner and first member. Its content
    language defaults to the creator's, like its default columns."""
    if language is None:
        creators = getattr(actor, "language", "") or ""
        language = creators if creators in dict(settings.LANGUAGES) else ""
    project = Project(
        key=key.strip().upper(),
        name=name.strip(),
        description=description,
        owner=actor,
        phase=phase,
        health=health,
        start_date=start_date,
        target_date=target_date,
        budget=budget,
        currency=currency,
        timezone=timezone_name,
        language=language,
    )
    project.full_clean(exclude=["owner"], validate_constraints=False)
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        # Two people racing for the same key: the loser gets the same field error.
        raise ApplicationError(_("A project with this key already exists."), field="key") from None
    Membership.objects.create(project=project, user=actor, role=Role.OWNER)
    columns_create_default(project=project, language=getattr(actor, "language", "zh-hans"))
    PhaseChange.objects.create(
        project=project, from_phase="", to_phase=phase, changed_by=actor, at=clock.now()
    )
    activity_record(actor=actor, verb="project.created", target=project, project=project)
    return project


@transaction.atomic
def project_update(*, project: Project, actor: Any, **changes: Any) -> Project:
    """Change project fields; a phase change is kept in the phase history."""
    unknown = set(changes) - PROJECT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    project = Project.objects.select_for_update().get(pk=project.pk)
    old_phase = project.phase
    before, after = changed_fields(project, changes)
    if not after:
        return project
    project.full_clean(exclude=["owner"], validate_constraints=False)
    project.save()
    if "phase" in after:
        PhaseChange.objects.create(
            project=project,
            from_phase=old_phase,
            to_phase=project.phase,
            changed_by=actor,
            at=clock.now(),
        )
    verb = "project.updated"
    if set(after) == {"archived"}:
        verb = "project.archived" if project.archived else "project.unarchived"
    elif set(after) == {"phase"}:
        verb = "project.phase_changed"
    activity_record(
        actor=actor, verb=verb, target=project, project=project, before=before, after=after
    )
    return project


def _lock_membership(membership: Membership) -> Membership:
    """Lock the project row, then re-read the membership.

    Every change to a project's members takes the project lock first, so two owners
    demoting each other run one after the other (the second sees one owner left),
    and locks are always taken in the same order (no deadlock).
    """
    Project.objects.select_for_update().filter(pk=membership.project_id).first()
    return Membership.objects.select_related("user", "project").get(pk=membership.pk)


def _owner_count(project: Project) -> int:
    return Membership.objects.filter(project=project, role=Role.OWNER).count()


@transaction.atomic
def member_add(*, project: Project, user: Any, role: str, actor: Any) -> Membership:
    if role not in Role.values:
        raise ApplicationError(_("Unknown role “%(role)s”.") % {"role": role}, field="role")
    if not user.is_active:
        raise ApplicationError(_("This account is deactivated."), field="user")
    if Membership.objects.filter(project=project, user=user).exists():
        raise ApplicationError(
            _("%(user)s is already a member of this project.") % {"user": user.label},
            field="user",
        )
    membership = Membership.objects.create(project=project, user=user, role=role)
    activity_record(
        actor=actor,
        verb="member.added",
        target=membership,
        project=project,
        after={"user": user.label, "role": role},
        label=user.label,
    )
    return membership


@transaction.atomic
def member_change_role(*, membership: Membership, role: str, actor: Any) -> Membership:
    if role not in Role.values:
        raise ApplicationError(_("Unknown role “%(role)s”.") % {"role": role}, field="role")
    membership = _lock_membership(membership)
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and _owner_count(membership.project) <= 1:
        raise ApplicationError(
            _("A project needs at least one owner: make someone else owner first."), field="role"
        )
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    activity_record(
        actor=actor,
        verb="member.role_changed",
        target=membership,
        project=membership.project,
        before=before,
        after={"role": role},
        label=membership.user.label,
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: Any) -> None:
    membership = _lock_membership(membership)
    if membership.role == Role.OWNER and _owner_count(membership.project) <= 1:
        raise ApplicationError(
            _("A project needs at least one owner: make someone else owner first."), field="user"
        )
    activity_record(
        actor=actor,
        verb="member.removed",
        target=membership,
        project=membership.project,
        before={"user": membership.user.label, "role": membership.role},
        label=membership.user.label,
    )
    membership.delete()
