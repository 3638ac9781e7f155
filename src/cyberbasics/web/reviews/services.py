"""Starting reviews. Views and tasks call these; they hold the rules."""

from __future__ import annotations

from django.db import transaction

from ..audit.services import record
from .core import catalogue
from .models import Review


@transaction.atomic
def start_review(business, *, user=None, request=None) -> Review:
    """A new review of `business`, carrying over the profile of its latest one. An
    unfinished review is returned instead of opening a second."""
    open_review = business.reviews.filter(completed_at__isnull=True).first()
    if open_review is not None:
        return open_review
    previous = business.reviews.first()
    review = Review.objects.create(
        business=business, started_by=user if user and user.is_authenticated else None,
        catalogue_version=catalogue().version,
        profile=dict(previous.profile) if previous else dict(business.profile))
    record("review.started", request=request, actor=user if request is None else None,
           business=business, review=review.pk)
    return review
