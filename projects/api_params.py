"""The project an API request is about, checked in one place: the `?project=` parameter
every list endpoint accepts, and the viewset mixin that authorises writes by project."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from .permissions import can_edit, project_get_for_user, projects_visible_to


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


class ProjectScopedMixin:
    """Lists limited to the caller's projects; `?project=` of another project is a 404;
    a create names its project and is authorised before the body is validated, so an id
    that exists elsewhere and one that does not look the same (404) to an outsider."""

    project_lookup = "project"
    edit_refusal = _("Viewers cannot change this project's work.")
    # True: a create without `project` is refused before anything else is checked.
    # False: the serializer reports the missing project with the other field errors.
    project_required_upfront = True

    def _visible(self):
        return projects_visible_to(self.request.user)

    def scoped(self, qs):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return qs.filter(**{f"{self.project_lookup}__in": self._visible().values("pk")})

    def get_object(self):
        # update() authorises on the object before DRF fetches it again: fetch it once.
        if getattr(self, "_object", None) is None:
            self._object = super().get_object()
        return self._object

    def require_edit(self, project) -> None:
        # Asked more than once per write (before validation and when saving): ask once.
        allowed = self.__dict__.setdefault("_can_edit", {})
        if project.pk not in allowed:
            allowed[project.pk] = can_edit(self.request.user, project)
        if not allowed[project.pk]:
            raise PermissionDenied(self.edit_refusal)

    def update(self, request, *args, **kwargs):
        # Authorise before validating: a viewer gets 403, never a list of field errors.
        self.require_edit(self.get_object().project)
        return super().update(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        raw = request.data.get("project") if hasattr(request.data, "get") else None
        self._project = None
        if raw in (None, ""):
            if self.project_required_upfront:
                raise ValidationError({"project": [_("This field is required.")]})
        else:
            try:
                project_id = int(raw)
            except (TypeError, ValueError):
                raise ValidationError({"project": [_("A project id is a whole number.")]}) from None
            self._project = project_get_for_user(request.user, pk=project_id)
            self.require_edit(self._project)
        return super().create(request, *args, **kwargs)

    def project_for_create(self, serializer):
        """The project authorised in create(), or the one the serializer resolved."""
        project = self._project or project_get_for_user(
            self.request.user, pk=serializer.validated_data["project"].pk
        )
        self.require_edit(project)
        return project
