"""Who may see and change a project. Views, API permissions and selectors call these.

Rules: site staff see and change everything; members see their projects; owners
and members write; viewers read only; everyone else gets 404, never 403, so
project ids do not leak.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Membership, Project
from .refusals import NextStep, Refused
from .roles import Role, role_at_least


def role_for(user: Any, project: Project) -> str | None:
    """The user's role in the project (staff act as owners), or None."""
    if not user or not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.OWNER
    cached = getattr(project, "my_role", None)
    if cached is not None:
        return cached
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


def can_view(user: Any, project: Project) -> bool:
    return role_for(user, project) is not None


def can_edit(user: Any, project: Project) -> bool:
    """Owners and members change the project's work; viewers only read."""
    return role_at_least(role_for(user, project), Role.MEMBER) and not project.archived


def can_admin(user: Any, project: Project) -> bool:
    """Owners (and staff) change the project itself and its members."""
    return role_at_least(role_for(user, project), Role.OWNER)


def projects_visible_to(user: Any) -> QuerySet[Project]:
    """Projects the user may see, each annotated with `my_role`."""
    qs = Project.objects.all()
    if not user or not user.is_authenticated:
        return qs.none()
    my_role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    qs = qs.annotate(my_role=Subquery(my_role))
    if user.is_staff:
        return qs
    return qs.filter(memberships__user=user)


def memberships_of(user: Any) -> QuerySet:
    """(project key, role) of every project the user belongs to (the navigation asks this
    to link into a person's projects)."""
    return Membership.objects.filter(user=user).values_list("project__key", "role")


def project_refusal(
    user: Any,
    project: Project,
    *,
    need: str,
    reason: str | None = None,
    next_step: NextStep | None = None,
) -> Refused:
    """Why `user` may not do what needs `need` here, who may, and a way back."""
    if reason is None:
        if need == Role.OWNER:
            reason = _("Only the project's owners can do this.")
        elif project.archived:
            reason = _("This project is archived: its work can no longer be changed.")
        else:
            reason = _("Viewers can read this project but not change it.")
    owners = [
        m.user.label
        for m in Membership.objects.filter(project=project, role=Role.OWNER)
        .select_related("user")
        .order_by("user__username")
    ]
    detail = _("Its owners: %(names)s.") % {"names": ", ".join(owners)} if owners else ""
    back = NextStep(
        reverse("projects:detail", args=[project.key]),
        _("Back to %(project)s") % {"project": project.key},
    )
    return Refused(reason, next_steps=[next_step or back], detail=detail)


def project_get_for_user(
    user: Any,
    *,
    key: str | None = None,
    pk: Any = None,
    need: str = Role.VIEWER,
    refusal: str | None = None,
    next_step: NextStep | None = None,
) -> Project:
    """Authorising lookup (Zulip's access_*): 404 for outsiders, 403 for too small a role.

    The 403 (`Refused`) says who may do this: `refusal` when given, else a reason for the
    missing role; `next_step` is where to go instead (default: the project's overview).
    """
    qs = projects_visible_to(user).select_related("owner")
    try:
        project = qs.get(key=key) if key is not None else qs.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project") from None
    if user.is_staff:
        # my_role is projects_visible_to's annotation; it cannot be declared on the model,
        # as the django-stubs plugin then rejects that annotate() as a redefinition.
        project.my_role = Role.OWNER  # type: ignore[attr-defined]
    allowed = (need != Role.MEMBER or can_edit(user, project)) and (
        need != Role.OWNER or can_admin(user, project)
    )
    if not allowed:
        raise project_refusal(user, project, need=need, reason=refusal, next_step=next_step)
    return project
