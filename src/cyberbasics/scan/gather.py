"""Gathering evidence: each piece fetched once per domain, concurrently, on demand.

A collector is an async function registered under an evidence name. Collectors may ask
for other evidence (`await ctx.get("mx")`); each runs at most once per domain, and the
batch-wide `ScanSession` shares DNS answers and connections across domains. Checks never
see exceptions: a collector that fails or runs out of time leaves an `Unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import ScanConfig
from ..net.dns import DnsClient

Collector = Callable[["DomainContext"], Awaitable[Any]]
_COLLECTORS: dict[str, Collector] = {}


def collector(name: str):
    def register(func: Collector) -> Collector:
        if name in _COLLECTORS:
            raise ValueError(f"collector {name} registered twice")
        _COLLECTORS[name] = func
        return func

    return register


def collectors() -> dict[str, Collector]:
    from . import evidence  # noqa: F401 - importing registers the collectors

    return _COLLECTORS


@dataclass(frozen=True)
class Unavailable:
    """Evidence that could not be gathered, and why (shown as "could not check")."""

    reason: str

    def to_json(self) -> dict[str, str]:
        return {"unavailable": self.reason}


class ScanSession:
    """What a batch of domains shares: configuration, the DNS client and its cache, and
    lazily built TLS contexts and trust anchors."""

    def __init__(self, config: ScanConfig, dns: DnsClient | None = None):
        self.config = config
        self.dns = dns or DnsClient(config.nameservers, timeout=config.timeout)
        self.shared: dict[str, Any] = {}  # batch-wide memo for collectors (trust anchors, ...)
        self.closers: list[Callable[[], Awaitable[None]]] = []  # run by aclose(), last first
        if dns is None:  # ours, so ours to close (after everything that may still use it)
            self.closers.append(self.dns.aclose)
        self._shared_locks: dict[str, asyncio.Lock] = {}
        # Active scans: every new connection of the batch waits for its address's turn.
        self.limiter = None
        if config.active:
            from ..net.ratelimit import RateLimiter

            self.limiter = RateLimiter(config.rate_limit)

    async def aclose(self) -> None:
        """Release what collectors opened for the batch (HTTP clients, ...) and the DNS
        client's sockets, if this session made the client."""
        while self.closers:
            await self.closers.pop()()

    async def memo(self, key: str, make: Callable[[], Awaitable[Any]]) -> Any:
        """A value computed once per batch (for example a parent zone's validated keys)."""
        if key in self.shared:
            return self.shared[key]
        lock = self._shared_locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self.shared:
                self.shared[key] = await make()
        return self.shared[key]


class DomainContext:
    """One domain's evidence, gathered on demand and at most once."""

    def __init__(self, domain: str, session: ScanSession):
        self.domain = domain
        self.session = session
        self.config = session.config
        self.dns = session.dns
        self._tasks: dict[str, asyncio.Task] = {}
        self.http = None  # this domain's HTTP client, made by the first fetch
        # Run (last first) once the domain's evidence is complete: per-domain clients.
        self.closers: list[Callable[[], Awaitable[None]]] = []

    async def aclose(self) -> None:
        while self.closers:
            with contextlib.suppress(Exception):
                await self.closers.pop()()

    def get(self, name: str) -> asyncio.Task:
        task = self._tasks.get(name)
        if task is None:
            func = collectors().get(name)
            if func is None:
                raise KeyError(f"no collector named {name!r}")
            task = asyncio.ensure_future(func(self))
            self._tasks[name] = task
        return task

    async def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        await self.aclose()

    async def gather(self, names: Iterable[str], timeout: float) -> EvidenceView:
        """Gather the named evidence (and whatever it depends on) within the time given."""
        wanted = [self.get(name) for name in dict.fromkeys(names)]
        if wanted:
            await asyncio.wait(wanted, timeout=timeout)
        values: dict[str, Any] = {}
        for name, task in self._tasks.items():
            if not task.done():
                task.cancel()
                values[name] = Unavailable(f"not finished within the {timeout:g} s domain limit")
            elif task.cancelled():
                values[name] = Unavailable("cancelled")
            elif task.exception() is not None:
                exc = task.exception()
                values[name] = Unavailable(f"{exc.__class__.__name__}: {exc}")
            else:
                values[name] = task.result()
        pending = [t for t in self._tasks.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await self.aclose()
        return EvidenceView(self.domain, values)


@dataclass(frozen=True)
class EvidenceView:
    """The frozen evidence that checks read."""

    domain: str
    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name, Unavailable(f"{name} was not gathered"))
