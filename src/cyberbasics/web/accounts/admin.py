from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from cyberbasics.web.audit.services import record

from .models import LoginAttempt, User


class UserCreation(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserChange(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": forms.EmailField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts by e-mail address. The TOTP secret is never shown; "reset two-step sign-in"
    helps someone who lost their phone (they set it up again at the next sign-in)."""

    form = UserChange
    add_form = UserCreation
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "second_factor", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined", "totp_confirmed_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "language")}),
        (_("Two-step sign-in"), {"fields": ("totp_confirmed_at",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "name", "usable_password", "password1",
                                        "password2")}),)
    actions = ["reset_second_factor"]

    @admin.display(boolean=True, description=_("two-step sign-in"))
    def second_factor(self, obj):
        return obj.has_second_factor

    @admin.action(description=_("Reset two-step sign-in (lost phone)"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            record("two_factor.disabled", request=request, target=user.email, by_admin=True)
        count = queryset.update(totp_secret="", totp_confirmed_at=None)
        self.message_user(request, _("Two-step sign-in reset for %(count)d accounts.")
                          % {"count": count}, messages.SUCCESS)


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "email", "ip", "stage")
    search_fields = ("email", "ip")
    list_filter = ("stage",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
