"""Programmes (a police force, a council, a competence centre) and the people who run them:
operators, who see the programme's businesses and statistics, and advisors, who help
businesses with their consent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ProgrammeRole(models.Model):
    class Role(models.TextChoices):
        OPERATOR = "operator", _("programme operator")
        ADVISOR = "advisor", _("advisor")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="programme_roles")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "user", "role"],
                                               name="one_role_per_programme")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.programme}"


class AdvisorBranding(models.Model):
    """What an advisor's reports carry: a name and a small PNG logo (checked like the CLI's
    --brand-logo)."""

    advisor = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="branding")
    name = models.CharField(_("name on reports"), max_length=120)
    logo_png = models.BinaryField(null=True, blank=True)


class ProgrammeInvitation(models.Model):
    """An e-mailed invitation to become an advisor of a programme, for someone who has no
    account yet; accepted while signed in with the invited address. Only the token's SHA-256
    is stored."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=ProgrammeRole.Role.choices,
                            default=ProgrammeRole.Role.ADVISOR)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
