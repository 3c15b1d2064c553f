"""REST endpoints for the risk register (DESIGN §5)."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.filters import BooleanFilter, PortalFilterSet
from portal.api.params import ProjectScopedMixin, project_param
from portal.api.permissions import owners_only
from portal.permissions import project_get_for_user
from portal.roles import Role

from . import services
from .models import Level, Risk
from .scoring import risk_level
from .selectors import (
    risk_change_log,
    risk_heatmap,
    risk_review_log,
    risks_by_overdue,
    risks_matching,
    risks_visible_to,
)
from .serializers import RiskHistorySerializer, RiskReviewSerializer, RiskSerializer


class RiskFilter(PortalFilterSet):
    level = django_filters.MultipleChoiceFilter(choices=Level.choices)
    overdue = BooleanFilter(method="filter_overdue")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Risk
        fields = ["project", "category", "status", "regime", "owner", "probability", "impact"]

    def filter_overdue(self, queryset, name, value):
        return risks_by_overdue(queryset, overdue=value)

    def filter_text(self, queryset, name, value):
        return risks_matching(queryset, text=value)


class RiskViewSet(ProjectScopedMixin, viewsets.ModelViewSet):
    """Risks of the caller's projects. Members write, viewers read, owners delete."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    edit_refusal = _("Viewers cannot change risks.")
    permission_classes = [
        *ProjectScopedMixin.permission_classes,
        owners_only(
            _("Only project owners can delete risks; close it instead."), methods={"DELETE"}
        ),
    ]
    project_required_upfront = False
    ordering_fields = ["score", "number", "next_review_date", "updated_at", "probability", "impact"]
    ordering = ["-score", "number"]

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return risks_visible_to(user=self.request.user)

    def perform_create(self, serializer):
        project = self.project_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("project")
        links = {k: data.pop(k) for k in ("work_items", "requirements") if k in data}
        with transaction.atomic():
            risk = services.risk_create(project=project, actor=self.request.user, **data)
            if links:
                services.risk_links_set(risk=risk, actor=self.request.user, **links)
        serializer.instance = risk

    def perform_update(self, serializer):
        risk = serializer.instance
        changes = dict(serializer.validated_data)
        changes.pop("project", None)
        links = {k: changes.pop(k) for k in ("work_items", "requirements") if k in changes}
        with transaction.atomic():
            updated = services.risk_update(risk=risk, actor=self.request.user, **changes)
            if links:
                services.risk_links_set(risk=updated, actor=self.request.user, **links)
                # Fresh, so the answer shows the links as they are now.
                updated = self.get_queryset().get(pk=risk.pk)
            else:
                # The links did not change: answer with the ones get_object() prefetched.
                updated._prefetched_objects_cache = getattr(risk, "_prefetched_objects_cache", {})
        serializer.instance = updated

    def perform_destroy(self, instance):
        services.risk_delete(risk=instance, actor=self.request.user)

    @extend_schema(responses=RiskHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every change of probability, impact, status or owner: who, when, from → to."""
        risk = self.get_object()
        page = self.paginate_queryset(risk_change_log(risk=risk))
        return self.get_paginated_response(RiskHistorySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=RiskReviewSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=RiskReviewSerializer, responses={201: RiskReviewSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def reviews(self, request, pk=None):
        """GET the review log; POST `{note, next_review_date?}` records a review."""
        risk = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(risk_review_log(risk=risk))
            return self.get_paginated_response(RiskReviewSerializer(page, many=True).data)
        serializer = RiskReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.risk_review(risk=risk, actor=request.user, **serializer.validated_data)
        return Response(RiskReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("project", int, required=True)],
        responses=OpenApiResponse(description="5×5 counts of open, mitigating and accepted risks"),
    )
    @action(detail=False, methods=["get"])
    def heatmap(self, request):
        """`?project=<id>`: counts per (probability, impact) cell, with each cell's level."""
        project_id = project_param(request)
        if project_id is None:
            raise ValidationError({"project": [_("This parameter is required.")]})
        project = project_get_for_user(request.user, pk=project_id, need=Role.VIEWER)
        grid = risk_heatmap(project=project)
        cells = [
            {
                "probability": 5 - row,
                "impact": col + 1,
                "count": count,
                "score": (5 - row) * (col + 1),
                "level": risk_level((5 - row) * (col + 1)),
            }
            for row, counts in enumerate(grid)
            for col, count in enumerate(counts)
        ]
        return Response(
            {"project": project.pk, "rows": grid, "cells": cells, "total": sum(map(sum, grid))}
        )
