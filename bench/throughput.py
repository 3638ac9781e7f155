"""Throughput: scan the lab corpus (1,000 domains, 20 ms added to every DNS answer) with
Cyber Basics and with checkdmarc, each in its own process, the lab in a third."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lab_process

BENCH_DIR = Path(__file__).resolve().parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The outside view, part 1 (issue 3): domain and email checks, what checkdmarc also covers.
# Website checks (part 2) get their own benchmark with websites in the corpus.
CHECKS = ("domain.*", "email.*")


def scan_shard(conn, info: dict, domains: list[str], concurrency: int,
               checks: tuple[str, ...] = CHECKS) -> None:
    """One scanning process: scan its share of the domains and report what it cost."""
    from cyberbasics.config import ScanConfig
    from cyberbasics.scan.engine import scan_domains
    from cyberbasics.scan.gather import ScanSession
    from cyberbasics.scan.model import scan_document

    host, port = info["dns"]
    config = ScanConfig(nameservers=((host, port),), ca_file=Path(info["ca_file"]),
                        trust_anchor_file=Path(info["trust_anchor"]), lab=True,
                        port_map={53: port, 25: info["smtp_port"], 443: info["web_port"]},
                        timeout=2.0, domain_timeout=30.0, concurrency=concurrency,
                        checks=checks)
    cpu_before = _cpu()

    async def run():
        session = ScanSession(config)
        results = await scan_domains(domains, config, session=session)
        await session.aclose()
        return results, session.dns.queries_sent

    started = time.perf_counter()
    results, queries = asyncio.run(run())
    json.dumps(scan_document(results))  # a batch user writes the results out: count it
    wall = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for result in results:
        for finding in result.findings:
            status = str(finding.status)
            statuses[status] = statuses.get(status, 0) + 1
    durations = sorted(r.duration_ms for r in results)
    conn.send({"wall_s": wall, "cpu_s": _cpu() - cpu_before, "queries": queries,
               "p50_ms": durations[len(durations) // 2],
               "p99_ms": durations[int(len(durations) * 0.99)], "max_ms": durations[-1],
               "domains": len(results), "failed": sum(1 for r in results if r.error),
               "statuses": statuses,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_ours(info: dict, processes: int, concurrency: int) -> dict:
    context = multiprocessing.get_context("fork")
    domains = info["domains"]
    shards = [domains[i::processes] for i in range(processes)]
    pipes, workers = [], []
    started = time.perf_counter()
    for shard in shards:
        parent, child = context.Pipe()
        worker = context.Process(target=scan_shard, args=(child, info, shard, concurrency))
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    reports = [pipe.recv() for pipe in pipes]
    wall = time.perf_counter() - started
    for worker in workers:
        worker.join(30)
    statuses: dict[str, int] = {}
    for report in reports:
        for status, count in report["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return {"wall_s": wall, "cpu_s": sum(r["cpu_s"] for r in reports),
            "queries": sum(r["queries"] for r in reports),
            "domains": sum(r["domains"] for r in reports),
            "failed": sum(r["failed"] for r in reports), "statuses": statuses,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in reports), "processes": processes,
            "p50_ms": max(r["p50_ms"] for r in reports),
            "p99_ms": max(r["p99_ms"] for r in reports),
            "max_ms": max(r["max_ms"] for r in reports)}


def run_checkdmarc(info: dict, threads: int = 32) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(info["domains"]))
    host, port = info["dns"]
    # checkdmarc runs from its own venv (see the Makefile); this one lacks it.
    python = os.environ.get("PEER_PYTHON", sys.executable)
    command = [python, str(BENCH_DIR / "peer_checkdmarc.py"), "--nameserver",
               f"{host}:{port}", "--file", handle.name, "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "PYTHONPATH": str(BENCH_DIR)})
    os.unlink(handle.name)
    if done.returncode != 0:
        raise RuntimeError(f"checkdmarc did not run: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def lab_cpu(pipe) -> dict:
    pipe.send("cpu")
    return pipe.recv()


def benchmark(count: int = 1000, delay: float = 0.02, processes: int = 2,
              concurrency: int = 200, with_peer: bool = True) -> dict:
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    lab = context.Process(target=lab_process.serve, args=(child, count, delay), daemon=True)
    lab.start()
    info = parent.recv()
    try:
        before = lab_cpu(parent)
        ours = run_ours(info, processes, concurrency)
        after = lab_cpu(parent)
        ours["lab_cpu_s"] = after["cpu_s"] - before["cpu_s"]
        ours["lab_queries"] = after["queries"] - before["queries"]
        peer = None
        if with_peer:
            before = lab_cpu(parent)
            peer = run_checkdmarc(info)
            after = lab_cpu(parent)
            peer["lab_cpu_s"] = after["cpu_s"] - before["cpu_s"]
            peer["lab_queries"] = after["queries"] - before["queries"]
    finally:
        parent.send("stop")
        lab.join(30)
    return {"count": count, "delay_ms": delay * 1000, "ours": ours, "checkdmarc": peer}


def report(figures: dict) -> list[str]:
    ours, peer = figures["ours"], figures["checkdmarc"]
    n = figures["count"]
    per_minute = n / ours["wall_s"] * 60
    lines = [
        f"Throughput: {n} lab domains, {figures['delay_ms']:.0f} ms added to every DNS answer "
        f"(checks {', '.join(CHECKS)})",
        f"  Cyber Basics: {per_minute:,.0f} domains/min ({ours['wall_s']:.1f} s, "
        f"{ours['processes']} processes), {ours['queries'] / n:.1f} DNS queries/domain, "
        f"{ours['cpu_s'] / n * 1000:.1f} ms CPU/domain (scanner) + "
        f"{ours['lab_cpu_s'] / n * 1000:.1f} ms (lab server), peak memory "
        f"{ours['peak_rss_mb']:.0f} MB per process, findings {ours['statuses']}",
    ]
    if peer:
        peer_per_minute = peer["completed"] / peer["wall_s"] * 60
        lines.append(
            f"  checkdmarc:   {peer_per_minute:,.0f} domains/min ({peer['wall_s']:.1f} s, "
            f"32 threads), {peer['queries'] / n:.1f} DNS queries/domain, "
            f"{peer['cpu_s'] / n * 1000:.1f} ms CPU/domain + {peer['lab_cpu_s'] / n * 1000:.1f} "
            f"ms (lab server), {peer['failed']} failed, {peer.get('escapes', 0)} escapes")
        lines.append(f"  ratio: {per_minute / peer_per_minute:.1f}x checkdmarc's throughput "
                     "(target: at least 5x)")
    return lines
