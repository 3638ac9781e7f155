"""A review of one business: the outside view (a scan, run as a background task), the
answers to the self-assessment, and the result; the action plan that follows from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Review(models.Model):
    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="reviews")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    catalogue_version = models.CharField(max_length=32)
    # The business profile as answered in this review (size, sector, platforms, ...).
    profile = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The review's `cyberbasics.result/1` document, kept when it is completed so history and
    # "what changed" never depend on a later catalogue.
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


class Answer(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("self-declared")
        ADVISOR = "advisor", _("checked by an advisor")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=100)
    option = models.CharField(max_length=100)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SELF)
    note = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "question"],
                                               name="one_answer_per_question")]


class Scan(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    class Mode(models.TextChoices):
        PASSIVE = "passive", _("passive")
        ACTIVE = "active", _("active")

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="scans")
    review = models.ForeignKey(Review, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="scans")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    domains = models.JSONField(default=list)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.PASSIVE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # area -> "waiting" | "running" | "done", for the live progress.
    progress = models.JSONField(default=dict, blank=True)
    # The `cyberbasics.scan/1` document.
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ActionItem(models.Model):
    """One action of the business's plan, tracked across reviews."""

    class Status(models.TextChoices):
        TODO = "todo", _("to do")
        DOING = "doing", _("in progress")
        DONE = "done", _("done")
        VERIFIED = "verified", _("verified by a scan")
        NOT_APPLICABLE = "not_applicable", _("does not apply")

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="actions")
    action = models.CharField(max_length=100)  # the catalogue's action id
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TODO)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_actions")
    due_date = models.DateField(null=True, blank=True)
    reminder_sent_for = models.DateField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When it was last marked done (or verified): "what changed" between two reviews.
    done_at = models.DateTimeField(null=True, blank=True)
    # The scan checks that confirmed it (an action is verified only with a confirmation).
    verified_by = models.CharField(max_length=200, blank=True)
    # Why a scan changed the status by itself, as data shown in the reader's language:
    # {"kind": "verified" | "still_failing" | "failing_again", "checks": [...],
    #  "domains": [...], "scan": id, "at": ISO date}; emptied when a person changes it.
    status_note = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "action"],
                                               name="one_item_per_action")]


class AdvisorNote(models.Model):
    """Private: only the advisor who wrote it sees it."""

    business = models.ForeignKey("businesses.Business", on_delete=models.CASCADE,
                                 related_name="advisor_notes")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
