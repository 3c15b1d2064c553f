"""Translate requirements to and from JSON. Rules live in the services."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from portal.api.fields import StrictCharField, StrictModelSerializer
from portal.api.serializers import UserBriefSerializer
from portal.validators import MAX_BIGINT, validate_date_in_range
from projects.serializers import VisibleRelationsMixin

from .models import (
    Answer,
    Kano,
    KanoResponse,
    MoSCoW,
    Priority,
    Requirement,
    RequirementComment,
    RequirementKPI,
    Status,
)
from .scoring import RICE_IMPACTS


class KanoSurveySerializer(serializers.Serializer):
    category = StrictCharField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    better = serializers.FloatField(allow_null=True)
    worse = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField()


class TargetKPISerializer(StrictModelSerializer):
    kpi = serializers.IntegerField(source="kpi_id")
    code = StrictCharField(source="kpi.code", read_only=True)
    name = StrictCharField(source="kpi.name", read_only=True)
    unit = StrictCharField(source="kpi.unit", read_only=True)
    expected_change = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = RequirementKPI
        fields = ["kpi", "code", "name", "unit", "expected_change", "note"]


class RequirementSerializer(VisibleRelationsMixin, StrictModelSerializer):
    key = StrictCharField(read_only=True)
    tags = serializers.ListField(
        child=StrictCharField(max_length=30), required=False, max_length=12
    )
    # A plain decimal: the service answers "one of 0.25, 0.5, 1, 2 or 3" on the field.
    impact = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("RICE impact: 0.25, 0.5, 1, 2 or 3."),
    )
    effort = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=Decimal("0.01"),
        help_text=_("Person-weeks, more than 0."),
    )
    confidence = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    phase = serializers.IntegerField(min_value=1, max_value=99, required=False, allow_null=True)
    target_kpis = TargetKPISerializer(
        source="kpi_links",
        many=True,
        required=False,
        help_text=_("Writing replaces the whole list: [{kpi, expected_change, note}]."),
    )
    kano_survey = serializers.SerializerMethodField()
    work_items = serializers.SerializerMethodField()
    created_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "key",
            "project",
            "number",
            "title",
            "description",
            "source_department",
            "requester",
            "status",
            "rejection_reason",
            "moscow",
            "kano",
            "kano_survey",
            "priority",
            "phase",
            "tags",
            "target_date",
            "target_kpis",
            "reach",
            "impact",
            "confidence",
            "effort",
            "rice_score",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "wsjf_score",
            "rank",
            "work_items",
            "created_by",
            "created_at",
            "triaged_at",
            "done_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "rice_score",
            "wsjf_score",
            "rank",
            "created_at",
            "triaged_at",
            "done_at",
            "updated_at",
        ]

    def validate_impact(self, value):
        if value is not None and value not in RICE_IMPACTS:
            raise serializers.ValidationError(_("Impact is one of 0.25, 0.5, 1, 2 or 3."))
        return value

    @extend_schema_field(KanoSurveySerializer)
    def get_kano_survey(self, requirement) -> dict:
        from .selectors import kano_survey

        surveys = self.context.get("kano_surveys")
        if surveys is not None:
            from .scoring import kano_summary

            return surveys.get(requirement.pk) or kano_summary([])
        return kano_survey(requirement)

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_work_items(self, requirement) -> dict:
        """{done, total} of the work items created from it."""
        progress = self.context.get("progress")
        if progress is None:
            from .selectors import work_item_progress

            progress = work_item_progress([requirement.pk])
        done, total = progress.get(requirement.pk, (0, 0))
        return {"done": done, "total": total}

    def validate(self, attrs):
        if (
            self.instance is not None
            and "project" in attrs
            and attrs["project"] != self.instance.project
        ):
            raise serializers.ValidationError(
                {"project": [_("A requirement cannot move to another project.")]}
            )
        return attrs


class KanoResponseSerializer(StrictModelSerializer):
    functional = serializers.ChoiceField(choices=Answer.choices)
    dysfunctional = serializers.ChoiceField(choices=Answer.choices)
    respondent = UserBriefSerializer(read_only=True, allow_null=True)
    kano_class = StrictCharField(read_only=True)
    respondent_name = StrictCharField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text=_(
            "Only for answers collected outside the portal (interviews); "
            "leave out to answer for yourself."
        ),
    )

    class Meta:
        model = KanoResponse
        fields = [
            "id",
            "respondent",
            "respondent_name",
            "functional",
            "dysfunctional",
            "kano_class",
            "created_at",
        ]
        read_only_fields = ["id", "respondent", "kano_class", "created_at"]


class RequirementCommentSerializer(StrictModelSerializer):
    author = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RequirementComment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ReorderSerializer(serializers.Serializer):
    """Either move one requirement next to another, or give a list of ids in their new order."""

    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT)
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_BIGINT),
        required=False,
        max_length=1000,
        help_text=_("These requirements, in this order, in the places they hold between them."),
    )
    requirement = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT)
    after = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_BIGINT,
        help_text=_("The requirement it goes below."),
    )
    before = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_BIGINT,
        help_text=_("The requirement it goes above."),
    )

    def validate(self, attrs):
        if attrs.get("ids") is not None and attrs.get("requirement") is not None:
            raise serializers.ValidationError(
                {"ids": [_("Send either `ids` or `requirement`, not both.")]}
            )
        if attrs.get("ids") is None and attrs.get("requirement") is None:
            raise serializers.ValidationError(
                {"ids": [_("Send `ids` (a new order) or `requirement` with `after`/`before`.")]}
            )
        if attrs.get("ids") is not None and attrs.get("project") is None:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        return attrs


class BulkChangesSerializer(serializers.Serializer):
    """What a bulk edit may change, each value typed: `{"kano": null}` or an object where a
    string belongs is an error on that key, not a 500 from deep in the service."""

    moscow = serializers.ChoiceField(choices=MoSCoW.choices, allow_blank=True, required=False)
    kano = serializers.ChoiceField(choices=Kano.choices, allow_blank=True, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, allow_blank=True, required=False)
    phase = serializers.IntegerField(min_value=1, max_value=99, allow_null=True, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    rejection_reason = StrictCharField(max_length=500, allow_blank=True, required=False)
    tags = serializers.ListField(
        child=StrictCharField(max_length=30), max_length=12, required=False
    )
    add_tags = serializers.ListField(
        child=StrictCharField(max_length=30), max_length=12, required=False
    )
    target_date = serializers.DateField(
        allow_null=True, required=False, validators=[validate_date_in_range]
    )

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)  # not an object: its own error
        if set(data) - set(self.fields) or not attrs:
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        _("Choose what to change: MoSCoW, Kano, priority, phase, status or tags.")
                    ]
                }
            )
        return attrs


class BulkUpdateSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT)
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_BIGINT),
        min_length=1,
        max_length=500,
    )
    changes = BulkChangesSerializer(help_text=_("moscow, kano, priority, phase, status, add_tags"))
