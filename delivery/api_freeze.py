"""REST endpoints for freeze windows (封网, DESIGN §8): `/api/v1/freeze-windows/`.

Everyone signed in reads the site-wide windows, and a project's members and viewers read
its own; a project's owners set and remove its windows, administrators the site-wide
ones. Times are ISO 8601 with their UTC offset.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from portal.api.params import AtomicWritesMixin, project_param
from portal.api.permissions import with_defaults
from portal.permissions import project_get_for_user

from . import services
from .api_permissions import ManagesFreezeWindows
from .selectors import freeze_windows_visible_to
from .serializers import FreezeWindowSerializer


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "project",
                int,
                description="The windows that apply to this project: its own and site-wide.",
            )
        ]
    )
)
class FreezeWindowViewSet(
    AtomicWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Freeze windows: no rollout stage starts inside one except an approved hotfix."""

    serializer_class = FreezeWindowSerializer
    permission_classes = with_defaults(ManagesFreezeWindows)
    ordering_fields = ["starts_at", "ends_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        project_id = project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return freeze_windows_visible_to(user=self.request.user, project_id=project_id)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Authorise before validating: a member gets 403, never a list of field errors.
        if self.action == "create":
            self._authorise_create(request)

    def _authorise_create(self, request) -> None:
        raw = request.data.get("project") if hasattr(request.data, "get") else None
        self._project = None
        if raw not in (None, ""):
            try:
                if isinstance(raw, bool):  # JSON true is not project 1
                    raise TypeError
                project_id = int(raw)
            except (TypeError, ValueError):
                raise ValidationError({"project": [_("A project id is a whole number.")]}) from None
            self._project = project_get_for_user(request.user, pk=project_id)
        self.check_object_permissions(request, self._project)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.freeze_window_create(
            actor=self.request.user, project=self._project, **data
        )

    def perform_destroy(self, instance):
        services.freeze_window_delete(window=instance, actor=self.request.user)
