"""What the exposed-services evidence is made of: the ports probed and why, one port's
answer, one address's answers, and the view the checks read. (`services` re-exports all of
it; import from there.)"""

from __future__ import annotations

from dataclasses import dataclass

from ..software import SoftwareSeen

OPEN, CLOSED, FILTERED, ERROR = "open", "closed", "filtered", "error"

# Why an address where nothing answered was not checked: every port timed out (or failed),
# which is what a firewall dropping the scanner's own connections looks like too.
NO_PORT_ANSWERED = "no port answered; the scanner may be blocked by a firewall"


@dataclass(frozen=True)
class ServicePort:
    port: int
    service: str  # what usually listens there, for people
    group: str  # the check that judges it, or "software" (read for names and versions only)
    probe: str  # how it is probed (see services_probe.PortProber)


PORTS = (
    ServicePort(3389, "Remote Desktop (RDP)", "remote_access", "rdp"),
    ServicePort(5900, "VNC remote desktop", "remote_access", "vnc"),
    ServicePort(5901, "VNC remote desktop", "remote_access", "vnc"),
    ServicePort(23, "Telnet", "remote_access", "telnet"),
    ServicePort(445, "Windows file sharing (SMB)", "file_sharing", "silent"),
    ServicePort(139, "Windows file sharing (NetBIOS)", "file_sharing", "silent"),
    ServicePort(21, "FTP", "file_sharing", "ftp"),
    ServicePort(2049, "NFS file sharing", "file_sharing", "silent"),
    ServicePort(873, "rsync", "file_sharing", "rsync"),
    ServicePort(3306, "MySQL/MariaDB", "databases", "mysql"),
    ServicePort(5432, "PostgreSQL", "databases", "postgres"),
    ServicePort(1433, "Microsoft SQL Server", "databases", "silent"),
    ServicePort(27017, "MongoDB", "databases", "silent"),
    ServicePort(6379, "Redis", "databases", "redis"),
    ServicePort(9200, "Elasticsearch", "databases", "http"),
    ServicePort(11211, "memcached", "databases", "memcached"),
    ServicePort(5984, "CouchDB", "databases", "http"),
    ServicePort(2082, "cPanel", "admin_panels", "http"),
    ServicePort(2083, "cPanel (HTTPS)", "admin_panels", "https"),
    ServicePort(2086, "WHM (cPanel)", "admin_panels", "http"),
    ServicePort(2087, "WHM (cPanel, HTTPS)", "admin_panels", "https"),
    ServicePort(2222, "DirectAdmin", "admin_panels", "http"),
    ServicePort(5000, "Synology DiskStation", "admin_panels", "http"),
    ServicePort(5001, "Synology DiskStation (HTTPS)", "admin_panels", "https"),
    ServicePort(8080, "router and device web interfaces", "admin_panels", "http"),
    ServicePort(8443, "Plesk and device web interfaces (HTTPS)", "admin_panels", "https"),
    ServicePort(8880, "Plesk", "admin_panels", "http"),
    ServicePort(10000, "Webmin", "admin_panels", "https"),
    ServicePort(110, "POP3 mail", "mail_cleartext", "pop3"),
    ServicePort(143, "IMAP mail", "mail_cleartext", "imap"),
    ServicePort(22, "SSH", "ssh", "ssh"),
    ServicePort(25, "SMTP mail", "software", "smtp"),
    ServicePort(587, "SMTP mail submission", "software", "smtp"),
    ServicePort(443, "HTTPS", "software", "https"),
    ServicePort(4443, "HTTPS (VPN portals)", "software", "https"),
    ServicePort(10443, "HTTPS (VPN portals)", "software", "https"),
)
GROUPS = ("remote_access", "file_sharing", "databases", "admin_panels", "mail_cleartext", "ssh")


def ports_of(group: str) -> tuple[ServicePort, ...]:
    return tuple(p for p in PORTS if p.group == group)


@dataclass(frozen=True)
class PortProbe:
    port: int
    service: str
    state: str  # OPEN, CLOSED (refused), FILTERED (timed out), ERROR (could not tell)
    answer: str | None = None  # the protocol that answered, when it confirmed itself
    banner: str | None = None  # its first words (one line, trimmed)
    starttls: bool | None = None  # POP3/IMAP: STARTTLS offered
    access: str | None = None  # databases: "open" (no password asked), "password", ...
    panel: str | None = None  # a control panel recognised on the page
    login: str | None = None  # a page asking for a password (HTTP authentication realm)
    portal: str | None = None  # a VPN/firewall portal product id
    title: str | None = None  # the web page's title
    note: str | None = None  # what else the evidence should say
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.state == OPEN

    @property
    def answered(self) -> bool:
        """The address answered on this port: it accepted or refused the connection. A
        timeout proves nothing about the address (the scanner's own side may drop it)."""
        return self.state in (OPEN, CLOSED)

    @property
    def definite(self) -> bool:
        """Whether the port is reachable is known (on an address that answered)."""
        return self.state != ERROR

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class AddressReport:
    address: str
    names: tuple[str, ...]  # the names that pointed here (of the first domain that asked)
    probes: tuple[PortProbe, ...] = ()
    error: str | None = None  # not probed at all: refused by the guard, lock timeout
    refused: bool = False  # the guard refused the address (private, reserved, ...)
    software: tuple[SoftwareSeen, ...] = ()

    @property
    def reached(self) -> bool:
        """At least one port answered (accepted or refused the connection). An address
        where every port timed out or failed was not reached: nothing was learnt there, and
        the checks say "could not check", never pass."""
        return self.error is None and any(p.answered for p in self.probes)

    @property
    def why_not_reached(self) -> str | None:
        """Why the address could not be checked (None when it was reached)."""
        if self.error:
            return self.error
        if self.reached:
            return None
        errors = [f"port {p.port}: {p.error}" for p in self.probes if p.error]
        if any(p.state == FILTERED for p in self.probes):
            return NO_PORT_ANSWERED + (f" ({errors[0]})" if errors else "")
        return next((p.error for p in self.probes if p.error), "no port could be probed")

    def probe(self, port: int) -> PortProbe | None:
        return next((p for p in self.probes if p.port == port), None)

    def to_json(self, ports: tuple[int, ...] | None = None) -> dict:
        data: dict = {"address": self.address, "names": list(self.names)}
        if self.error:
            data["error"] = self.error
        elif not self.reached:
            data["not_reached"] = self.why_not_reached
        if self.probes:
            data["ports"] = [p.to_json() for p in self.probes
                             if ports is None or p.port in ports]
        return data


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str

    def to_json(self) -> dict:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class ServicesView:
    addresses: tuple[AddressReport, ...]
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[str, ...] = ()  # lookups that failed (so some address may be missing)

    @property
    def software(self) -> tuple[SoftwareSeen, ...]:
        """Everything identified on every address (read by the vulnerability check)."""
        return tuple(s for report in self.addresses for s in report.software)

    def to_json(self, ports: tuple[int, ...] | None = None) -> dict:
        data: dict = {"addresses": [a.to_json(ports) for a in self.addresses]}
        if self.skipped:
            data["skipped"] = [s.to_json() for s in self.skipped]
        if self.problems:
            data["problems"] = list(self.problems)
        return data
