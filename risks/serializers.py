"""Translate risks to and from JSON. Rules live in the services."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.api.fields import StrictCharField, StrictModelSerializer
from portal.api.serializers import UserBriefSerializer
from portal.validators import validate_date_in_range
from projects.models import WorkItem
from projects.serializers import VisibleRelationsMixin
from requirements.models import Requirement

from .models import Level, Risk, RiskHistory, RiskReview


class RiskSerializer(VisibleRelationsMixin, StrictModelSerializer):
    visible_relations = {
        "project": "",
        "work_items": "project",
        "requirements": "project",
    }

    key = StrictCharField(read_only=True)
    score = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    overdue = serializers.SerializerMethodField()
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text=_("A project member's user id; defaults to the creator."),
    )
    owner_detail = UserBriefSerializer(source="owner", read_only=True)
    probability = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    work_items = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=WorkItem.objects.all(),
        help_text=_("Ids of the work items this risk threatens or that mitigate it."),
    )
    requirements = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Requirement.objects.all(),
        help_text=_("Ids of the backlog requirements this risk is tied to."),
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "key",
            "project",
            "number",
            "title",
            "description",
            "category",
            "regime",
            "probability",
            "impact",
            "score",
            "level",
            "owner",
            "owner_detail",
            "trigger",
            "mitigation_plan",
            "contingency_plan",
            "status",
            "next_review_date",
            "overdue",
            "work_items",
            "requirements",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "number", "created_at", "updated_at"]

    def get_overdue(self, risk) -> bool:
        return risk.is_overdue(risk.project.today())

    def validate(self, attrs):
        if (
            self.instance is not None
            and "project" in attrs
            and attrs["project"] != self.instance.project
        ):
            raise serializers.ValidationError(
                {"project": [_("A risk cannot move to another project.")]}
            )
        return attrs


class RiskHistorySerializer(StrictModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    score = serializers.SerializerMethodField()

    class Meta:
        model = RiskHistory
        fields = [
            "id",
            "field",
            "old_value",
            "new_value",
            "probability",
            "impact",
            "score",
            "status",
            "actor",
            "at",
            "note",
        ]
        read_only_fields = fields

    def get_score(self, entry) -> int:
        return entry.probability * entry.impact


class RiskReviewSerializer(StrictModelSerializer):
    reviewer = UserBriefSerializer(read_only=True, allow_null=True)
    next_review_date = serializers.DateField(required=False, validators=[validate_date_in_range])

    class Meta:
        model = RiskReview
        fields = ["id", "reviewer", "at", "note", "next_review_date"]
        read_only_fields = ["id", "reviewer", "at"]
