"""Translate releases, their stages and guards, and freeze windows to and from JSON.
Rules live in the services (`delivery/services`); these only read and bound the input."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kpis.models import KPI
from portal.api.fields import StrictBooleanField, StrictCharField, StrictModelSerializer
from portal.api.serializers import UserBriefSerializer
from portal.models import Project
from portal.permissions import projects_visible_to
from projects.models import WorkItem
from projects.serializers import VisibleRelationsMixin
from requirements.models import Requirement

from .models import (
    MAX_OBSERVE_MINUTES,
    MAX_STAGES,
    Check,
    CriticalPath,
    FreezeWindow,
    Release,
    RolloutStage,
    StageGuard,
    metric_validator,
)
from .selectors import current_stage, go_no_go
from .services import next_step

# A release ships at most this many work items and requirements (a bound on the body).
MAX_SCOPE = 1000


class StageGuardSerializer(StrictModelSerializer):
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=KPI.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A KPI of this project (or a company KPI); or give `metric`."),
    )
    metric = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=40,
        validators=[metric_validator],
        help_text=_("A metric the monitoring system pushes (error_rate, p99_ms, …)."),
    )
    threshold = serializers.DecimalField(max_digits=18, decimal_places=4)
    of_baseline = StrictBooleanField(required=False, default=False)

    class Meta:
        model = StageGuard
        fields = [
            "id",
            "stage",
            "kpi",
            "metric",
            "operator",
            "threshold",
            "of_baseline",
            "baseline",
        ]
        read_only_fields = ["id", "stage", "baseline"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # A KPI the caller cannot see reads as one that does not exist.
            visible = projects_visible_to(request.user).values("pk")
            fields["kpi"].queryset = KPI.objects.filter(
                Q(project__isnull=True) | Q(project__in=visible)
            )
        return fields


class RolloutStageSerializer(StrictModelSerializer):
    guards = StageGuardSerializer(many=True, read_only=True)

    class Meta:
        model = RolloutStage
        fields = [
            "id",
            "position",
            "percent",
            "observe_minutes",
            "state",
            "started_at",
            "started_by",
            "ended_at",
            "ended_by",
            "guards",
        ]
        read_only_fields = fields


class PlanStageSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=1, max_value=100)
    observe_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_OBSERVE_MINUTES, required=False
    )


class GoNoGoSerializer(serializers.Serializer):
    enforced = serializers.BooleanField(help_text=_("True when it touches a critical path."))
    ready = serializers.BooleanField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text=_("The checklist items not ticked yet.")
    )
    blocking_risks = serializers.ListField(child=serializers.CharField())
    risks_accepted = serializers.BooleanField()


class ReleaseSerializer(VisibleRelationsMixin, StrictModelSerializer):
    """A release with its stages, guards and go/no-go (null in lists: read the release).
    `plan` (write-only) sets the stages at creation."""

    visible_relations = {"project": ""}

    project_key = StrictCharField(source="project.key", read_only=True)
    critical_paths = serializers.ListField(
        child=serializers.ChoiceField(choices=CriticalPath.choices),
        required=False,
        max_length=len(CriticalPath.choices),
    )
    plan = PlanStageSerializer(
        many=True,
        write_only=True,
        required=False,
        max_length=MAX_STAGES,
        help_text=_("The stages at creation (default 1 → 5 → 20 → 50 → 100 %)."),
    )
    stages = RolloutStageSerializer(many=True, read_only=True)
    next_step = serializers.SerializerMethodField()
    work_items = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    requirements = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stopped_by = UserBriefSerializer(read_only=True, allow_null=True)
    go_no_go = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "project",
            "project_key",
            "version",
            "name",
            "description",
            "target_date",
            "state",
            "critical_paths",
            "hotfix",
            "hotfix_approved_by",
            "checklist",
            "risks_accepted_reason",
            "risks_accepted_by",
            "risks_accepted_at",
            "plan",
            "stages",
            "next_step",
            "work_items",
            "requirements",
            "stop_reason",
            "stopped_by",
            "stopped_at",
            "released_at",
            "created_by",
            "created_at",
            "updated_at",
            "go_no_go",
        ]
        # The service says "this project already has a release 2.3.0" on `version`.
        validators: list = []
        read_only_fields = [
            "id",
            "state",
            "hotfix_approved_by",
            "checklist",
            "risks_accepted_reason",
            "risks_accepted_by",
            "risks_accepted_at",
            "stop_reason",
            "stopped_at",
            "released_at",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_next_step(self, release) -> str | None:
        """What `advance` does now (`start:1`, `pass:3`); null once every stage passed."""
        if release.is_final:
            return None
        stage = current_stage(release.stages.all())
        return next_step(stage) if stage is not None else None

    @extend_schema_field(GoNoGoSerializer(allow_null=True))
    def get_go_no_go(self, release) -> dict[str, Any] | None:
        if self.context.get("summary"):
            return None  # a list would read the risks of every release, one by one
        gate = go_no_go(release=release)
        return {
            "enforced": gate.enforced,
            "ready": gate.ready,
            "missing": gate.missing,
            "blocking_risks": [risk.key for risk in gate.blocking_risks],
            "risks_accepted": gate.risks_accepted,
        }

    def validate(self, attrs):
        if self.instance is None:
            return attrs
        fixed = {
            "project": _("A release cannot move to another project."),
            "version": _("A release keeps its version; plan a new release instead."),
            "plan": _("Change the stages through the release's plan endpoint."),
        }
        errors = {
            name: [message]
            for name, message in fixed.items()
            if name in attrs and (name == "plan" or attrs[name] != getattr(self.instance, name))
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AdvanceSerializer(serializers.Serializer):
    step = StrictCharField(
        required=False,
        max_length=20,
        help_text=_("The step you saw (`next_step`): if someone moved on meanwhile, 400."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class ChecklistSerializer(serializers.Serializer):
    check = serializers.ChoiceField(choices=Check.choices)
    done = StrictBooleanField()


class PlanSerializer(serializers.Serializer):
    stages = PlanStageSerializer(many=True, max_length=MAX_STAGES)


class ScopeSerializer(VisibleRelationsMixin, serializers.Serializer):
    """What the release ships; a list given replaces the current one, one left out stays."""

    visible_relations = {"work_items": "project", "requirements": "project"}

    work_items = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=WorkItem.objects.all()
    )
    requirements = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Requirement.objects.all()
    )

    def to_internal_value(self, data):
        # Bound the lists before each id is looked up.
        errors = {
            name: [_("At most %(max)s at a time.") % {"max": MAX_SCOPE}]
            for name in ("work_items", "requirements")
            if hasattr(data, "get")
            and isinstance(data.get(name), list)
            and len(data[name]) > MAX_SCOPE
        }
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class MetricSerializer(serializers.Serializer):
    metric = StrictCharField(max_length=40, validators=[metric_validator])
    value = serializers.FloatField(min_value=-1e13, max_value=1e13)


class NotesSerializer(serializers.Serializer):
    release = serializers.IntegerField()
    version = serializers.CharField()
    language = serializers.CharField()
    markdown = serializers.CharField()


class OffsetDateTimeField(serializers.DateTimeField):
    """A date and time with its UTC offset: a bare time could mean any time zone."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such time (12:99): the parent says invalid
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            raise serializers.ValidationError(
                _("Give the time with its UTC offset, e.g. 2026-11-10T00:00:00+08:00.")
            )
        return super().to_internal_value(value)


class FreezeWindowSerializer(VisibleRelationsMixin, StrictModelSerializer):
    visible_relations = {"project": ""}

    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The project it freezes; none: site-wide (administrators only)."),
    )
    project_key = StrictCharField(
        source="project.key", read_only=True, default=None, allow_null=True
    )
    starts_at = OffsetDateTimeField()
    ends_at = OffsetDateTimeField()

    class Meta:
        model = FreezeWindow
        fields = [
            "id",
            "project",
            "project_key",
            "name",
            "starts_at",
            "ends_at",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]
