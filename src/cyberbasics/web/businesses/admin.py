"""Site admins' view of businesses, their people, domains and advisors. Tokens and token
hashes are shown read-only; the consent texts stay as recorded."""

from django.contrib import admin

from .models import AdvisorAccess, Business, Domain, Invitation, MagicLink, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["name", "verified_at", "verified_by", "last_checked_at"]
    readonly_fields = ["verified_at", "verified_by", "last_checked_at"]


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "programme", "created_at"]
    list_filter = ["country", "programme"]
    search_fields = ["name", "domains__name"]
    inlines = [MembershipInline, DomainInline]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "verified_at", "verified_by", "last_checked_at"]
    list_filter = ["verified_by"]
    search_fields = ["name", "business__name"]
    readonly_fields = ["token", "created_at", "last_checked_at", "last_check_error"]
    autocomplete_fields = ["business"]


@admin.register(AdvisorAccess)
class AdvisorAccessAdmin(admin.ModelAdmin):
    list_display = ["advisor", "business", "granted_at", "revoked_at"]
    search_fields = ["advisor__email", "business__name"]
    autocomplete_fields = ["advisor", "business", "granted_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "kind", "business", "created_at", "expires_at", "accepted_at"]
    list_filter = ["kind"]
    search_fields = ["email", "business__name"]
    readonly_fields = ["token_hash"]


@admin.register(MagicLink)
class MagicLinkAdmin(admin.ModelAdmin):
    list_display = ["business", "email", "created_at", "expires_at", "revoked_at"]
    search_fields = ["email", "business__name"]
    readonly_fields = ["token_hash", "last_used_at"]
