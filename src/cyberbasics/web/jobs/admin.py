"""The workers and the addresses being scanned, for the site admin to look at (read only:
the workers write these rows)."""

from django.contrib import admin

from .models import TargetLease, WorkerHeartbeat


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnly):
    list_display = ("worker_id", "host", "pid", "started_at", "last_seen")
    search_fields = ("worker_id", "host")


@admin.register(TargetLease)
class TargetLeaseAdmin(ReadOnly):
    list_display = ("address", "holder", "acquired_at", "expires_at")
    search_fields = ("address", "holder")
