"""REST endpoints for sprints, work items and retrospectives (DESIGN §5)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.filters import BooleanFilter, IdFilter, PortalFilterSet
from portal.api.params import ProjectScopedMixin, project_param
from portal.api.permissions import owners_only
from portal.errors import ApplicationError

from . import services
from .extensions import carry_extensions
from .models import Retrospective, Sprint, WorkItem
from .selectors.board import (
    board_column,
    board_work_item,
    sprint_burndown,
    work_items_matching,
    work_items_visible_to,
)
from .selectors.sprint import (
    retrospective_items,
    retrospectives_visible_to,
    sprints_visible_to,
)
from .serializers_board import (
    RetroItemSerializer,
    RetrospectiveSerializer,
    SprintCloseSerializer,
    SprintSerializer,
    WorkItemMoveSerializer,
    WorkItemSerializer,
)


class SprintFilter(PortalFilterSet):
    class Meta:
        model = Sprint
        fields = ["project", "state"]


class SprintViewSet(
    ProjectScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Sprints of the caller's projects. Members plan, start and close them."""

    serializer_class = SprintSerializer
    filterset_class = SprintFilter
    ordering_fields = ["start", "end"]
    ordering = ["start", "id"]

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return sprints_visible_to(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project")
        serializer.instance = services.sprint_create(
            project=self._project, actor=self.request.user, **data
        )

    def perform_update(self, serializer):
        sprint = serializer.instance
        changes = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        serializer.instance = services.sprint_update(
            sprint=sprint, actor=self.request.user, **changes
        )

    @extend_schema(request=None, responses=SprintSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start a planned sprint; its items become the committed scope."""
        sprint = self.get_object()
        sprint = services.sprint_start(sprint=sprint, actor=request.user)
        return Response(SprintSerializer(sprint).data)

    @extend_schema(request=SprintCloseSerializer, responses=SprintSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the running sprint; `carry_to` (a planned sprint) or the backlog gets the rest."""
        sprint = self.get_object()
        body = SprintCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        carry_to = body.validated_data.get("carry_to")
        if carry_to is not None and carry_to.project_id != sprint.project_id:
            raise ValidationError({"carry_to": [_("Choose a sprint of this project.")]})
        sprint = services.sprint_close(sprint=sprint, actor=request.user, carry_to=carry_to)
        return Response(SprintSerializer(sprint).data)

    @extend_schema(
        responses=OpenApiResponse(
            description="Daily series: day, remaining, scope, done, ideal, added, removed"
        )
    )
    @action(detail=True, methods=["get"])
    def burndown(self, request, pk=None):
        sprint = self.get_object()
        series = sprint_burndown(sprint=sprint)
        return Response(
            {
                "sprint": sprint.pk,
                "committed_points": sprint.committed_points,
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "remaining": d.remaining,
                        "scope": d.scope,
                        "done": d.done,
                        "ideal": d.ideal,
                        "added": d.added,
                        "removed": d.removed,
                    }
                    for d in series
                ],
            }
        )


class WorkItemFilter(PortalFilterSet):
    q = django_filters.CharFilter(method="filter_text")
    backlog = BooleanFilter(field_name="sprint", lookup_expr="isnull")

    class Meta:
        model = WorkItem
        fields = ["project", "sprint", "column", "assignee", "type", "priority", "blocked"]

    def filter_text(self, queryset, name, value):
        return work_items_matching(queryset, text=value)


class WorkItemViewSet(ProjectScopedMixin, viewsets.ModelViewSet):
    """Work items (`MALL-42`). Members create and change them; moves go through `move`."""

    serializer_class = WorkItemSerializer
    filterset_class = WorkItemFilter
    permission_classes = [
        *ProjectScopedMixin.permission_classes,
        owners_only(_("Only project owners delete work items."), methods={"DELETE"}),
    ]
    ordering_fields = ["rank", "number", "created_at", "updated_at", "priority", "story_points"]
    ordering = ["column__order", "rank", "id"]

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return work_items_visible_to(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project")
        serializer.instance = services.work_item_create(
            project=self._project, actor=self.request.user, **data
        )

    def perform_update(self, serializer):
        item = serializer.instance
        changes = {
            k: v for k, v in serializer.validated_data.items() if k not in ("project", "column")
        }
        serializer.instance = carry_extensions(
            item, services.work_item_update(item=item, actor=self.request.user, **changes)
        )

    def perform_destroy(self, instance):
        services.work_item_delete(item=instance, actor=self.request.user)

    @extend_schema(request=WorkItemMoveSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to `column`, at `rank`, or between `after` (card above) and `before` (card below)."""
        item = self.get_object()
        body = WorkItemMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        column = board_column(project=item.project, column_id=data["column"])
        if column is None:
            raise ValidationError({"column": [_("This column is not on this project's board.")]})
        neighbours = {}
        for name in ("before", "after"):
            if data.get(name) is not None:
                neighbour = board_work_item(project=item.project, item_id=data[name])
                if neighbour is None:
                    raise ValidationError({name: [_("This card is not on this project's board.")]})
                neighbours[name] = neighbour
        moved = services.work_item_move(
            item=item, column=column, actor=request.user, rank=data.get("rank"), **neighbours
        )
        return Response(WorkItemSerializer(carry_extensions(item, moved)).data)


class RetrospectiveFilter(PortalFilterSet):
    project = IdFilter(field_name="sprint__project")

    class Meta:
        model = Retrospective
        fields = ["sprint"]


class RetrospectiveViewSet(
    ProjectScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Retrospectives (one per closed sprint); add items under `/{id}/items/`.

    PUT and PATCH are accepted from members and answer the retrospective as it is: every
    field of its own is fixed (its sprint, when it was held), its content is its items."""

    ordering_fields = ["created_at", "id"]

    serializer_class = RetrospectiveSerializer
    filterset_class = RetrospectiveFilter
    project_lookup = "sprint__project"

    def perform_update(self, serializer):
        # Nothing the client sends is writable here, so there is nothing to save or record.
        pass

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return retrospectives_visible_to(user=self.request.user)

    @extend_schema(methods=["GET"], responses=RetroItemSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=RetroItemSerializer, responses={201: RetroItemSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def items(self, request, pk=None):
        retro = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(retrospective_items(retrospective=retro))
            return self.get_paginated_response(RetroItemSerializer(page, many=True).data)
        body = RetroItemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            item = services.retro_item_add(
                sprint=retro.sprint, actor=request.user, **body.validated_data
            )
        except ApplicationError:
            raise
        return Response(RetroItemSerializer(item).data, status=status.HTTP_201_CREATED)
