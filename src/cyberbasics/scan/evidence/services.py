"""Exposed services (active scans only): which well-known ports of the business's own
addresses accept connections from the internet, and what answers there.

Addresses: those of the domain and of www.<domain> (A and AAAA), and of the mail servers
(MX) whose names are inside the domain (``mail.<domain>``); a mail provider's servers
(``*.google.com``, ``*.outlook.com``) are not the business's to let us scan, so they are
listed as skipped. At most `MAX_ADDRESSES`, each probed once per batch however many domains
share it (the session memo), under the target lock (never two scans of one address at once,
across processes too) and the rate limit (new connections per second per address).

Each port gets one TCP connection (two for a web port whose scheme guessed wrong, three for
a redirect followed on the same port), then a harmless exchange: read the greeting of
protocols whose servers speak first (SSH, FTP, SMTP, POP3, IMAP, MySQL, VNC, Telnet, rsync);
for the others send only the standard first message of any client, which authenticates
nothing (RDP's connection request, PostgreSQL's SSLRequest, Redis ``INFO server``, memcached
``version``, an HTTP GET of "/"), or send nothing and report an open port whose service is
unconfirmed (SMB, NetBIOS, NFS, MS SQL, MongoDB). POP3 and IMAP are asked for their
capabilities (CAPA, CAPABILITY) to see whether STARTTLS is offered. No login, ever.

Reading is bounded in bytes and time, and each port's probe as a whole: the collector gives
every port a deadline inside the domain's time limit, so a port that hangs costs its own
answer, never the others'. A connection refused is a closed port, a connection that times
out a filtered one (dropped by a firewall: not reachable, said so), anything else an error
that never counts as a pass; an address where no port answered at all (every connection
timed out or failed) was not reached, and its checks say "could not check".

This module is the collector; the parts live beside it: `services_model` (ports, probes,
reports, the view), `services_targets` (which addresses), `services_probe` (one port),
`services_http` (a checked connection, HTTP over it). Their public names are re-exported
here.
"""

from __future__ import annotations

import asyncio

from ...config import ScanConfig
from ...net.guard import refusal_reason
from ...net.ratelimit import RateLimiter
from ...net.target_lock import TargetLockError, TargetLocks
from ..gather import DomainContext, collector
from .services_http import (  # noqa: F401 - re-exported
    HTTP_BYTES,
    USER_AGENT,
    HttpFetch,
    NotOpen,
    describe,
    http_exchange,
    http_get,
    open_port,
    read_until,
)
from .services_model import (  # noqa: F401 - re-exported
    CLOSED,
    ERROR,
    FILTERED,
    GROUPS,
    NO_PORT_ANSWERED,
    OPEN,
    PORTS,
    AddressReport,
    PortProbe,
    ServicePort,
    ServicesView,
    Skipped,
    ports_of,
)
from .services_probe import GREETING_BYTES, WEB_EXCHANGE_TIMEOUTS, PortProber  # noqa: F401
from .services_targets import MAX_ADDRESSES, in_domain, service_targets  # noqa: F401


async def rate_limiter(ctx: DomainContext) -> RateLimiter:
    """The batch's one limiter, the session's: the passive collectors' connections (TLS,
    SMTP, HTTP) of an active scan wait for their turn in it too."""
    if ctx.session.limiter is not None:
        return ctx.session.limiter

    async def make():  # a session built for a passive scan, asked for active evidence
        return RateLimiter(ctx.config.rate_limit)

    return await ctx.session.memo("active:rate_limiter", make)


async def target_locks(ctx: DomainContext) -> TargetLocks:
    async def make():
        return TargetLocks(provider=ctx.config.target_lock_provider)

    return await ctx.session.memo("active:target_locks", make)


def lock_wait(config: ScanConfig) -> float:
    """How long to wait for another scan of the same address to finish: half the domain's
    time, so that there is time left to probe."""
    return max(0.5, config.domain_timeout / 2)


def probing_time(config: ScanConfig) -> float:
    """How long after the collector starts every port must have its answer: the domain's
    time, less a margin (a tenth, at least 1 s, at most half) for the checks and the
    collectors that read this one, so that the domain limit never discards the answers."""
    limit = config.domain_timeout
    return limit - min(max(1.0, 0.1 * limit), 0.5 * limit)


@collector("services")
async def services(ctx: DomainContext) -> ServicesView:
    deadline = asyncio.get_running_loop().time() + probing_time(ctx.config)
    targets, skipped, problems = await service_targets(ctx)
    limiter = await rate_limiter(ctx)
    locks = await target_locks(ctx)

    async def one(address: str, names: tuple[str, ...]) -> AddressReport:
        return await ctx.session.memo(
            f"active:services:{address}",
            lambda: probe_address(ctx.config, address, names, limiter, locks,
                                  deadline=deadline))

    reports = await asyncio.gather(*(one(a, n) for a, n in targets))
    return ServicesView(tuple(reports), tuple(skipped), tuple(problems))


async def probe_address(config: ScanConfig, address: str, names: tuple[str, ...],
                        limiter: RateLimiter, locks: TargetLocks, *,
                        ports: tuple[ServicePort, ...] = PORTS,
                        deadline: float | None = None) -> AddressReport:
    """Every port of one address, under its lock, at the limited rate; each port's answer
    by ``deadline`` (event loop time) at the latest."""
    reason = refusal_reason(address, lab=config.lab)
    if reason:
        return AddressReport(address, names, error=reason, refused=True)
    prober = PortProber(config, limiter, address, names[0] if names else None)
    try:
        async with locks.hold(address, wait=lock_wait(config)):
            probes = await asyncio.gather(*(prober.probe(spec, deadline=deadline)
                                            for spec in ports))
    except TargetLockError as exc:
        return AddressReport(address, names, error=str(exc))
    return AddressReport(address, names, tuple(probes), software=tuple(prober.software))
