"""Translate the portal's own records to JSON: people (as a brief) and the activity log.
No rules here: services hold them."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from portal.activity import describe
from portal.models import Activity

from .fields import StrictCharField, StrictModelSerializer


class UserBriefSerializer(StrictModelSerializer):
    label = StrictCharField(read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "label", "display_name", "department"]
        read_only_fields = fields


class ActivitySerializer(StrictModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    # Site-wide entries (company KPIs and objectives) belong to no project.
    project = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    project_key = StrictCharField(
        source="project.key", read_only=True, default=None, allow_null=True
    )
    text = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "at",
            "actor",
            "project",
            "project_key",
            "verb",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
            "text",
        ]
        read_only_fields = fields

    def get_text(self, obj) -> str:
        return describe(obj)
