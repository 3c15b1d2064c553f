from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Activity, SchedulerHeartbeat, User
from .signin import user_signin_unlock


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "display_name",
        "email",
        "department",
        "language",
        "is_staff",
        "is_active",
    ]
    list_filter = ["department", "language", "is_staff", "is_active"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Portal"), {"fields": ("display_name", "department", "language", "timezone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Portal"), {"fields": ("display_name", "email", "department", "language", "timezone")}),
    )
    actions = ["unlock_signin"]

    @admin.action(description=_("Unlock sign-in"), permissions=["change"])
    def unlock_signin(self, request, queryset):
        count = user_signin_unlock(users=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "Sign-in unlocked for %(count)d user.",
                "Sign-in unlocked for %(count)d users.",
                count,
            )
            % {"count": count},
        )


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, even for administrators."""

    list_display = ["at", "actor", "project", "verb", "target_label"]
    list_filter = ["verb", "project"]
    search_fields = ["target_label", "verb"]
    list_select_related = ["actor", "project"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SchedulerHeartbeat)
class SchedulerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at"]

    def has_add_permission(self, request):
        return False
