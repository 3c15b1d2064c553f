"""JSON for KPIs, data points and OKRs; computed fields are read-only."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kpis.models import KPI, KPIDataPoint
from portal.api.fields import StrictModelSerializer
from portal.api.serializers import UserBriefSerializer

from .models import CheckIn, KeyResult, Objective


class KPISerializer(StrictModelSerializer):
    latest_value = serializers.DecimalField(
        max_digits=18, decimal_places=4, read_only=True, allow_null=True
    )
    latest_date = serializers.DateField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = KPI
        fields = [
            "id",
            "name",
            "code",
            "description",
            "unit",
            "currency",
            "direction",
            "target",
            "project",
            "source",
            "latest_value",
            "latest_date",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        # The service checks the code per scope and names the `code` field.
        validators = []

    def get_status(self, kpi) -> str | None:
        from .calculations import kpi_status

        return kpi_status(getattr(kpi, "latest_value", None), kpi.target, kpi.direction)


class KPIDataPointSerializer(StrictModelSerializer):
    class Meta:
        model = KPIDataPoint
        fields = ["date", "value", "currency", "updated_at"]
        read_only_fields = fields


class KeyResultSerializer(StrictModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=KPI.objects.all(), required=False, allow_null=True
    )
    current = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True
    )
    progress = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    current_value = serializers.SerializerMethodField()

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "start",
            "target",
            "current",
            "current_value",
            "kpi",
            "unit",
            "weight",
            "owner",
            "progress",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def _ensure(self, kr):
        if not hasattr(kr, "progress"):
            from .selectors import key_result_with_progress

            key_result_with_progress(kr)
        return kr

    def get_progress(self, kr) -> float:
        return float(self._ensure(kr).progress)

    def get_status(self, kr) -> str:
        return self._ensure(kr).status

    def get_current_value(self, kr) -> str | None:
        value = self._ensure(kr).current_value
        return None if value is None else str(value)


class ObjectiveSerializer(StrictModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    owner_detail = UserBriefSerializer(source="owner", read_only=True)
    key_results = KeyResultSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "title",
            "description",
            "period",
            "level",
            "department",
            "project",
            "owner",
            "owner_detail",
            "progress",
            "status",
            "key_results",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def _ensure(self, objective):
        if not hasattr(objective, "progress"):
            from portal import clock

            from .selectors import annotate_objective

            annotate_objective(objective, clock.now().date())
        return objective

    def get_progress(self, objective) -> float:
        return float(self._ensure(objective).progress)

    def get_status(self, objective) -> str | None:
        return self._ensure(objective).status


class CheckInSerializer(StrictModelSerializer):
    author = UserBriefSerializer(read_only=True, allow_null=True)
    confidence = serializers.IntegerField(min_value=1, max_value=10)

    class Meta:
        model = CheckIn
        fields = ["id", "value", "confidence", "note", "author", "at"]
        read_only_fields = ["id", "author", "at"]
