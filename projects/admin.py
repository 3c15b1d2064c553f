from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from portal.errors import ApplicationError
from portal.models import Membership, PhaseChange, Project

from . import services


class MembershipInline(admin.TabularInline):
    """Read-only here: members are managed on the project's settings page (staff may open
    any project's), which goes through the services and keeps the activity log."""

    model = Membership
    extra = 0
    readonly_fields = ["user", "role", "joined_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PhaseChangeInline(admin.TabularInline):
    model = PhaseChange
    extra = 0
    readonly_fields = ["from_phase", "to_phase", "changed_by", "at", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Admins fix membership here; edits go through the services so history is kept."""

    list_display = ["key", "name", "phase", "health", "owner", "target_date", "archived"]
    list_filter = ["phase", "health", "archived", "currency"]
    search_fields = ["key", "name"]
    list_select_related = ["owner"]
    inlines = [MembershipInline, PhaseChangeInline]
    autocomplete_fields = ["owner"]

    def get_readonly_fields(self, request, obj=None):
        return ["key", "owner", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            try:
                created = services.project_create(
                    actor=request.user,
                    key=obj.key,
                    name=obj.name,
                    description=obj.description,
                    phase=obj.phase,
                    health=obj.health,
                    start_date=obj.start_date,
                    target_date=obj.target_date,
                    budget=obj.budget,
                    currency=obj.currency,
                    timezone_name=obj.timezone,
                )
            except (ApplicationError, ValidationError) as exc:
                messages.error(request, str(exc))
                return
            obj.pk = created.pk
            return
        changes = {
            f: form.cleaned_data[f]
            for f in form.changed_data
            if f in services.PROJECT_EDITABLE_FIELDS
        }
        services.project_update(
            project=Project.objects.get(pk=obj.pk), actor=request.user, **changes
        )
