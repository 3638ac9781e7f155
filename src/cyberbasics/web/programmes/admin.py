from django.contrib import admin

from .models import AdvisorBranding, Programme, ProgrammeInvitation, ProgrammeRole


class RoleInline(admin.TabularInline):
    model = ProgrammeRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "time_zone", "created_at"]
    search_fields = ["name"]
    inlines = [RoleInline]


@admin.register(ProgrammeRole)
class ProgrammeRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "programme", "created_at"]
    list_filter = ["role", "programme"]
    search_fields = ["user__email", "programme__name"]
    autocomplete_fields = ["user", "programme"]


@admin.register(AdvisorBranding)
class AdvisorBrandingAdmin(admin.ModelAdmin):
    list_display = ["advisor", "name"]
    search_fields = ["advisor__email", "name"]
    exclude = ["logo_png"]  # uploaded (and checked) from the advisor's branding page


@admin.register(ProgrammeInvitation)
class ProgrammeInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "programme", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["programme"]
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request):
        return False  # made (with their e-mailed token) from the programme's Advisors page
