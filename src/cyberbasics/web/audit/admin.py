from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the application and never edited."""

    list_display = ("at", "action", "actor_label", "business", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "business__name", "ip")
    date_hierarchy = "at"
    list_select_related = ("business",)
    readonly_fields = ("at", "actor", "actor_label", "action", "business", "detail", "ip")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
