"""The `?project=` parameter every list endpoint accepts, checked in one place."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError

from .permissions import projects_visible_to


def project_param(request) -> int | None:
    """The `?project=` id, or None when absent. Not a number: 400 on `project`. A project
    the caller cannot see: 404, never an empty list that would confirm it exists."""
    raw = request.query_params.get("project")
    if raw in (None, ""):
        return None
    try:
        project_id = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({"project": [_("A project id is a whole number.")]}) from None
    if not projects_visible_to(request.user).filter(pk=project_id).exists():
        raise NotFound(_("No such project."))
    return project_id
