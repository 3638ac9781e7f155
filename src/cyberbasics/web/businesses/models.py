"""Businesses, the people who belong to them, their domains and who may help them.

Access always goes through `selectors.py`: a business is reachable by its members (owner,
staff), by advisors it consented to, through a valid magic link, and (list and statistics
only) by its programme's operators.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def verification_token() -> str:
    return secrets.token_urlsafe(24)


class Business(models.Model):
    name = models.CharField(_("business name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The catalogue's profile fields (size, sector, platforms, ...): content/catalogue.
    profile = models.JSONField(default=dict, blank=True)
    programme = models.ForeignKey("programmes.Programme", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="businesses")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        STAFF = "staff", _("staff member")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "user"],
                                               name="one_membership_per_business")]


class AdvisorAccess(models.Model):
    """An advisor may work on a business: granted by its owner (an accepted invitation) or
    recorded by the advisor from the owner's written consent. Revoking ends it."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE,
                                 related_name="advisor_accesses")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="advised")
    consent = models.TextField(_("consent"), help_text=_("How and when the owner agreed."))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "advisor"],
                                               name="one_access_per_advisor")]


class Invitation(models.Model):
    """An e-mailed invitation to join a business as staff or to advise it."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("staff member")
        ADVISOR = "advisor", _("advisor")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)


class Domain(models.Model):
    class Method(models.TextChoices):
        DNS = "dns", _("DNS TXT record")
        FILE = "file", _("file on the website")
        CONSENT = "consent", _("owner's written consent recorded by an advisor")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(_("domain"), max_length=253)
    token = models.CharField(max_length=64, default=verification_token)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=16, choices=Method.choices, blank=True)
    consent_note = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "name"],
                                               name="one_domain_per_business")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def txt_name(self) -> str:
        return f"_cyberbasics.{self.name}"

    @property
    def txt_value(self) -> str:
        return f"cyberbasics-verification={self.token}"

    @property
    def file_path(self) -> str:
        return "/.well-known/cyberbasics-verification.txt"


class MagicLink(models.Model):
    """A link an advisor sends a client without an account: one business, expiring,
    revocable. Only the token's SHA-256 is stored."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="magic_links")
    review = models.ForeignKey("reviews.Review", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="magic_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="+")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
