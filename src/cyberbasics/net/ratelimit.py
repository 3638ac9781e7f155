"""A per-target-address limit on new connections, for active scans.

An active scan opens many connections to one address (a port each, a path each). However
many domains of a batch share that address, the scan opens at most ``rate`` new connections
per second to it: successive connections to one address are spaced at least ``1 / rate``
seconds apart, measured when each is allowed to start. Spacing rather than a bucket with a
burst allowance means that any one-second window holds at most ``rate + 1`` of them (the
window's two ends included), which is what a firewall or an intrusion detector counting
connections per second sees.

One `RateLimiter` serves a whole batch (the scan session keeps it); addresses are compared in
canonical form, so ``::ffff:192.0.2.1`` and ``192.0.2.1`` share one limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable

from ..config import ScanConfig
from .connect import open_checked
from .guard import TargetRefused, refusal_reason


def canonical_address(address: str) -> str:
    """The address in one canonical text form (IPv4 for IPv4-mapped IPv6); other text is
    returned unchanged, lower case."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


class RateLimiter:
    """At most ``rate`` starts per second per key (an address), evenly spaced.

    ``await limiter.acquire(address)`` returns when a new connection to ``address`` may start.
    Waiters for one address are served in arrival order; different addresses never wait for
    each other.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        if not rate > 0:
            raise ValueError("the rate must be above 0")
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.granted: dict[str, int] = {}  # starts allowed per address, for evidence and tests

    async def acquire(self, address: str) -> None:
        key = canonical_address(address)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # FIFO: one waiter per address at a time measures the gap
            while True:
                last = self._last.get(key)
                wait = 0.0 if last is None else last + self.interval - self._clock()
                if wait <= 0:
                    break
                await self._sleep(wait)
            # The time it was actually granted, not the time planned: a late wake-up must
            # never let the next start come early.
            self._last[key] = self._clock()
            self.granted[key] = self.granted.get(key, 0) + 1


async def open_limited(config: ScanConfig, limiter: RateLimiter, address: str, port: int
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """`open_checked` after waiting for the address's turn; a refused address is refused
    before it takes a turn."""
    reason = refusal_reason(address, lab=config.lab)
    if reason:
        raise TargetRefused(reason)
    await limiter.acquire(address)
    return await open_checked(config, address, port)
