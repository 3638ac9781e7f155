"""What the email checker keeps for a business (never for anonymous visitors): each checked
message's envelope (sender, trimmed subject, verdict, reasons, sending infrastructure; never
its body), the correspondents seen, and the business's receiving-side settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SUBJECT_KEPT = 200  # characters of the subject kept: enough to recognise the message


class MailSettings(models.Model):
    """Which Received hop and which Authentication-Results this business's own receiving
    side writes (docs/email-check.md, "Trust boundary"), and which forwarders' and mailing
    lists' ARC seals may excuse a DMARC failure. Empty lists: the core's defaults."""

    business = models.OneToOneField("businesses.Business", on_delete=models.CASCADE,
                                    related_name="mail_settings")
    mx_hosts = models.JSONField(default=list, blank=True)
    trusted_authserv_ids = models.JSONField(default=list, blank=True)
    # Anyone can seal an ARC chain of their own, so only these sealers' chains may turn a
    # DMARC failure into "unknown" (docs/email-check.md, "Verdict rules").
    trusted_arc_sealers = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")


class Correspondent(models.Model):
    """An organisation (registrable domain) the business has received genuine-looking mail
    from: its contacts, which lookalikes are compared with."""

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="mail_correspondents")
    domain = models.CharField(_("domain"), max_length=253)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "domain"],
                                               name="one_correspondent_per_domain")]
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class CheckedMessage(models.Model):
    class Verdict(models.TextChoices):
        AUTHENTIC = "authentic", _("Authentic")
        SUSPICIOUS = "suspicious", _("Suspicious")
        FORGED = "forged", _("Forged")
        UNKNOWN = "unknown", _("Unknown")

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="checked_messages")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_address = models.CharField(max_length=320)
    from_display_name = models.CharField(max_length=200, blank=True)
    from_domain = models.CharField(max_length=253, db_index=True)
    subject = models.CharField(max_length=SUBJECT_KEPT, blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason_ids = models.JSONField(default=list)
    # [{"id": ..., "evidence": {scalar values only}}]: the reasons' texts are written again
    # in the reader's language from these.
    reasons = models.JSONField(default=list)
    infrastructure = models.JSONField(default=list)
    dns_checked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-checked_at", "-pk"]
