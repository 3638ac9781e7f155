"""Software with vulnerabilities that attackers are known to exploit: every version the scan
saw (web headers and generator tags, mail greetings, and in an active scan service banners and
portals) compared with the known-exploited dataset (`cyberbasics.vulns`, docs/vulns.md).

Only a version shown precisely enough to compare is judged: "Apache" or "Apache/2.4" is never
reported as vulnerable. A version from a Linux distribution's package, or one whose fix does
not change the number, can only be "possibly affected" (warn)."""

from __future__ import annotations

from ...protocols.software_names import distribution_build
from ...vulns.dataset import Match, load_dataset
from ..model import Outcome, Severity, Status
from ..registry import check
from ._common import unavailable


def _describe(matches: list[Match]) -> str:
    """One sentence per piece of software: its CVEs, the worst of what they allow (the
    newest CVE's impact), and the fix of the newest, which a later release also carries.
    Every CVE's own impact and fix are in the evidence."""
    groups: dict[tuple, list[Match]] = {}
    for match in matches:
        seen = match.seen
        groups.setdefault((seen.name, seen.version, seen.where), []).append(match)
    sentences = []
    for (name, version, where), group in groups.items():
        group.sort(key=lambda m: (m.entry.kev_date_added or "", m.entry.cve), reverse=True)
        newest = group[0].entry
        cves = ", ".join(sorted(m.entry.cve for m in group))
        sentences.append(f"{name} {version} ({where}) has {cves}. {newest.impact} "
                         f"Fixed: {newest.fixed_version}")
    return " Also: ".join(sentences)


def _describe_possible(match: Match) -> str:
    seen = match.seen
    distro = distribution_build(seen.raw)
    reason = (f"it is a build from {distro}, which may carry the fix without changing the "
              f"version number" if distro else
              "a fixed installation shows the same version number")
    return (f"{seen.name} {seen.version} ({seen.where}) is in the range affected by "
            f"{match.entry.cve}, but {reason}: {match.entry.impact} "
            f"Fixed: {match.entry.fixed_version}")


def _unique(matches: list[Match]) -> list[Match]:
    found: dict[tuple, Match] = {}
    for match in matches:
        key = (match.entry.cve, match.seen.product, match.seen.version, match.seen.where)
        found.setdefault(key, match)
    return list(found.values())


@check("vulns.known_exploited", area="vulns", severity=Severity.CRITICAL, needs=("software",))
def known_exploited(ev) -> Outcome:
    view = ev["software"]
    problem = unavailable(view, "the software your servers show")
    if problem:
        return problem
    dataset = load_dataset()
    certain: list[Match] = []
    possible: list[Match] = []
    undetermined: list[Match] = []
    for seen in view.seen:
        for match in dataset.match(seen):
            if match.affected is None:
                undetermined.append(match)
            elif match.certain:
                certain.append(match)
            else:
                possible.append(match)
    certain, possible, undetermined = _unique(certain), _unique(possible), _unique(undetermined)
    summary = dataset.summary()
    if dataset.problems:
        summary["problems"] = list(dataset.problems[:10])
    evidence = {"software": view.to_json(), "dataset": summary,
                "affected": [m.to_json() for m in certain],
                "possibly_affected": [m.to_json() for m in possible],
                "undetermined": [{"cve": m.entry.cve, "product": m.seen.product,
                                  "version": m.seen.version, "where": m.seen.where}
                                 for m in undetermined]}
    date = dataset.date
    unread = (" We could not read: " + "; ".join(view.problems) + ".") if view.problems else ""
    if certain:
        return Outcome(Status.FAIL, "affected", evidence, {
            "count": len(certain), "findings": _describe(certain),
            "date": date})
    if possible:
        return Outcome(Status.WARN, "possibly-affected", evidence, {
            "count": len(possible),
            "findings": " Also: ".join(_describe_possible(m) for m in possible),
            "date": date})
    versions = view.versions
    if not versions:
        if view.problems and not view.read:
            return Outcome(Status.ERROR, "could-not-check", evidence, {
                "what": "the software your servers show", "reason": "; ".join(view.problems)})
        named = sorted({s.name for s in view.seen})
        return Outcome(Status.INFO, "no-versions", evidence, {
            "software": ", ".join(named) if named else "none", "unread": unread})
    if undetermined:
        return Outcome(Status.INFO, "undetermined", evidence, {
            "items": "; ".join(f"{m.seen.name} {m.seen.version} ({m.seen.where}) and "
                               f"{m.entry.cve}" for m in undetermined),
            "date": date, "unread": unread})
    shown = "; ".join(dict.fromkeys(f"{s.name} {s.version}" for s in versions))
    return Outcome(Status.PASS, "none-affected", evidence,
                   {"software": shown, "date": date, "unread": unread})
