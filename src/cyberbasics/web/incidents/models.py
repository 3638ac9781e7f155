"""Evidence logs kept by the site, anonymous or in a business's incident.

A log is stored as the core's own lines (`cyberbasics.incident.evidence`): the header's
canonical JSON in `StoredLog.header`, each entry's canonical JSON (hash included) in one
`StoredEntry` row. Reading a log parses exactly those lines and `verify()` checks them, so a
row changed in the database (text, time, author, a file's SHA-256) or removed is detected
just as in a log file. Attached files live on disk under the evidence folder, named by their
SHA-256 (`files.py`), never served directly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The playbooks of `cyberbasics.incident` (docs/web.md); "other" for anything else.
KINDS = (
    ("ransomware", _("Ransomware")),
    ("invoice_fraud", _("Invoice fraud or a fake boss")),
    ("account_hacked", _("A hacked e-mail or social media account")),
    ("phishing_clicked", _("Clicked a phishing link or opened an attachment")),
    ("lost_device", _("A lost or stolen laptop or phone")),
    ("personal_data_breach", _("Personal data lost, stolen or exposed")),
    ("website_hacked", _("Website defaced or hacked")),
    ("fake_it_support_call", _("A call from fake IT support")),
    ("other", _("Something else")),
)
PLAYBOOK_KINDS = frozenset(kind for kind, _label in KINDS if kind != "other")


class StoredLog(models.Model):
    """One evidence log: its header line, and its entries as `entries`."""

    log_id = models.CharField(max_length=64, unique=True)
    header = models.TextField()  # the core's canonical JSON of the header (genesis included)
    stored_bytes = models.BigIntegerField(default=0)  # attached files, for the per-log limit
    # sha256 -> {"size", "state", "matches"}: the last full check of each kept file and the
    # file's state then (logs.kept_files); a cache, rebuilt from the files at any time.
    verified_files = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.log_id


class StoredEntry(models.Model):
    log = models.ForeignKey(StoredLog, on_delete=models.CASCADE, related_name="entries")
    seq = models.PositiveIntegerField()
    line = models.TextField()  # the core's canonical JSON of the entry, hash included
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        # Two people adding at once cannot both write entry n: one gets an error, tries again.
        constraints = [models.UniqueConstraint(fields=["log", "seq"],
                                               name="one_entry_per_position")]


class AnonymousLog(models.Model):
    """A log started without an account: reached with its token (only its SHA-256 is kept)
    from the browser session that started it, until `expires_at`."""

    log = models.OneToOneField(StoredLog, on_delete=models.CASCADE, related_name="anonymous")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="incidents")
    kind = models.CharField(_("what happened"), max_length=32, choices=KINDS)
    title = models.CharField(_("title"), max_length=200)
    became_aware_at = models.DateTimeField(_("when you became aware of it"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    log = models.OneToOneField(StoredLog, on_delete=models.PROTECT, related_name="incident")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title
