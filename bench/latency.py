"""Latency: one domain's passive scan (every passive check: domain, email, website, TLS),
with the lab adding 50 ms to every DNS answer and TCP exchange, against the critical path
computed from the lab's zone data and websites (`critical_path`).

The issue's target: the wall time of one domain's passive scan is at most 1.5 × its critical
path (the longest chain of round trips that depend on each other) × the added delay.

The demo world (`running_world(delay=...)`) runs in its own process, as a far-away network
would: its servers' CPU (TLS handshakes, the delaying proxies) never holds up the scanner's
event loop. Each domain is scanned in a fresh process with a new `ScanSession`: no DNS
answer, no connection and no lazily loaded data (texts, Public Suffix List, TLS contexts) is
warm; only the scanner's modules are imported before the clock starts. The figure is the
median of `repeat` such processes. A second scan in each process, with another new session,
shows what is left once the one-time loading is done ("warm process"). One more process,
with every collector timed, shows which chain took longer than it needs to.

    cd bench && ../.venv/bin/python latency.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from pathlib import Path

from critical_path import CriticalPath, world_critical_path

DELAY = 0.05
# bakery: everything in order; florist: a longer SPF chain and an expired mail certificate;
# plumber: no working HTTPS (another site's certificate), so the TLS evidence needs its
# second, unverified handshake before the probes.
DOMAINS = ("bakery.example", "florist.example", "plumber.example")
REPRESENTATIVE = "bakery.example"
TARGET = 1.5
# Which of the scanner's collectors finish each chain of the critical path model.
CHAIN_COLLECTORS = {
    "SOA/NS": ("soa", "ns"),
    "nameserver serials": ("ns_serials",),
    "DNSSEC": ("dnssec",),
    "CAA": ("caa",),
    "mail servers": ("mx", "starttls"),
    "SPF": ("spf",),
    "DMARC": ("dmarc", "dmarc_reporting"),
    "DKIM": ("dkim",),
    "MTA-STS": ("mta_sts",),
    "TLS-RPT": ("tls_rpt",),
    "website": ("web",),
    "security.txt": ("security_txt",),
    "TLS": ("tls",),
}
# A chain "took longer than it needs to" when it ends this many round trips after its model.
SLACK_RTT = 0.5


# -- the lab process ----------------------------------------------------------------------


def serve_world(conn, delay: float) -> None:
    """Run the demo world with `delay`, send its addresses, serve until told to stop."""
    asyncio.run(_serve_world(conn, delay))


async def _serve_world(conn, delay: float) -> None:
    import logging

    from cyberbasics.lab.world import running_world

    # Python 3.11's streams warn "returning true from eof_received() has no effect when using
    # ssl" when a client half-closes a STARTTLS session (the proxy relays the FIN): noise.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    async with running_world(delay=delay) as world:
        conn.send({"dns": list(world.dns.address), "port_map": world.port_map,
                   "ca_file": str(world.ca_file),
                   "trust_anchor": str(world.trust_anchor_file)})
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"


# -- the scanning process -----------------------------------------------------------------


def _config(info: dict):
    """The scan configuration `RunningWorld.config()` gives, from the lab's addresses."""
    from cyberbasics.config import ScanConfig

    return ScanConfig(nameservers=(tuple(info["dns"]),), ca_file=Path(info["ca_file"]),
                      trust_anchor_file=Path(info["trust_anchor"]), lab=True,
                      port_map={int(k): v for k, v in info["port_map"].items()},
                      timeout=2.0, domain_timeout=20.0, checks=())  # () : every passive check


def scan_process(conn, info: dict, domain: str, timed: bool) -> None:
    """Scan `domain` twice (a cold process, then a warm one), each with a new session, and
    send the figures; with `timed`, when each collector started and finished as well."""
    from cyberbasics.scan import gather
    from cyberbasics.scan.engine import scan_domains

    config = _config(info)
    registry = gather.collectors()  # imports every collector module: not a cache
    marks: dict[str, tuple[float, float]] = {}
    clock = [0.0]
    if timed:
        for name, func in list(registry.items()):
            registry[name] = _timed(name, func, marks, clock)

    async def scan() -> dict:
        marks.clear()
        session = gather.ScanSession(config)
        clock[0] = time.perf_counter()
        try:
            [result] = await scan_domains([domain], config, session=session)
            wall = time.perf_counter() - clock[0]
        finally:
            await session.aclose()
        statuses: dict[str, int] = {}
        for finding in result.findings:
            statuses[str(finding.status)] = statuses.get(str(finding.status), 0) + 1
        return {"wall_s": wall, "queries": session.dns.queries_sent,
                "error": result.error.code if result.error else None, "statuses": statuses,
                "collectors": dict(marks)}

    async def both() -> dict:
        return {"cold": await scan(), "warm": await scan()}

    conn.send(asyncio.run(both()))


def _timed(name, func, marks, clock):
    async def run(ctx):
        started = time.perf_counter() - clock[0]
        try:
            return await func(ctx)
        finally:
            marks[name] = (started, time.perf_counter() - clock[0])

    return run


def _receive(conn, process, what: str, timeout: float = 120.0):
    """The next message from `process`, or an error if it dies or says nothing in time."""
    deadline = time.monotonic() + timeout
    while not conn.poll(0.5):
        if not process.is_alive() and not conn.poll():
            raise RuntimeError(f"{what} died (exit code {process.exitcode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer within {timeout:g} s")
    return conn.recv()


def _in_fresh_process(context, info: dict, domain: str, timed: bool) -> dict:
    parent, child = context.Pipe()
    worker = context.Process(target=scan_process, args=(child, info, domain, timed))
    worker.start()
    try:
        return _receive(parent, worker, f"the process scanning {domain}")
    finally:
        worker.join(30)
        if worker.is_alive():
            worker.kill()


# -- the benchmark ------------------------------------------------------------------------


def chain_timings(path: CriticalPath, collectors: dict, delay: float) -> list[dict]:
    """For each chain: when the model says it can end, when its collectors ended, and the
    difference in round trips (collector times in seconds since the scan started)."""
    rows = []
    for chain in path.chains:
        ends = [collectors[n][1] for n in CHAIN_COLLECTORS.get(chain.name, ()) if n in collectors]
        if not ends:
            continue
        measured = max(ends)
        rows.append({"chain": chain.name, "model_rtt": chain.rtt,
                     "model_ms": chain.rtt * delay * 1000, "measured_ms": measured * 1000,
                     "measured_rtt": measured / delay,
                     "excess_rtt": measured / delay - chain.rtt})
    return rows


def benchmark(domains: tuple[str, ...] = DOMAINS, delay: float = DELAY, repeat: int = 3,
              timings: bool = True) -> dict:
    """Run the lab with `delay`; scan each domain `repeat` times, each time in a fresh process
    (cold), then again in that process (warm); compare the medians with the critical path.
    With `timings`, one more process times every collector, to show which chain is slow."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    lab = context.Process(target=serve_world, args=(child, delay), daemon=True)
    lab.start()
    figures: dict = {"delay_ms": delay * 1000, "target": TARGET, "repeat": repeat,
                     "representative": REPRESENTATIVE if REPRESENTATIVE in domains else domains[0],
                     "domains": {}}
    try:
        info = _receive(parent, lab, "the lab process")
        for domain in domains:
            figures["domains"][domain] = _measure(context, info, domain, delay, repeat, timings)
    finally:
        if lab.is_alive():
            parent.send("stop")
        lab.join(30)
    main = figures["domains"][figures["representative"]]
    figures["wall_ms"] = main["cold"]["wall_ms"]
    figures["critical_path_ms"] = main["critical_path_ms"]
    figures["ratio"] = main["cold"]["ratio"]
    figures["ok"] = figures["ratio"] <= TARGET
    return figures


def _measure(context, info: dict, domain: str, delay: float, repeat: int, timings: bool) -> dict:
    path = world_critical_path(domain)
    critical_s = path.rtt * delay
    runs = [_in_fresh_process(context, info, domain, timed=False) for _ in range(repeat)]
    entry: dict = {"critical_path_rtt": path.rtt, "critical_path_ms": critical_s * 1000,
                   "critical": [c.name for c in path.critical], "chains": path.breakdown(),
                   "chain_steps": [c.describe() for c in path.chains]}
    for kind in ("cold", "warm"):
        walls = sorted(run[kind]["wall_s"] for run in runs)
        wall = statistics.median(walls)
        last = runs[-1][kind]
        entry[kind] = {"wall_ms": wall * 1000, "ratio": wall / critical_s,
                       "walls_ms": [w * 1000 for w in walls], "queries": last["queries"],
                       "error": last["error"], "statuses": last["statuses"]}
    if timings:
        timed = _in_fresh_process(context, info, domain, timed=True)
        for kind in ("cold", "warm"):
            collectors = timed[kind]["collectors"]
            entry[kind]["timed_wall_ms"] = timed[kind]["wall_s"] * 1000
            entry[kind]["collectors_ms"] = {
                name: (start * 1000, end * 1000)
                for name, (start, end) in sorted(collectors.items(), key=lambda i: i[1][1])}
            entry[kind]["chains_timed"] = chain_timings(path, collectors, delay)
    return entry


def report(figures: dict) -> list[str]:
    delay = figures["delay_ms"]
    lines = [f"Latency: one domain's passive scan (all passive checks), {delay:.0f} ms added to "
             f"every DNS answer and TCP exchange (target: wall ≤ {figures['target']:g} × "
             f"critical path; median of {figures['repeat']} fresh processes)"]
    for domain, entry in figures["domains"].items():
        cold, warm = entry["cold"], entry["warm"]
        verdict = "ok" if cold["ratio"] <= figures["target"] else "ABOVE TARGET"
        marker = " (representative)" if domain == figures["representative"] else ""
        spread = f"{min(cold['walls_ms']):.0f}–{max(cold['walls_ms']):.0f}"
        lines.append(
            f"  {domain}{marker}: wall {cold['wall_ms']:.0f} ms ({spread}), critical path "
            f"{entry['critical_path_rtt']:g} RTT × {delay:.0f} ms = "
            f"{entry['critical_path_ms']:.0f} ms ({', '.join(entry['critical'])}), "
            f"ratio {cold['ratio']:.2f} {verdict}")
        lines.append(f"    warm process (modules and data files already loaded, new session): "
                     f"{warm['wall_ms']:.0f} ms, ratio {warm['ratio']:.2f}; "
                     f"{cold['queries']} DNS queries")
        lines.append("    chains (RTT): " + ", ".join(
            f"{name} {rtt:g}" for name, rtt in entry["chains"].items()))
        for kind in ("cold", "warm"):
            slow = [row for row in entry[kind].get("chains_timed", ())
                    if row["excess_rtt"] > SLACK_RTT]
            for row in sorted(slow, key=lambda r: -r["measured_ms"]):
                lines.append(
                    f"    {kind}: {row['chain']} ended at {row['measured_ms']:.0f} ms = "
                    f"{row['measured_rtt']:.1f} RTT, model {row['model_rtt']:g} RTT "
                    f"(+{row['excess_rtt']:.1f})")
    return lines


if __name__ == "__main__":
    import json
    import sys

    result = benchmark()
    print("\n".join(report(result)))
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2, default=str))
