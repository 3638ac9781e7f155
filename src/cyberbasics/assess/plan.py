"""The action plan: every gap becomes an action, in order of what protects most per hour.

    priority = risk × gap × (2 if the control is critical) × 60 / effort in minutes

where risk is the area's risk weight × the control's weight, and gap is 1 − the control's
score ("I don't know" scores 0, so it is a whole gap; a control that does not apply to the
business has no action). Ties go to quick wins, then to
less effort, then to the catalogue's order, so the plan is the same for the same answers.
The plan shows the top five first, then the rest by area (docs/scoring.md).

Tracking (owner, due date, status) travels with each action for the web app; an action is
"verified" only when a re-scan or evidence confirms it, never because someone says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .catalogue import Action, Catalogue
from .scoring import Assessment

TOP = 5
STATUSES = ("to_do", "doing", "done", "verified", "wont_do")


class PlanError(ValueError):
    """A tracking change the plan does not allow (the message says why)."""


@dataclass(frozen=True)
class PlannedAction:
    action: Action
    area: str
    priority: float
    gap: float
    critical: bool
    status: str = "to_do"
    owner: str | None = None
    due: dt.date | None = None

    @property
    def id(self) -> str:
        return self.action.id

    def with_status(self, status: str, *, confirmed_by: str | None = None) -> PlannedAction:
        """A copy in a new status; "verified" needs what confirmed it (a re-scan's check id
        or a piece of evidence)."""
        if status not in STATUSES:
            raise PlanError(f"status must be one of {', '.join(STATUSES)}")
        if status == "verified" and not confirmed_by:
            raise PlanError("an action is verified only by a re-scan or evidence, "
                            "never by saying so")
        return PlannedAction(self.action, self.area, self.priority, self.gap, self.critical,
                             status, self.owner, self.due)


@dataclass(frozen=True)
class Plan:
    actions: tuple[PlannedAction, ...]  # by priority, highest first

    @property
    def top(self) -> tuple[PlannedAction, ...]:
        return self.actions[:TOP]

    def rest_by_area(self, area_order: list[str]) -> dict[str, list[PlannedAction]]:
        rest: dict[str, list[PlannedAction]] = {area: [] for area in area_order}
        for planned in self.actions[TOP:]:
            rest.setdefault(planned.area, []).append(planned)
        return {area: items for area, items in rest.items() if items}


def make_plan(catalogue: Catalogue, assessment: Assessment) -> Plan:
    planned = []
    for position, action in enumerate(catalogue.actions):
        control = catalogue.control(action.control)
        value = assessment.controls.get(control.id)
        if value is None:
            continue  # nothing about it applies to this business ("I don't know" counts 0)
        gap = 1.0 - value
        if gap <= 0:
            continue
        risk = catalogue.area(control.area).weight * control.weight
        priority = round(risk * gap * (2 if control.critical else 1) * 60
                         / action.effort_minutes, 2)
        planned.append((-priority, not action.quick_win, action.effort_minutes, position,
                        PlannedAction(action, control.area, priority, gap, control.critical)))
    planned.sort(key=lambda item: item[:4])
    return Plan(tuple(item[-1] for item in planned))
