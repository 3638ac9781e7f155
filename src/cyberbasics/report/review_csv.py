"""The review as CSV for a spreadsheet: one row per action (in plan order, with the columns an
advisor tracks: owner, due date, status) and one row per finding of the outside scan.

Cells are made safe as in the scan's CSV (:func:`.scan_output._cell`): outside text is
sanitised (no CR, LF, control or bidi character can break a row or hide text), and a cell that
a spreadsheet would run as a formula (= + - @ first) gets a leading quote. Column names are
fixed ids in English, like the scan CSV's; the texts are in the report's language.
"""

from __future__ import annotations

import csv
import io

from .review_model import ReviewReport
from .scan_output import _cell as cell

COLUMNS = ("kind", "rank", "id", "area", "area_name", "title", "status", "severity",
           "priority", "effort_minutes", "cost_band", "quick_win", "critical", "verify_by",
           "owner", "due", "summary", "why", "how")


def to_csv(report: ReviewReport) -> str:
    buffer = io.StringIO()
    # Every cell quoted: defence in depth should a CR or LF ever reach a cell.
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    for action in report.actions:
        how = " | ".join(f"{h.platform_name}: {h.text}" for h in action.how)
        writer.writerow([cell(value) for value in (
            "action", action.rank, action.id, action.area, action.area_name, action.title,
            action.status, "", action.priority,
            action.effort_minutes, action.cost_band, "yes" if action.quick_win else "no",
            "yes" if action.critical else "no",
            f"{action.verify_kind}:{action.verify_target}".rstrip(":"),
            action.owner or "", action.due or "", "", action.why, how)])
    for rank, finding in enumerate(report.all_findings, 1):
        writer.writerow([cell(value) for value in (
            "finding", rank, finding.check, finding.area, finding.area_name, finding.title,
            finding.status, finding.severity, "", "", "", "", "", "", "", "",
            finding.summary, finding.why, finding.fix)])
    return buffer.getvalue()
