"""A second process for the cross-process tests (run as ``python -m tests.services.worker``).

``hold ADDRESS SECONDS``: take the address's lock, print "locked", hold it, release.
``probe ADDRESS PORT_MAP_JSON RATE``: probe some ports of ADDRESS as an active scan does,
then print JSON: when the lock was taken and released (monotonic clock, shared by every
process on Linux) and the ports' states.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time


async def hold(address: str, seconds: float) -> None:
    from cyberbasics.net.target_lock import acquire, release

    held = await acquire(address, wait=10.0)
    print("locked", flush=True)
    await asyncio.sleep(seconds)
    release(held)
    print("released", flush=True)


class TimedLocks:
    """TargetLocks that note when the lock was taken and released."""

    def __init__(self):
        from cyberbasics.net.target_lock import TargetLocks

        self.inner = TargetLocks()
        self.times: list[float] = []

    @contextlib.asynccontextmanager
    async def hold(self, address: str, *, wait: float):
        async with self.inner.hold(address, wait=wait):
            self.times.append(time.monotonic())
            try:
                yield
            finally:
                self.times.append(time.monotonic())


async def probe(address: str, port_map: dict[int, int], rate: float) -> None:
    from cyberbasics.config import ScanConfig
    from cyberbasics.net.ratelimit import RateLimiter
    from cyberbasics.scan.evidence.services import PORTS, probe_address

    config = ScanConfig(nameservers=(("127.0.0.1", 53),), lab=True, port_map=port_map,
                        timeout=0.5, domain_timeout=20.0, active=True, rate_limit=rate)
    locks = TimedLocks()
    ports = tuple(p for p in PORTS if p.port in port_map)
    report = await probe_address(config, address, ("worker.example",), RateLimiter(rate),
                                 locks, ports=ports)
    print(json.dumps({"times": locks.times, "error": report.error,
                      "states": {p.port: p.state for p in report.probes}}), flush=True)


def main(argv: list[str]) -> None:
    command, address, *rest = argv
    if command == "hold":
        asyncio.run(hold(address, float(rest[0])))
    elif command == "probe":
        port_map = {int(k): v for k, v in json.loads(rest[0]).items()}
        asyncio.run(probe(address, port_map, float(rest[1])))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
