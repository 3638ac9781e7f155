"""A programme's anonymised statistics: aggregates only, over each business's latest
completed review, and any group of fewer than K businesses hidden ("fewer than 5").

Small-cell suppression: a count, an average or a list entry is shown only when at least K
businesses stand behind it. In the band distribution, when exactly one band would be hidden,
the next smallest is hidden too, so the hidden one cannot be worked out from the total.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import OuterRef, Subquery
from django.utils import translation

from ...assess.review import area_name, word
from ...assess.scoring import BANDS
from ...report.review_model import ReviewWords
from ...texts import DEFAULT_LANGUAGE, LANGUAGES
from ..reviews.models import Review

K = 5  # the smallest group shown
TOP_ACTIONS_SHOWN = 10
TOP = 5  # the plan's "do first" list


def core_language() -> str:
    language = (translation.get_language() or DEFAULT_LANGUAGE).split("-")[0]
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Cell:
    """A shown figure, or None when fewer than K businesses are behind it."""

    value: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None


def cell(businesses: int, value: int | None = None) -> Cell:
    if businesses < K:
        return Cell(None)
    return Cell(businesses if value is None else value)


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    cell: Cell


@dataclass(frozen=True)
class Statistics:
    businesses: Cell
    reviewed: Cell  # businesses with at least one completed review
    reviews_completed: Cell
    bands: tuple[Group, ...]
    areas: tuple[Group, ...]  # the average score of each area
    top_actions: tuple[Group, ...]  # only actions in the top five of at least K businesses
    enough: bool  # at least K reviewed businesses: the per-review figures can be shown


def latest_results(programme) -> list[dict]:
    """The result document of each business's latest completed review (one per business)."""
    latest = Review.objects.filter(business=OuterRef("business"), completed_at__isnull=False) \
        .order_by("-completed_at", "-pk").values("pk")[:1]
    rows = Review.objects.filter(business__programme=programme, completed_at__isnull=False,
                                 pk=Subquery(latest)).values_list("result", flat=True)
    return [row for row in rows if isinstance(row, dict)]


def suppress_bands(counts: dict[str, int]) -> dict[str, Cell]:
    cells = {band: cell(count) for band, count in counts.items()}
    hidden = [band for band, c in cells.items() if c.hidden]
    if len(hidden) == 1:
        shown = sorted((count, band) for band, count in counts.items() if band not in hidden)
        if shown:
            cells[shown[0][1]] = Cell(None)
    return cells


def programme_statistics(programme, language: str | None = None) -> Statistics:
    language = language or core_language()
    t = ReviewWords(language)
    businesses = programme.businesses.count()
    completed = Review.objects.filter(business__programme=programme, completed_at__isnull=False)
    reviewed = completed.values("business").distinct().count()
    results = latest_results(programme)
    enough = reviewed >= K

    band_counts = {band: 0 for band, _lowest in BANDS}
    area_scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    actions: Counter[str] = Counter()
    for result in results:
        overall = result.get("overall") or {}
        if overall.get("band") in band_counts:
            band_counts[overall["band"]] += 1
        for area in result.get("areas") or ():
            if isinstance(area, dict) and isinstance(area.get("score"), int):
                area_scores[(str(area.get("id")), str(area.get("source") or "answers"))] \
                    .append(area["score"])
        top = [a.get("id") for a in (result.get("actions") or ())[:TOP] if isinstance(a, dict)]
        actions.update({str(action) for action in top if action})

    bands: tuple[Group, ...] = ()
    areas: tuple[Group, ...] = ()
    top_actions: tuple[Group, ...] = ()
    if enough:
        cells = suppress_bands(band_counts)
        bands = tuple(Group(band, t.band(band), cells[band]) for band, _lowest in BANDS)
        areas = tuple(
            Group(area_id, area_name(language, area_id, source),
                  cell(len(scores), _mean(scores)))
            for (area_id, source), scores in area_scores.items())
        common = sorted(((count, action) for action, count in actions.items() if count >= K),
                        key=lambda item: (-item[0], item[1]))[:TOP_ACTIONS_SHOWN]
        top_actions = tuple(Group(action, word(language, f"action.{action}", "title"),
                                  Cell(count)) for count, action in common)
    return Statistics(businesses=cell(businesses), reviewed=cell(reviewed),
                      reviews_completed=cell(reviewed, completed.count()), bands=bands,
                      areas=areas, top_actions=top_actions, enough=enough)


def _mean(scores: list[int]) -> int:
    value = Fraction(sum(scores), len(scores))
    return int(value + Fraction(1, 2)) if value >= 0 else int(value)  # half up
