"""The two downloads of a log, as HTTP responses."""

from __future__ import annotations

import re

from django.http import HttpResponse

from . import logs
from .models import StoredLog


def _filename(stored: StoredLog, suffix: str) -> str:
    day = stored.created_at.strftime("%Y-%m-%d")
    short = re.sub(r"[^0-9a-f]", "", stored.log_id)[:8]
    return f"evidence-log-{day}-{short}.{suffix}"


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # evidence: not kept in shared caches
    return response


def bundle_response(stored: StoredLog) -> HttpResponse:
    return _attachment(logs.bundle(stored), "application/zip", _filename(stored, "zip"))


def pdf_response(stored: StoredLog) -> HttpResponse:
    return _attachment(logs.pdf(stored), "application/pdf", _filename(stored, "pdf"))
