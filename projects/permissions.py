"""Who may see and change a project. Views, API permissions and selectors call these.

Rules: site staff see and change everything; members see their projects; owners
and members write; viewers read only; everyone else gets 404, never 403, so
project ids do not leak.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from portal.roles import Role, role_at_least

from .models import Membership, Project


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


def project_get_for_user(
    user: Any, *, key: str | None = None, pk: Any = None, need: str = Role.VIEWER
) -> Project:
    """Authorising lookup (Zulip's access_*): 404 for outsiders, 403 for too small a role."""
    qs = projects_visible_to(user).select_related("owner")
    try:
        project = qs.get(key=key) if key is not None else qs.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project") from None
    if user.is_staff:
        project.my_role = Role.OWNER
    if need == Role.MEMBER and not can_edit(user, project):
        raise PermissionDenied
    if need == Role.OWNER and not can_admin(user, project):
        raise PermissionDenied
    return project
