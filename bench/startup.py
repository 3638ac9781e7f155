"""Start-up: `cyberbasics spf check` is run thousands of times by scripts and mail filters,
so one run against a local resolver must cost well under 0.3 s of CPU."""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import threading
from pathlib import Path

from cyberbasics.lab.world import running_world

CLI = Path(sys.executable).with_name("cyberbasics")
RUNS = 15


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def benchmark(runs: int = RUNS) -> dict:
    ready = threading.Event()
    stop: dict = {}
    loop = asyncio.new_event_loop()

    async def serve():
        async with running_world() as world:
            stop["world"], stop["event"] = world, asyncio.Event()
            ready.set()
            await stop["event"].wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    if not ready.wait(60):
        raise RuntimeError("the lab did not start")
    world = stop["world"]
    command = [str(CLI), "spf", "check", "--ip", "127.0.10.1", "--sender",
               "billing@bakery.example", "--helo", "mx.bakery.example", "--nameserver",
               f"{world.dns.host}:{world.dns.port}", "--lab"]
    samples = []
    try:
        for _ in range(runs):
            before = _children_cpu()
            done = subprocess.run(command, capture_output=True, text=True, timeout=30,
                                  env={**os.environ, "CYBERBASICS_LAB": "1"})
            samples.append(_children_cpu() - before)
            if not done.stdout.startswith("pass:"):
                raise RuntimeError(f"unexpected spf check output: {done.stdout}{done.stderr}")
    finally:
        loop.call_soon_threadsafe(stop["event"].set)
        thread.join(10)
    return {"runs": runs, "median_cpu_s": statistics.median(samples), "max_cpu_s": max(samples)}


def report(figures: dict) -> list[str]:
    return [f"Start-up: `cyberbasics spf check` against the lab resolver: "
            f"{figures['median_cpu_s']:.3f} s CPU (median of {figures['runs']} runs, "
            f"max {figures['max_cpu_s']:.3f} s; target under 0.3 s)"]


if __name__ == "__main__":
    print("\n".join(report(benchmark())))
