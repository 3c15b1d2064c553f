"""REST endpoints for KPIs (+ points push) and OKRs (DESIGN §5)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from portal.api.params import AtomicWritesMixin, project_param
from portal.api.permissions import with_defaults
from portal.permissions import project_get_for_user

from . import services
from .api_permissions import (
    AddsObjective,
    ChangesKeyResults,
    ChangesKPI,
    ChangesObjective,
    ChecksIn,
)
from .selectors import (
    key_result_check_ins,
    key_result_list,
    kpi_list,
    kpi_points,
    objective_is_visible,
    objectives_with_key_results,
)
from .serializers import (
    CheckInSerializer,
    KeyResultSerializer,
    KPIDataPointSerializer,
    KPISerializer,
    ObjectiveSerializer,
)


def _project_of(request):
    raw = request.data.get("project") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, bool):  # JSON true is not project 1
            raise TypeError
        return project_get_for_user(request.user, pk=int(raw))
    except (TypeError, ValueError):
        raise ValidationError({"project": [_("A project id is a whole number.")]}) from None


class PointsInput(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)


class KPIViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    """KPIs: company-wide (staff change them) or per project (members change them)."""

    ordering_fields = ["name", "code", "created_at", "id"]

    serializer_class = KPISerializer
    filterset_fields = ["project", "code", "unit", "source"]
    permission_classes = with_defaults(ChangesKPI)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return kpi_list(user=None)
        project_param(self.request)
        return kpi_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        project = _project_of(request)
        self.check_object_permissions(request, project)  # None: a company KPI
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        kpi = services.kpi_create(actor=request.user, project=project, **data)
        return Response(
            self.get_serializer(kpi_list(user=request.user).get(pk=kpi.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_update(self, serializer):
        kpi = serializer.instance
        if (
            "project" in serializer.validated_data
            and serializer.validated_data["project"] != kpi.project
        ):
            raise ValidationError({"project": [_("A KPI cannot move to another project.")]})
        changes = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        services.kpi_update(kpi=kpi, actor=self.request.user, **changes)
        serializer.instance = kpi_list(user=self.request.user).get(pk=kpi.pk)

    def perform_destroy(self, instance):
        services.kpi_delete(kpi=instance, actor=self.request.user)

    @extend_schema(
        request=PointsInput(many=True),
        responses={
            200: KPIDataPointSerializer(many=True),
            400: OpenApiResponse(description="per-row errors"),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def points(self, request, pk=None):
        """GET the data points (newest first). POST a list of `{date, value}` to upsert by
        date; if any row is bad nothing is saved and `rows` maps each bad row's index to
        its field errors."""
        kpi = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(kpi_points(kpi=kpi))
            return self.get_paginated_response(KPIDataPointSerializer(page, many=True).data)
        points = services.kpi_points_upsert(kpi=kpi, actor=request.user, rows=request.data)
        return Response({"saved": len(points)}, status=status.HTTP_200_OK)


class ObjectiveViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    """Objectives with their key results, `progress` (0–1) and `status`."""

    ordering_fields = ["period", "title", "created_at", "id"]

    serializer_class = ObjectiveSerializer
    filterset_fields = ["period", "level", "project", "department"]
    permission_classes = with_defaults(AddsObjective, ChangesObjective)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return objectives_with_key_results(user=None)
        project_param(self.request)
        return objectives_with_key_results(user=self.request.user)

    def create(self, request, *args, **kwargs):
        project = _project_of(request)
        self.check_object_permissions(request, project)  # None: company or department
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        objective = services.objective_create(actor=request.user, project=project, **data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=objective.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_update(self, serializer):
        objective = serializer.instance
        changes = {k: v for k, v in serializer.validated_data.items() if k != "project"}
        services.objective_update(objective=objective, actor=self.request.user, **changes)
        serializer.instance = self.get_queryset().get(pk=objective.pk)

    def perform_destroy(self, instance):
        services.objective_delete(objective=instance, actor=self.request.user)


class KeyResultViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    """Key results: `current` is manual unless linked to a `kpi` (then it follows the KPI)."""

    ordering_fields = ["title", "created_at", "id"]

    serializer_class = KeyResultSerializer
    filterset_fields = ["objective", "kpi"]
    permission_classes = with_defaults(ChangesKeyResults)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return key_result_list(user=None)
        project_id = project_param(self.request)
        return key_result_list(user=self.request.user, project_id=project_id)

    def create(self, request, *args, **kwargs):
        # A hidden objective and a missing one look the same: 404.
        raw = request.data.get("objective") if hasattr(request.data, "get") else None
        try:
            if isinstance(raw, bool):  # JSON true is not objective 1
                raise TypeError
            objective_id = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(
                {"objective": [_("An objective id is a whole number.")]}
            ) from None
        if not objective_is_visible(user=request.user, objective_id=objective_id):
            raise NotFound(_("No such objective."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        objective = serializer.validated_data["objective"]
        self.check_object_permissions(self.request, objective)
        data = {k: v for k, v in serializer.validated_data.items() if k != "objective"}
        serializer.instance = services.key_result_create(
            objective=objective, actor=self.request.user, **data
        )

    def perform_update(self, serializer):
        kr = serializer.instance
        changes = {k: v for k, v in serializer.validated_data.items() if k != "objective"}
        serializer.instance = services.key_result_update(
            key_result=kr, actor=self.request.user, **changes
        )

    def perform_destroy(self, instance):
        services.key_result_delete(key_result=instance, actor=self.request.user)

    @extend_schema(methods=["GET"], responses=CheckInSerializer(many=True))
    @extend_schema(methods=["POST"], request=CheckInSerializer, responses={201: CheckInSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="check-ins",
        permission_classes=with_defaults(ChecksIn),
    )
    def check_ins(self, request, pk=None):
        kr = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(key_result_check_ins(key_result=kr))
            return self.get_paginated_response(CheckInSerializer(page, many=True).data)
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check_in = services.check_in_add(key_result=kr, actor=request.user, **body.validated_data)
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)
