"""JSON for sprints, work items and retrospectives (DESIGN §5 names)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.fields import StrictCharField, StrictModelSerializer
from portal.api.serializers import UserBriefSerializer
from portal.validators import MAX_BIGINT

from .calculations import RANK_LIMIT
from .models import RetroItem, Retrospective, Sprint, WorkflowColumn, WorkItem


class ColumnSerializer(StrictModelSerializer):
    class Meta:
        model = WorkflowColumn
        fields = ["id", "name", "category", "wip_limit", "wip_enforced", "order"]
        read_only_fields = fields


class SprintSerializer(StrictModelSerializer):
    class Meta:
        model = Sprint
        fields = [
            "id",
            "project",
            "name",
            "goal",
            "start",
            "end",
            "state",
            "committed_points",
            "completed_points",
            "started_at",
            "closed_at",
            "report",
        ]
        read_only_fields = [
            "id",
            "state",
            "committed_points",
            "completed_points",
            "started_at",
            "closed_at",
            "report",
        ]

    def validate(self, attrs):
        if (
            self.instance is not None
            and "project" in attrs
            and attrs["project"] != self.instance.project
        ):
            raise serializers.ValidationError(
                {"project": [_("A sprint cannot move to another project.")]}
            )
        return attrs


class SprintCloseSerializer(serializers.Serializer):
    carry_to = serializers.PrimaryKeyRelatedField(
        queryset=Sprint.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "A planned sprint of the project for the unfinished items; null or absent: the backlog."
        ),
    )


class WorkItemSerializer(StrictModelSerializer):
    key = StrictCharField(read_only=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee_detail = UserBriefSerializer(source="assignee", read_only=True, allow_null=True)
    column = serializers.PrimaryKeyRelatedField(
        queryset=WorkflowColumn.objects.all(), required=False
    )
    sprint = serializers.PrimaryKeyRelatedField(
        queryset=Sprint.objects.all(), required=False, allow_null=True
    )
    # The requirement the item delivers: requirements owns that link and puts its id on the
    # work items the board's selectors read (projects.extensions); none on a new item.
    requirement = serializers.SerializerMethodField(label=_("requirement"))
    story_points = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    labels = serializers.ListField(
        child=StrictCharField(max_length=30), required=False, max_length=10
    )

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "key",
            "project",
            "number",
            "type",
            "title",
            "description",
            "column",
            "rank",
            "sprint",
            "assignee",
            "assignee_detail",
            "requirement",
            "story_points",
            "priority",
            "labels",
            "blocked",
            "blocked_reason",
            "due_date",
            "added_after_start",
            "created_at",
            "column_entered_at",
            "started_at",
            "done_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "rank",
            "requirement",
            "added_after_start",
            "created_at",
            "column_entered_at",
            "started_at",
            "done_at",
            "updated_at",
        ]

    @extend_schema_field({"type": "integer", "readOnly": True, "nullable": True})
    def get_requirement(self, item: WorkItem) -> int | None:
        return getattr(item, "requirement_id", None)

    def validate(self, attrs):
        if self.instance is not None:
            if "project" in attrs and attrs["project"] != self.instance.project:
                raise serializers.ValidationError(
                    {"project": [_("An item cannot move to another project.")]}
                )
            if "column" in attrs and attrs["column"] != self.instance.column:
                raise serializers.ValidationError(
                    {"column": [_("Use the move action to change columns.")]}
                )
        project = attrs.get("project") or getattr(self.instance, "project", None)
        column = attrs.get("column")
        if project is not None and column is not None and column.project_id != project.pk:
            raise serializers.ValidationError(
                {"column": [_("This column belongs to another project.")]}
            )
        if attrs.get("blocked") and not (
            attrs.get("blocked_reason") or getattr(self.instance, "blocked_reason", "")
        ):
            raise serializers.ValidationError({"blocked_reason": [_("Say what blocks this item.")]})
        return attrs


class WorkItemMoveSerializer(serializers.Serializer):
    column = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT)
    # Bounded so the column can always take a card below this one (see RANK_LIMIT).
    rank = serializers.IntegerField(required=False, min_value=-RANK_LIMIT, max_value=RANK_LIMIT)
    before = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_BIGINT,
        help_text=_("id of the card that will be below"),
    )
    after = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_BIGINT,
        help_text=_("id of the card that will be above"),
    )


class RetroItemSerializer(StrictModelSerializer):
    author = UserBriefSerializer(read_only=True, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = RetroItem
        fields = [
            "id",
            "kind",
            "text",
            "author",
            "owner",
            "due_date",
            "done",
            "work_item",
            "created_at",
        ]
        read_only_fields = ["id", "author", "work_item", "created_at", "done"]


class RetrospectiveSerializer(StrictModelSerializer):
    sprint_name = StrictCharField(source="sprint.name", read_only=True)
    project = serializers.IntegerField(source="sprint.project_id", read_only=True)
    items = RetroItemSerializer(many=True, read_only=True)

    class Meta:
        model = Retrospective
        fields = ["id", "sprint", "sprint_name", "project", "created_at", "items"]
        read_only_fields = fields
