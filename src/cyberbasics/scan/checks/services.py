"""Exposed services (active scans only): remote access, file sharing, databases, control
panels, mail without encryption, and the SSH server's version."""

from __future__ import annotations

from ...protocols.banners import parse_ssh_banner, ssh_out_of_support
from ..evidence.services import OPEN, AddressReport, PortProbe, ServicesView, ports_of
from ..model import Outcome, Severity, Status
from ..registry import check
from ..software import PRODUCTS
from ._common import unavailable


class _Scope:
    """The addresses of one check's evidence, sorted by what could be learnt from them: an
    address is reached when at least one of its ports answered (accepted or refused the
    connection); one where every port timed out or failed taught nothing, is listed as
    unchecked, and alone makes the check `error`, never a pass."""

    def __init__(self, view: ServicesView, group: str):
        self.view = view
        self.ports = tuple(p.port for p in ports_of(group))
        self.reached = [r for r in view.addresses if r.reached]
        self.unchecked = [r for r in view.addresses if not r.reached]
        self.probes = [(r, p) for r in self.reached for p in r.probes if p.port in self.ports]

    @property
    def evidence(self) -> dict:
        return self.view.to_json(self.ports)

    def open(self) -> list[tuple[AddressReport, PortProbe]]:
        return [(r, p) for r, p in self.probes if p.state == OPEN]

    def errors(self) -> list[tuple[AddressReport, PortProbe]]:
        return [(r, p) for r, p in self.probes if not p.definite]

    def early(self, domain: str, what: str) -> Outcome | None:
        """`info` when there is nothing to scan, `error` when nothing could be scanned."""
        view = self.view
        if not view.addresses:
            if view.problems:
                return Outcome(Status.ERROR, "could-not-check", self.evidence,
                               {"what": what, "reason": "; ".join(view.problems)})
            return Outcome(Status.INFO, "no-addresses", self.evidence, {"domain": domain})
        if not self.reached:
            return Outcome(Status.ERROR, "could-not-check", self.evidence,
                           {"what": what, "reason": _why_unchecked(self.unchecked)})
        return None

    def not_checked(self, what: str) -> Outcome | None:
        """`error` when a port of this check could not be checked on a reachable address."""
        errors = self.errors()
        if not errors:
            return None
        reasons = "; ".join(f"port {p.port} of {r.address}: {p.error}" for r, p in errors[:3])
        return Outcome(Status.ERROR, "could-not-check", self.evidence,
                       {"what": what, "reason": reasons})

    def passed(self, result: str = "ok") -> Outcome:
        params = {"ports": _port_list(self.ports), "addresses": _addresses(self.reached)}
        if self.unchecked:
            params["unchecked"] = _why_unchecked(self.unchecked)
            return Outcome(Status.PASS, f"{result}-partly", self.evidence, params)
        return Outcome(Status.PASS, result, self.evidence, params)


def _why_unchecked(reports: list[AddressReport]) -> str:
    parts = [f"{r.address}: {r.why_not_reached or 'no port answered'}" for r in reports[:4]]
    return "; ".join(parts) or "no address could be probed"


def _addresses(reports: list[AddressReport]) -> str:
    return ", ".join(r.address for r in reports)


def _port_list(ports: tuple[int, ...]) -> str:
    return ", ".join(str(p) for p in ports)


def _where(report: AddressReport, probe: PortProbe) -> str:
    names = f" ({', '.join(report.names)})" if report.names else ""
    return f"port {probe.port} of {report.address}{names}"


def _describe_open(probe: PortProbe) -> str:
    if not probe.answer:
        return (f"port {probe.port} (usually {probe.service}; what answers did not identify "
                "itself)")
    what = probe.answer
    if probe.banner and probe.banner != probe.answer:
        what = probe.banner if probe.banner.startswith(probe.answer) else \
            f"{probe.answer} ({probe.banner})"
    return f"{what} on port {probe.port}" + (" with no password"
                                             if probe.access == "open" else "")


def _on_port(probe: PortProbe) -> str:
    return f"{probe.answer or probe.service} on port {probe.port}"


def _describe_web(probe: PortProbe) -> str:
    if probe.login:
        kind = f"a page asking for a password (“{probe.login}”)"
    elif probe.answer:
        kind = "a web page" + (f" titled “{probe.title}”" if probe.title else "")
    else:
        kind = "something (unconfirmed)"
    return f"{kind} on port {probe.port}"


def _by_address(items: list[tuple[AddressReport, PortProbe]], describe) -> str:
    """"on 192.0.2.1 (example.com): X, Y; on 192.0.2.2 (mail.example.com): Z"."""
    grouped: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for report, probe in items:
        labels[report.address] = report.address + (f" ({', '.join(report.names)})"
                                                   if report.names else "")
        grouped.setdefault(report.address, []).append(describe(probe))
    return "; ".join(f"on {labels[a]}: {', '.join(parts)}" for a, parts in grouped.items())


def _exposure(ev, group: str, what: str) -> Outcome:
    scope, outcome = _scoped(ev, group, what)
    if outcome:
        return outcome
    exposed = scope.open()
    if exposed:
        return Outcome(Status.FAIL, "exposed", scope.evidence,
                       {"services": _by_address(exposed, _describe_open),
                        "count": len(exposed)})
    return scope.not_checked(what) or scope.passed()


def _scoped(ev, group: str, what: str):
    """(the addresses' probes for a group of ports, None), or (None, the Outcome that says
    why there is nothing to judge: no evidence, no address, nothing reached)."""
    view = ev["services"]
    problem = unavailable(view, what)
    if problem:
        return None, problem
    scope = _Scope(view, group)
    early = scope.early(ev.domain, what)
    return (None, early) if early else (scope, None)


@check("services.remote_access", area="services", severity=Severity.HIGH,
       needs=("services",), active=True)
def remote_access(ev) -> Outcome:
    return _exposure(ev, "remote_access", "remote access ports (RDP, VNC, Telnet)")


@check("services.file_sharing", area="services", severity=Severity.HIGH,
       needs=("services",), active=True)
def file_sharing(ev) -> Outcome:
    return _exposure(ev, "file_sharing", "file sharing ports (SMB, FTP, NFS, rsync)")


@check("services.databases", area="services", severity=Severity.HIGH,
       needs=("services",), active=True)
def databases(ev) -> Outcome:
    return _exposure(ev, "databases", "database ports")


@check("services.admin_panels", area="services", severity=Severity.MEDIUM,
       needs=("services",), active=True)
def admin_panels(ev) -> Outcome:
    what = "control panel ports"
    scope, outcome = _scoped(ev, "admin_panels", what)
    if outcome:
        return outcome
    opened = [(r, p) for r, p in scope.open() if p.portal is None]
    panels = [(r, p) for r, p in opened if p.panel]
    if panels:
        return Outcome(Status.FAIL, "panel", scope.evidence, {
            "panels": _by_address(panels, lambda p: f"{p.panel} on port {p.port}")})
    if opened:
        return Outcome(Status.WARN, "open", scope.evidence,
                       {"services": _by_address(opened, _describe_web)})
    return scope.not_checked(what) or scope.passed()


@check("services.mail_cleartext", area="services", severity=Severity.MEDIUM,
       needs=("services",), active=True)
def mail_cleartext(ev) -> Outcome:
    what = "POP3 and IMAP (ports 110, 143)"
    scope, outcome = _scoped(ev, "mail_cleartext", what)
    if outcome:
        return outcome
    opened = scope.open()
    cleartext = [(r, p) for r, p in opened if p.answer and p.starttls is False]
    if cleartext:
        return Outcome(Status.FAIL, "cleartext", scope.evidence, {
            "services": _by_address(cleartext, _on_port)})
    unknown = [(r, p) for r, p in opened if p.starttls is None]
    if unknown:
        return Outcome(Status.WARN, "unconfirmed", scope.evidence, {
            "services": _by_address(unknown, lambda p: f"port {p.port} "
                                                       f"({p.note or 'no answer'})")})
    problem = scope.not_checked(what)
    if problem:
        return problem
    if opened:
        outcome = scope.passed("starttls")
        outcome.params["services"] = _by_address(opened, _on_port)
        return outcome
    return scope.passed()


@check("services.ssh", area="services", severity=Severity.LOW, needs=("services",),
       active=True)
def ssh(ev) -> Outcome:
    what = "the SSH server (port 22)"
    scope, outcome = _scoped(ev, "ssh", what)
    if outcome:
        return outcome
    servers, outdated, unconfirmed = [], [], []
    for report, probe in scope.open():
        ident = parse_ssh_banner(probe.banner or "") if probe.answer == "SSH" else None
        if ident is None:
            unconfirmed.append(_where(report, probe))
            continue
        name = ident.software
        if ident.product:
            name = " ".join(x for x in (PRODUCTS[ident.product], ident.version) if x)
        if ident.comments:
            name += f" ({ident.comments})"
        if ident.vendor_build:  # numbered and supported its own way: never "outdated"
            name += f" ({ident.vendor_build})"
        text = f"{name} on {_where(report, probe)}"
        servers.append(text)
        if ssh_out_of_support(ident.product, ident.version):
            outdated.append(text)
    evidence = scope.evidence
    if outdated:
        return Outcome(Status.WARN, "outdated", evidence, {"servers": "; ".join(outdated)})
    if servers:
        return Outcome(Status.INFO, "named", evidence, {"servers": "; ".join(servers)})
    if unconfirmed:
        return Outcome(Status.INFO, "unconfirmed", evidence, {"where": "; ".join(unconfirmed)})
    problem = scope.not_checked(what)
    if problem:
        return problem
    return Outcome(Status.INFO, "none", evidence, {"addresses": _addresses(scope.reached)})
