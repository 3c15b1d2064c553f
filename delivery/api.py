"""REST endpoints for releases and their gray rollout (DESIGN §8).

`/api/v1/releases/`: owners create, edit (planning fields), plan, scope, tick the
checklist, accept risks, approve a hotfix, cancel, roll back and delete (while planned);
members advance stages, halt and push stage metrics; viewers read. Freeze windows are in
`delivery/api_freeze.py`.
"""

from __future__ import annotations

import django_filters
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from portal.api.filters import PortalFilterSet
from portal.api.params import ProjectScopedMixin, project_param

from . import services
from .api_permissions import ManagesReleases, RunsRollout
from .models import Release, ReleaseState
from .notes import NOTE_LANGUAGES, release_notes
from .selectors import release_notes_content, release_visible_to, releases_visible_to
from .serializers import (
    AdvanceSerializer,
    ChecklistSerializer,
    MetricSerializer,
    NotesSerializer,
    PlanSerializer,
    ReasonSerializer,
    ReleaseSerializer,
    RolloutStageSerializer,
    ScopeSerializer,
    StageGuardSerializer,
)


class ReleaseFilter(PortalFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ReleaseState.choices)

    class Meta:
        model = Release
        fields = ["project"]


class ReleaseViewSet(ProjectScopedMixin, viewsets.ModelViewSet):
    """Releases of the caller's projects, each with its stages, guards and go/no-go."""

    filterset_class = ReleaseFilter
    edit_refusal = _("Viewers cannot change releases.")
    permission_classes = [*ProjectScopedMixin.permission_classes, ManagesReleases, RunsRollout]
    # Planning fields change by PATCH; the rest through the actions below.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["created_at", "target_date", "version"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        project_param(self.request)  # 400 / 404 for a bad or foreign ?project=
        return releases_visible_to(user=self.request.user)

    serializer_class = ReleaseSerializer

    def get_serializer_context(self):
        # A list leaves go/no-go out (null): it reads risks release by release.
        return {**super().get_serializer_context(), "summary": self.action == "list"}

    def _answer(self, release: Release, code: int = status.HTTP_200_OK) -> Response:
        """The release as it is now, read as the detail reads it."""
        fresh = release_visible_to(user=self.request.user, pk=release.pk)
        context = self.get_serializer_context()
        return Response(ReleaseSerializer(fresh, context=context).data, status=code)

    def _act(self, service, body_class=None, **fixed):
        """An action on one release: the body read by `body_class` (if any) and `fixed`
        passed to `service` with the release and the caller; the answer is the release."""
        release = self.get_object()
        values = dict(fixed)
        if body_class is not None:
            body = body_class(data=self.request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            values.update(body.validated_data)
        return self._answer(service(release=release, actor=self.request.user, **values))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project")
        plan = data.pop("plan", None)
        release = services.release_create(
            project=self._project, actor=self.request.user, stages=plan, **data
        )
        serializer.instance = release_visible_to(user=self.request.user, pk=release.pk)

    def perform_update(self, serializer):
        changes = {
            k: v
            for k, v in serializer.validated_data.items()
            if k not in ("project", "version", "plan")
        }
        release = services.release_update(
            release=serializer.instance, actor=self.request.user, **changes
        )
        serializer.instance = release_visible_to(user=self.request.user, pk=release.pk)

    def perform_destroy(self, instance):
        services.release_delete(release=instance, actor=self.request.user)

    # ------------------------------------------------------------ the rollout (members)

    @extend_schema(request=AdvanceSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """One step: pass the running stage or start the next. `step` (optional) is the
        `next_step` you saw; if someone moved the rollout on meanwhile, 400 and nothing."""
        return self._act(services.release_advance, AdvanceSerializer, step=None)

    @extend_schema(request=ReasonSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def halt(self, request, pk=None):
        """Stop the rollout in gray (the big red button), saying why."""
        return self._act(services.release_halt, ReasonSerializer)

    @extend_schema(request=MetricSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def metrics(self, request, pk=None):
        """The monitoring system pushes `{metric, value}` for the running stage; a breached
        guard halts the rollout at once and the answer is the halted release."""
        release = self.get_object()
        body = MetricSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        release = services.stage_metric_record(
            release=release,
            metric=body.validated_data["metric"],
            value=body.validated_data["value"],
        )
        return self._answer(release)

    # ------------------------------------------------------------ planning (owners)

    @extend_schema(request=ReasonSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        """Take a release that went out back; who, when and why are kept."""
        return self._act(services.release_rollback, ReasonSerializer)

    @extend_schema(request=PlanSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        """Replace the stages (`{stages: [{percent, observe_minutes}]}`) until one starts."""
        return self._act(services.release_plan_set, PlanSerializer)

    @extend_schema(request=ScopeSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def scope(self, request, pk=None):
        """What it ships: `{work_items: [ids], requirements: [ids]}` of its own project; a
        list given replaces the current one, one left out stays as it is."""
        return self._act(services.release_scope_set, ScopeSerializer)

    @extend_schema(request=ChecklistSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        """Tick (`done: true`) or untick one go/no-go item."""
        return self._act(services.release_check, ChecklistSerializer)

    @extend_schema(request=ReasonSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"], url_path="accept-risks")
    def accept_risks(self, request, pk=None):
        """Go on despite open high or critical risks, for a recorded reason."""
        return self._act(services.release_accept_risks, ReasonSerializer)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"], url_path="approve-hotfix")
    def approve_hotfix(self, request, pk=None):
        """Let this hotfix start stages inside a freeze window; the approver is kept."""
        return self._act(services.release_hotfix_approve)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a release that has not gone out."""
        return self._act(services.release_cancel)

    # ------------------------------------------------------------ reads

    @extend_schema(responses=RolloutStageSerializer(many=True))
    @action(detail=True, methods=["get"])
    def stages(self, request, pk=None):
        """The stages in order, each with its state, times and guards."""
        release = self.get_object()
        page = self.paginate_queryset(release.stages.all())
        return self.get_paginated_response(RolloutStageSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=StageGuardSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=StageGuardSerializer, responses={201: StageGuardSerializer}
    )
    @action(detail=True, methods=["get", "post"], url_path=r"stages/(?P<stage_id>\d+)/guards")
    def guards(self, request, pk=None, stage_id=None):
        """GET a stage's guards; POST `{kpi | metric, operator, threshold, of_baseline}`
        adds one (owners) to a stage still to run or running."""
        release = self.get_object()
        stage = next((s for s in release.stages.all() if s.pk == int(stage_id)), None)
        if stage is None:
            raise NotFound(_("No such stage in this release."))
        if request.method == "GET":
            page = self.paginate_queryset(stage.guards.all())
            return self.get_paginated_response(StageGuardSerializer(page, many=True).data)
        body = StageGuardSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        guard = services.stage_guard_add(stage=stage, actor=request.user, **body.validated_data)
        return Response(StageGuardSerializer(guard).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("language", str, enum=list(NOTE_LANGUAGES))],
        responses=NotesSerializer,
    )
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        """Release notes in Markdown from its requirements and work items (`?language=`
        zh-hans or en; default: the request's language)."""
        release = self.get_object()
        # Asked for: it must be one of the two; not asked: the request's language.
        language = request.query_params.get("language", translation.get_language())
        if language not in NOTE_LANGUAGES:
            raise ValidationError({"language": [_("Release notes are written in zh-hans or en.")]})
        requirements, work_items = release_notes_content(release=release)
        markdown = release_notes(
            release=release, requirements=requirements, work_items=work_items, language=language
        )
        return Response(
            {
                "release": release.pk,
                "version": release.version,
                "language": language,
                "markdown": markdown,
            }
        )
