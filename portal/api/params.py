"""The project an API request is about, checked in one place: the `?project=` parameter
every list endpoint accepts, and the viewset mixin that authorises writes by project."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError

from portal.models import Project
from portal.permissions import project_get_for_user
from portal.selectors import project_is_visible

from .filters import MAX_ID
from .permissions import CanEditProjectWork, with_defaults


def project_param(request) -> int | None:
    """The `?project=` id, or None when absent. Not a number: 400 on `project`. A project
    the caller cannot see: 404, never an empty list that would confirm it exists."""
    raw = request.query_params.get("project")
    if raw is None:
        return None
    try:
        project_id = int(raw)
    except (TypeError, ValueError):
        project_id = None
    if project_id is None or not -MAX_ID <= project_id <= MAX_ID:
        raise ValidationError({"project": [_("A project id is a whole number.")]})
    if not project_is_visible(user=request.user, project_id=project_id):
        raise NotFound(_("No such project."))
    return project_id


class AtomicWritesMixin:
    """A viewset's create, update and delete run in one transaction together with building
    the answer: if anything fails after a service wrote (a second service, the response),
    nothing is kept, so a failed request never leaves a half-made row that later breaks a
    page. (Custom actions call one service each, atomic on its own; wrapping them too
    would only add a savepoint to every board move.)"""

    atomic_actions = ("create", "update", "partial_update", "destroy")

    def dispatch(self, request, *args, **kwargs):
        method = request.method.lower()
        action = getattr(self, "action_map", {}).get(method)
        if action in self.atomic_actions and hasattr(self, method):
            setattr(self, method, transaction.atomic(getattr(self, method)))
        return super().dispatch(request, *args, **kwargs)


class ProjectScopedMixin(AtomicWritesMixin):
    """Lists limited to the caller's projects (each viewset's `get_queryset` calls
    `project_param` and a `*_visible_to` selector); `?project=` of another project is a
    404; a create names its project and is authorised before the body is validated, so an
    id that exists elsewhere and one that does not look the same (404) to an outsider.

    Writes are declared, not checked by hand: `CanEditProjectWork` (members, in the view's
    `edit_refusal` words) judges every object `get_object()` fetches for a write (an update
    or a POST action, before its body is validated) and the project a create or a bulk
    action names, which the view hands to `check_object_permissions()`. A viewset that
    deletes adds who may (`owners_only`). Creates and updates are authorised in
    `initial()`, not in `create()`/`update()`: a mixin defining those would give a
    read-only viewset routes it cannot serve (PUT on a retrospective answered 500)."""

    project_lookup = "project"
    edit_refusal = _("Viewers cannot change this project's work.")
    permission_classes = with_defaults(CanEditProjectWork)
    # True: a create without `project` is refused before anything else is checked.
    # False: the serializer reports the missing project with the other field errors.
    project_required_upfront = True

    def get_object(self):
        # An update is authorised in initial() (its object permissions run in get_object),
        # before DRF's update() fetches it again: fetch and check it once.
        if getattr(self, "_object", None) is None:
            self._object = super().get_object()
        return self._object

    def project_of(self, obj) -> Project:
        """The project an object belongs to, along `project_lookup` (a retrospective's is
        `sprint__project`)."""
        for name in self.project_lookup.split("__"):
            obj = getattr(obj, name)
        return obj

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Authorise before validating (and before the write's transaction opens): a viewer
        # gets 403, never a list of field errors.
        if self.action in ("update", "partial_update"):
            self.get_object()
        elif self.action == "create":
            self._authorise_create(request)

    def _authorise_create(self, request) -> None:
        raw = request.data.get("project") if hasattr(request.data, "get") else None
        self._project = None
        if raw in (None, ""):
            if self.project_required_upfront:
                raise ValidationError({"project": [_("This field is required.")]})
            return
        try:
            if isinstance(raw, bool):  # JSON true is not project 1
                raise TypeError
            project_id = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"project": [_("A project id is a whole number.")]}) from None
        self._project = project_get_for_user(request.user, pk=project_id)
        self.check_object_permissions(request, self._project)

    def project_for_create(self, serializer):
        """The project authorised in create(), or the one the serializer resolved."""
        if self._project is not None:
            return self._project
        project = project_get_for_user(
            self.request.user, pk=serializer.validated_data["project"].pk
        )
        self.check_object_permissions(self.request, project)
        return project
