from django.contrib import admin

from kpis.models import KPI

from .models import DailyReport, ExchangeRate, KeyResult, Objective, ProjectSnapshot


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "date", "cny_per_unit"]
    list_filter = ["currency"]
    date_hierarchy = "date"


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "project", "unit", "currency", "target", "source"]
    list_filter = ["unit", "source", "project"]
    search_fields = ["name", "code"]


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0
    autocomplete_fields = ["kpi"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "period", "level", "department", "project", "owner"]
    list_filter = ["period", "level"]
    inlines = [KeyResultInline]


@admin.register(ProjectSnapshot)
class ProjectSnapshotAdmin(admin.ModelAdmin):
    list_display = ["project", "date", "throughput_7d", "cycle_p85_hours", "risk_exposure"]
    list_filter = ["project"]

    def has_add_permission(self, request):
        return False


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = ["project", "date", "created_at"]
    list_filter = ["project"]

    def has_add_permission(self, request):
        return False
