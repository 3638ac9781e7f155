"""The per-address rate limit: spacing by the clock, measured at lab listeners, across a
batch, and across two processes (which the target lock serialises)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest

from cyberbasics.config import ScanConfig
from cyberbasics.lab import services as lab
from cyberbasics.lab.web import LabWebServer, Site
from cyberbasics.lab.zones import ZoneSpec
from cyberbasics.net.ratelimit import RateLimiter, canonical_address, open_limited
from cyberbasics.scan.engine import scan_domains
from cyberbasics.scan.evidence.sensitive_files import PATHS
from cyberbasics.scan.evidence.services import PORTS

from .helpers import ALL_PORTS, active_lab, new_address, records_for

ROOT = Path(__file__).resolve().parents[2]


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_starts_are_spaced_per_address_by_the_clock():
    now = [100.0]

    async def sleep(seconds):
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(5):
        await limiter.acquire("192.0.2.1")
        starts.append(now[0])
    assert starts == [100.0, 100.25, 100.5, 100.75, 101.0]
    await limiter.acquire("::ffff:192.0.2.2")  # another address: no wait
    await limiter.acquire("192.0.2.2")  # the same one, written differently
    assert now[0] == 101.25 and limiter.granted == {"192.0.2.1": 5, "192.0.2.2": 2}
    assert canonical_address("::FFFF:192.0.2.2") == "192.0.2.2"
    with pytest.raises(ValueError):
        RateLimiter(0)


async def test_connections_measured_at_a_listener():
    log: list = []
    async with lab.RecordingServer(log, host=new_address()) as server:
        config = ScanConfig(nameservers=(("127.0.0.1", 53),), lab=True, rate_limit=20.0,
                            port_map={1: server.port}, timeout=1.0)
        limiter = RateLimiter(config.rate_limit)

        async def connect():
            _, writer = await open_limited(config, limiter, server.host, 1)
            writer.close()

        await asyncio.gather(*(connect() for _ in range(30)))
        await asyncio.sleep(0.05)
    times = sorted(t for t, _ in log)
    assert len(times) == 30
    assert most_in_one_second(times) <= 21
    assert times[-1] - times[0] >= 29 / 20 * 0.9  # spaced, not bunched then paused


class TimedSite(LabWebServer):
    """A website that notes when each request for a sensitive path arrives (the scan asks
    for each on a connection of its own)."""

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log

    def route(self, request):
        if request.path != "/":  # the passive home page fetch is not an active connection
            self.log.append((time.monotonic(), 80))
        return super().route(request)


async def test_an_active_scan_keeps_to_the_rate_across_a_batch(tmp_path):
    web = new_address()
    log: list = []
    layout = {web: {port: (lambda h, p: lab.RecordingServer(log, host=h, port=p))
                    for port in ALL_PORTS if port not in (80, 443)}}
    layout[web][80] = lambda h, p: TimedSite({"shop.com": Site(), "other.com": Site()},
                                             host=h, port=p, log=log)
    other = ZoneSpec("other.com", records_for("other.com", apex=[web]))
    async with active_lab(tmp_path, "shop.com", records_for("shop.com", apex=[web]), layout,
                          checks=("services.*", "web.sensitive_files"), rate_limit=50.0,
                          extra_zones=[other]) as (_, config):
        results = await scan_domains(["shop.com", "other.com"], config)
    assert all(r.error is None for r in results)
    # Every active connection but those to 443 (whose listener also sees the passive
    # website fetches): each port once for the batch (web ports twice: the listener closes
    # at once, so the other scheme is tried too), and each domain's file requests.
    times = [t for t, _ in log]
    ports = sum(2 if p.probe in ("http", "https") else 1 for p in PORTS if p.port != 443)
    assert len([1 for _, port in log if port == 80]) == 2 * (len(PATHS) + 1)
    assert len(times) == ports + 2 * (len(PATHS) + 1)
    assert most_in_one_second(times) <= 51


def _spawn(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return asyncio.create_subprocess_exec(sys.executable, "-m", "tests.services.worker", *args,
                                          stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env)


async def test_two_processes_scanning_one_address_take_turns_within_the_rate(_lock_dir):
    address = new_address()
    log: list = []
    ports = [22, 23, 3389, 5900, 445, 3306, 6379, 110, 143, 21]
    layout = {address: {p: (lambda h, q: lab.RecordingServer(log, host=h, port=q))
                        for p in ports}}
    async with lab.ServiceLab(layout, ports=ports) as services:
        port_map = json.dumps(services.port_map)
        workers = [await _spawn("probe", address, port_map, "20") for _ in range(2)]
        outputs = await asyncio.wait_for(
            asyncio.gather(*(w.communicate() for w in workers)), 30)
    reports = [json.loads(out) for out, _ in outputs]
    assert all(w.returncode == 0 for w in workers)
    assert all(r["error"] is None and set(r["states"].values()) == {"open"} for r in reports)
    (_, first_end), (second_start, _) = sorted(tuple(r["times"]) for r in reports)
    assert first_end <= second_start  # never both at once
    times = [t for t, _ in log]
    assert len(times) == 2 * len(ports)
    assert most_in_one_second(times) <= 21
