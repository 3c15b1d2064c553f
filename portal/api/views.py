"""REST endpoints of the portal's own records: the activity feed (DESIGN §5)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from portal.models import Activity
from portal.selectors import activity_for_user

from .filters import IsoDateTimeFilter, PortalFilterSet
from .params import project_param
from .serializers import ActivitySerializer


class ActivityFilter(PortalFilterSet):
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["verb", "actor", "target_type", "target_id"]


class ActivityListView(generics.ListAPIView):
    """The activity log, newest first. `?project=<id>` narrows to one project."""

    ordering_fields = ["at", "id"]

    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter

    @extend_schema(parameters=[OpenApiParameter("project", int, description="project id")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return activity_for_user(user=None)
        project_id = project_param(self.request)
        return activity_for_user(user=self.request.user, project_id=project_id)
