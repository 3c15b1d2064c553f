"""REST endpoints for the requirement backlog (DESIGN §5)."""

from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.filters import BooleanFilter, IntegerFilter, PortalFilterSet
from portal.api.params import ProjectScopedMixin, project_param
from portal.api.permissions import RulePermission, owners_only, with_defaults
from portal.errors import ApplicationError
from portal.permissions import can_edit, project_get_for_user

from . import services
from .models import Department, Kano, MoSCoW, Priority, Requirement, Status
from .selectors import (
    kano_survey,
    kano_surveys,
    requirement_discussion,
    requirement_filter,
    requirement_kano_responses,
    requirement_visible_to,
    requirement_with_kpi_links,
    requirements_in_api_order,
    requirements_visible_to,
    with_kpi_links,
    work_item_progress,
)
from .serializers import (
    BulkUpdateSerializer,
    KanoResponseSerializer,
    ReorderSerializer,
    RequirementCommentSerializer,
    RequirementSerializer,
)


class RequirementFilter(PortalFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    moscow = django_filters.MultipleChoiceFilter(choices=MoSCoW.choices)
    kano = django_filters.MultipleChoiceFilter(choices=Kano.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    source_department = django_filters.MultipleChoiceFilter(choices=Department.choices)
    phase = IntegerFilter()
    tag = django_filters.CharFilter(method="filter_rest")
    q = django_filters.CharFilter(method="filter_rest")
    open = BooleanFilter(method="filter_rest")

    class Meta:
        model = Requirement
        fields = ["project"]

    def filter_rest(self, queryset, name, value):
        return requirement_filter(queryset, {name: value})


class AnswersKano(RulePermission):
    """A Kano answer: anyone who sees the requirement answers for themselves (viewers too)
    unless the project is archived; recording one collected outside the portal
    (`respondent_name`) changes the project's work (`can_edit`, the view's refusal)."""

    methods = frozenset({"POST"})

    def has_object_permission(self, request, view, obj) -> bool:
        if not self.applies(request, view):
            return True
        project = obj.project  # a requirement's
        if _on_behalf(request):
            self.message = view.edit_refusal
            return can_edit(request.user, project)
        self.message = _("This project is archived.")
        return not project.archived


def _on_behalf(request) -> bool:
    """Whether the answer names its respondent (as the serializer reads it: text, trimmed;
    anything else it refuses with a 400 of its own)."""
    name = request.data.get("respondent_name") if hasattr(request.data, "get") else None
    return isinstance(name, str) and bool(name.strip())


class RequirementViewSet(ProjectScopedMixin, viewsets.ModelViewSet):
    """Requirements of the caller's projects. Members write, viewers read, owners delete.

    `?ordering=` accepts rank (the backlog order, default), rice_score, wsjf_score,
    priority, created_at, updated_at and number (prefix `-` to reverse).
    """

    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter
    edit_refusal = _("Viewers cannot change requirements.")
    permission_classes = [
        *ProjectScopedMixin.permission_classes,
        owners_only(
            _("Only project owners delete requirements; reject it instead."), methods={"DELETE"}
        ),
    ]
    project_required_upfront = False
    # "priority" sorts P0 first through `PRIORITY_ORDER` below, not alphabetically.
    ordering_fields = [
        "rank",
        "rice_score",
        "wsjf_score",
        "priority",
        "created_at",
        "updated_at",
        "number",
    ]
    ordering = ["rank", "id"]

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return requirements_visible_to(user=self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            ordering = self.request.query_params.get("ordering", "")
            queryset = requirements_in_api_order(queryset, ordering=ordering)
        if self.action in ("list", "retrieve"):
            queryset = with_kpi_links(queryset)
        return queryset

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        ids = [r.pk for r in page]
        context = {
            **self.get_serializer_context(),
            "kano_surveys": kano_surveys(ids),
            "progress": work_item_progress(ids),
        }
        return self.get_paginated_response(
            RequirementSerializer(page, many=True, context=context).data
        )

    def perform_create(self, serializer):
        project = self.project_for_create(serializer)
        data = dict(serializer.validated_data)
        data.pop("project")
        links = data.pop("kpi_links", None)
        with _on_target_kpis():
            requirement = services.requirement_create(
                project=project,
                actor=self.request.user,
                kpi_links=[_link(link) for link in links or []],
                **data,
            )
        serializer.instance = requirement_with_kpi_links(pk=requirement.pk)

    def perform_update(self, serializer):
        requirement = serializer.instance
        changes = dict(serializer.validated_data)
        changes.pop("project", None)
        links = changes.pop("kpi_links", None)
        with _on_target_kpis():
            requirement = services.requirement_update(
                requirement=requirement,
                actor=self.request.user,
                kpi_links=None if links is None else [_link(link) for link in links],
                **changes,
            )
        serializer.instance = requirement_with_kpi_links(pk=requirement.pk)

    def perform_destroy(self, instance):
        services.requirement_delete(requirement=instance, actor=self.request.user)

    @extend_schema(methods=["GET"], responses=KanoResponseSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=KanoResponseSerializer, responses={201: KanoResponseSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="kano-responses",
        permission_classes=with_defaults(AnswersKano),
    )
    def kano_responses(self, request, pk=None):
        """GET the survey answers, with the verdict as `kano_survey`. POST
        `{functional, dysfunctional}` answers for yourself (again replaces your answer);
        project viewers may answer too. With `respondent_name` a member records an answer
        collected outside the portal."""
        requirement = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(requirement_kano_responses(requirement=requirement))
            response = self.get_paginated_response(KanoResponseSerializer(page, many=True).data)
            response.data["kano_survey"] = kano_survey(requirement)
            return response
        serializer = KanoResponseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.kano_response_record(
            requirement=requirement, actor=request.user, **serializer.validated_data
        )
        data = KanoResponseSerializer(answer).data
        data["kano_survey"] = kano_survey(requirement)
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=RequirementCommentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=RequirementCommentSerializer,
        responses={201: RequirementCommentSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        """GET the discussion, oldest first; POST `{body}` (Markdown) adds a comment."""
        requirement = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(requirement_discussion(requirement=requirement))
            return self.get_paginated_response(RequirementCommentSerializer(page, many=True).data)
        serializer = RequirementCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.requirement_comment_add(
            requirement=requirement, actor=request.user, body=serializer.validated_data["body"]
        )
        return Response(RequirementCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReorderSerializer,
        responses=OpenApiResponse(description="The new order of the requirements concerned"),
    )
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Move one requirement (`{requirement, after?, before?}`: below `after`, above
        `before`, neither: to the top) or set the order of several (`{project, ids}`: they
        keep the places they hold between them). Stale or foreign ids: 400, nothing moves."""
        serializer = ReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("ids") is not None:
            project = project_get_for_user(request.user, pk=data["project"])
            self.check_object_permissions(request, project)
            ordered = services.requirements_reorder(
                project=project, actor=request.user, ids=data["ids"]
            )
            return Response({"results": [{"id": r.pk, "rank": r.rank} for r in ordered]})
        requirement = self._visible(data["requirement"], "requirement")
        self.check_object_permissions(request, requirement)
        neighbours = {}
        for name in ("after", "before"):
            if data.get(name) is not None:
                neighbours[name] = self._visible(data[name], name)
        moved = services.requirement_move(requirement=requirement, actor=request.user, **neighbours)
        return Response({"results": [{"id": moved.pk, "rank": moved.rank}]})

    @extend_schema(
        request=BulkUpdateSerializer,
        responses=OpenApiResponse(description="The ids that changed"),
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """`{project, ids, changes}`: the same change (moscow, kano, priority, phase, status,
        rejection_reason, add_tags) to every listed requirement; all of them or none."""
        serializer = BulkUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = project_get_for_user(request.user, pk=data["project"])
        self.check_object_permissions(request, project)
        updated = services.requirements_bulk_update(
            project=project, actor=request.user, ids=data["ids"], changes=dict(data["changes"])
        )
        return Response({"updated": [r.pk for r in updated]})

    def _visible(self, pk: int, field: str) -> Requirement:
        project_param(self.request)  # as get_queryset: 400 / 404 for a bad or foreign ?project=
        found = requirement_visible_to(user=self.request.user, pk=pk)
        if found is None:
            raise ValidationError({field: [_("No such requirement.")]})
        return found


@contextmanager
def _on_target_kpis():
    """A KPI link's error belongs to `target_kpis`, the field the API client sent."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field in ("kpi", "expected_change"):
            raise ApplicationError(exc.message, field="target_kpis") from None
        raise


def _link(link: dict) -> dict:
    return {
        "kpi": link["kpi_id"],
        "expected_change": link["expected_change"],
        "note": link.get("note", ""),
    }
