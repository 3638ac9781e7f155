"""Throughput: scan the lab corpus (1,000 domains, 20 ms added to every DNS answer and every
TCP exchange) with Cyber Basics and with checkdmarc, each in its own processes, the lab in
another.

Two runs of ours over the same domains and the same lab:

* part 1 (issue 3): the domain and email checks only, what checkdmarc also covers, so the two
  tools are compared on the same work;
* all passive checks (issue 4): every check a passive scan runs (`ScanConfig.checks` empty),
  the website and its TLS included. Target: at least 1,500 domains a minute on this machine.

    cd bench && ../.venv/bin/python throughput.py --no-peer
    cd bench && ../.venv/bin/python throughput.py --profile /tmp/prof   # where the CPU goes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import lab_process

BENCH_DIR = Path(__file__).resolve().parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The outside view, part 1 (issue 3): domain and email checks, what checkdmarc also covers.
CHECKS = ("domain.*", "email.*")
ALL_PASSIVE: tuple[str, ...] = ()  # no pattern: every check that is not active
TARGET_PER_MINUTE = 1500  # issue 4, all passive checks
# Domains each scanning process scans at once in the all-passive run: the CLI's default
# (`--concurrency`). The run is CPU-bound from about 20 on (two processes, two CPUs), so more
# only lengthens each domain's scan; since each domain has its own HTTP client, 64 answers
# every check (a batch-wide pool of 100 connections once made fetches time out from ~50 on).
PASSIVE_CONCURRENCY = 64
SCAN_LIMIT_S = 900.0  # no scanning process may take longer than this (bounds every run)


def scan_shard(conn, info: dict, domains: list[str], concurrency: int,
               checks: tuple[str, ...] = CHECKS, profile: str | None = None) -> None:
    """One scanning process: scan its share of the domains and report what it cost; with
    `profile`, under cProfile, its statistics written to that file."""
    from cyberbasics.config import ScanConfig
    from cyberbasics.scan.engine import scan_domains
    from cyberbasics.scan.gather import ScanSession
    from cyberbasics.scan.model import scan_document

    host, port = info["dns"]
    config = ScanConfig(nameservers=((host, port),), ca_file=Path(info["ca_file"]),
                        trust_anchor_file=Path(info["trust_anchor"]), lab=True,
                        port_map={int(k): v for k, v in info["port_map"].items()},
                        timeout=2.0, domain_timeout=30.0, concurrency=concurrency,
                        checks=checks)
    profiler = _Profiler(profile) if profile else None
    cpu_before = _cpu()

    async def run():
        session = ScanSession(config)
        results = await scan_domains(domains, config, session=session)
        await session.aclose()
        return results, session.dns.queries_sent

    started = time.perf_counter()
    if profiler:
        profiler.start()
    results, queries = asyncio.run(run())
    json.dumps(scan_document(results))  # a batch user writes the results out: count it
    if profiler:
        profiler.stop()
    wall = time.perf_counter() - started
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    reasons: Counter[str] = Counter()  # why checks could not tell, in their own words
    for result in results:
        for finding in result.findings:
            status = str(finding.status)
            statuses[status] = statuses.get(status, 0) + 1
            if status == "error":
                errors[finding.check] = errors.get(finding.check, 0) + 1
                reasons[f"{finding.check}: {finding.summary[:160]}"] += 1
    durations = sorted(r.duration_ms for r in results)
    conn.send({"wall_s": wall, "cpu_s": _cpu() - cpu_before, "queries": queries,
               "p50_ms": durations[len(durations) // 2],
               "p99_ms": durations[int(len(durations) * 0.99)], "max_ms": durations[-1],
               "domains": len(results), "failed": sum(1 for r in results if r.error),
               "statuses": statuses, "errors": errors, "reasons": dict(reasons),
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


class _Profiler:
    """pyinstrument (statistical: little overhead, so the scan behaves as unprofiled) when
    it is installed, else cProfile (deterministic, ~2× slower: fetches queue longer);
    statistics to `path` (.pyisession or .prof)."""

    def __init__(self, path: str):
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile

            self.kind, self.path, self._profiler = "cprofile", f"{path}.prof", cProfile.Profile()
        else:
            self.kind, self.path = "pyinstrument", f"{path}.pyisession"
            # Sample whatever the thread runs: the event loop's steps, not one coroutine.
            self._profiler = Profiler(interval=0.001, async_mode="disabled")

    def start(self) -> None:
        if self.kind == "cprofile":
            self._profiler.enable()
        else:
            self._profiler.start()

    def stop(self) -> None:
        if self.kind == "cprofile":
            self._profiler.disable()
            self._profiler.dump_stats(self.path)
        else:
            self._profiler.stop()
            self._profiler.last_session.save(self.path)


def _receive(conn, process, what: str, timeout: float):
    """The next message from `process`, or an error if it dies or says nothing in time."""
    deadline = time.monotonic() + timeout
    while not conn.poll(0.5):
        if not process.is_alive() and not conn.poll():
            raise RuntimeError(f"{what} died (exit code {process.exitcode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer within {timeout:g} s")
    return conn.recv()


def run_ours(info: dict, processes: int, concurrency: int,
             checks: tuple[str, ...] = CHECKS, profile_dir: str | None = None) -> dict:
    context = multiprocessing.get_context("fork")
    domains = info["domains"]
    shards = [domains[i::processes] for i in range(processes)]
    pipes, workers = [], []
    started = time.perf_counter()
    try:
        for n, shard in enumerate(shards):
            parent, child = context.Pipe()
            profile = str(Path(profile_dir) / f"scanner-{n}") if profile_dir else None
            worker = context.Process(target=scan_shard,
                                     args=(child, info, shard, concurrency, checks, profile))
            worker.start()
            pipes.append(parent)
            workers.append(worker)
        reports = [_receive(pipe, worker, f"scanning process {n}", SCAN_LIMIT_S)
                   for n, (pipe, worker) in enumerate(zip(pipes, workers, strict=True))]
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    wall = time.perf_counter() - started
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    reasons: Counter[str] = Counter()
    for report_ in reports:
        for status, count in report_["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
        for check, count in report_["errors"].items():
            errors[check] = errors.get(check, 0) + count
        reasons.update(report_["reasons"])
    return {"checks": list(checks) or ["all passive"], "wall_s": wall,
            "cpu_s": sum(r["cpu_s"] for r in reports),
            "queries": sum(r["queries"] for r in reports),
            "domains": sum(r["domains"] for r in reports),
            "failed": sum(r["failed"] for r in reports), "statuses": statuses,
            "errors": errors, "reasons": dict(reasons.most_common(10)),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in reports), "processes": processes,
            "concurrency": concurrency,
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


def lab_counters(pipe, lab) -> dict:
    pipe.send("cpu")
    counters = _receive(pipe, lab, "the lab process", 60)
    counters["listen_overflows"] = listen_overflows()
    counters["machine_cpu"] = machine_cpu()
    return counters


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, all CPUs; None where
    /proc/stat cannot be read."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(f) for f in fields]
    hertz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks) - idle) / hertz, sum(ticks) / hertz


def listen_overflows() -> int | None:
    """Linux's count of connections dropped because a listening socket's accept queue was
    full (TcpExt ListenOverflows, machine-wide); None where it cannot be read."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table["ListenOverflows"]) if "ListenOverflows" in table else None
    return None


def _measured(pipe, lab, run) -> dict:
    """Run `run()` and add what the lab spent meanwhile: CPU, queries, connections."""
    before = lab_counters(pipe, lab)
    figures = run()
    after = lab_counters(pipe, lab)
    figures["lab_cpu_s"] = after["cpu_s"] - before["cpu_s"]
    figures["lab_queries"] = after["queries"] - before["queries"]
    figures["connections"] = {kind: after["connections"][kind] - before["connections"][kind]
                              for kind in after["connections"]}
    figures["turned_away"] = after["turned_away"] - before["turned_away"]
    if before["listen_overflows"] is not None and after["listen_overflows"] is not None:
        figures["listen_overflows"] = after["listen_overflows"] - before["listen_overflows"]
    if before["machine_cpu"] and after["machine_cpu"]:
        busy = after["machine_cpu"][0] - before["machine_cpu"][0]
        total = after["machine_cpu"][1] - before["machine_cpu"][1]
        # What every process on the machine used meanwhile: ours, the lab's, the kernel's
        # (loopback TCP is processed in softirq time) and whatever else shares the machine.
        figures["machine_busy_cpu_s"] = busy
        figures["machine_busy_share"] = busy / total if total else None
    return figures


def benchmark(count: int = 1000, delay: float = 0.02, processes: int = 2,
              concurrency: int = 200, with_peer: bool = True, part1: bool = True,
              all_checks: bool = True, tcp_delay: float | None = None,
              passive_concurrency: int = PASSIVE_CONCURRENCY,
              profile_dir: str | None = None) -> dict:
    """Start the lab; run part 1, checkdmarc and all passive checks (each optional) against
    it, one after the other; with `profile_dir`, the all-checks run is profiled (and its
    times are then the profiler's, not a benchmark's)."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    lab = context.Process(target=lab_process.serve, args=(child, count, delay, tcp_delay),
                          daemon=True)
    lab.start()
    figures: dict = {"count": count, "delay_ms": delay * 1000, "ours": None, "checkdmarc": None,
                     "all_passive": None}
    try:
        info = _receive(parent, lab, "the lab process", 300)
        figures.update(tcp_delay_ms=info["tcp_delay"] * 1000, web_mix=info["web_mix"],
                       lab_build_cpu_s=info["build_cpu_s"], lab_build_s=info["build_s"])
        if part1:
            figures["ours"] = _measured(parent, lab, lambda: run_ours(
                info, processes, concurrency, CHECKS))
        if with_peer:
            figures["checkdmarc"] = _measured(parent, lab, lambda: run_checkdmarc(info))
        if all_checks:
            figures["all_passive"] = _measured(parent, lab, lambda: run_ours(
                info, processes, passive_concurrency, ALL_PASSIVE, profile_dir))
            figures["all_passive"]["profiled"] = bool(profile_dir)
    finally:
        if lab.is_alive():
            parent.send("stop")
        lab.join(30)
        if lab.is_alive():
            lab.kill()
    return figures


def _ours_line(label: str, ours: dict, n: int) -> str:
    """Counted at the lab's front servers: every TCP connection when the delaying proxies
    are in front; without them (`--tcp-delay 0`), a TLS connection only once its handshake
    is done (asyncio hands it to the server then), so the TLS probes are missing."""
    per_minute = n / ours["wall_s"] * 60
    connections = ours["connections"]
    total = sum(connections.values())
    return (f"  {label}: {per_minute:,.0f} domains/min ({ours['wall_s']:.1f} s, "
            f"{ours['processes']} processes × {ours['concurrency']} domains at once), "
            f"{ours['queries'] / n:.1f} DNS queries/domain, {total / n:.1f} TCP "
            f"connections/domain (HTTPS {connections['https'] / n:.1f}, HTTP "
            f"{connections['http'] / n:.1f}, SMTP {connections['smtp'] / n:.2f}), "
            f"{ours['cpu_s'] / n * 1000:.1f} ms CPU/domain (scanner) + "
            f"{ours['lab_cpu_s'] / n * 1000:.1f} ms (lab servers){_machine(ours, n)}, peak memory "
            f"{ours['peak_rss_mb']:.0f} MB per scanning process; per domain p50 "
            f"{ours['p50_ms'] / 1000:.1f} s, p99 {ours['p99_ms'] / 1000:.1f} s")


def _machine(figures: dict, n: int) -> str:
    """How busy the machine was: on a shared machine, others' work slows ours."""
    if figures.get("machine_busy_share") is None:
        return ""
    others = figures["machine_busy_cpu_s"] - figures["cpu_s"] - figures["lab_cpu_s"]
    return (f"; the machine's {os.cpu_count()} CPUs were {figures['machine_busy_share']:.0%} "
            f"busy, {max(others, 0) / n * 1000:.1f} ms/domain of it neither the scanner's nor "
            f"the lab's (kernel, other processes)")


def _ceiling(figures: dict, n: int) -> str:
    """The domains a minute this machine's CPUs would allow if scanner and lab had them to
    themselves: an upper bound, for comparing runs on a shared machine."""
    cpu = (figures["cpu_s"] + figures["lab_cpu_s"]) / n
    return f"{(os.cpu_count() or 1) * 60 / cpu:,.0f}" if cpu > 0 else "?"


def report(figures: dict) -> list[str]:
    ours, peer, passive = figures["ours"], figures["checkdmarc"], figures["all_passive"]
    n = figures["count"]
    lines = [f"Throughput: {n} lab domains, {figures['delay_ms']:.0f} ms added to every DNS "
             f"answer and {figures.get('tcp_delay_ms', 0):.0f} ms to every TCP exchange"]
    if not figures.get("tcp_delay_ms"):
        lines.append("  (no delaying proxies: TLS connections are counted only once their "
                     "handshake is done, so the TLS probes are missing from the counts)")
    if ours:
        lines.append(f"  Part 1 (checks {', '.join(CHECKS)}):")
        lines.append(_ours_line("Cyber Basics", ours, n))
        lines.append(f"    findings {ours['statuses']}")
    if peer:
        lines.append(
            f"  checkdmarc:   {peer['completed'] / peer['wall_s'] * 60:,.0f} domains/min "
            f"({peer['wall_s']:.1f} s, 32 threads), {peer['queries'] / n:.1f} DNS "
            f"queries/domain, {peer['cpu_s'] / n * 1000:.1f} ms CPU/domain + "
            f"{peer['lab_cpu_s'] / n * 1000:.1f} ms (lab server){_machine(peer, n)}, "
            f"{peer['failed']} failed, {peer.get('escapes', 0)} escapes")
        if ours:
            ratio = (n / ours["wall_s"]) / (peer["completed"] / peer["wall_s"])
            lines.append(f"  ratio: {ratio:.1f}x checkdmarc's throughput (target: at least 5x)")
    if passive:
        per_minute = n / passive["wall_s"] * 60
        if passive.get("profiled"):
            verdict = "profiled run: times are the profiler's, not a benchmark's"
        else:
            verdict = "ok" if per_minute >= TARGET_PER_MINUTE else "BELOW TARGET"
        mix = ", ".join(f"{k} {v}" for k, v in sorted(figures["web_mix"].items(),
                                                      key=lambda i: -i[1]))
        lines.append(f"  All passive checks (websites: {mix}):")
        lines.append(_ours_line("Cyber Basics", passive, n))
        lines.append(f"    target: at least {TARGET_PER_MINUTE:,} domains/min: {verdict} (the CPUs "
                     f"alone would allow {_ceiling(passive, n)} domains/min: scanner and lab CPU "
                     f"per domain, all {os.cpu_count()} CPUs busy, nothing else running)")
        errors = dict(sorted(passive["errors"].items(), key=lambda i: -i[1])[:8])
        more = len(passive["errors"]) - len(errors)
        lines.append(f"    findings {passive['statuses']}; could not check "
                     f"{errors or 'none'}{f' and {more} more checks' if more > 0 else ''}; "
                     f"domains failed {passive['failed']}; "
                     f"connections the lab turned away {passive['turned_away']}, dropped by full "
                     f"accept queues (machine-wide) {passive.get('listen_overflows', 'unknown')}")
        lines += [f"      {count} × {reason}" for reason, count in
                  list(passive["reasons"].items())[:3]]
    return lines


def profile_report(profile_dir: str, top: int = 30) -> list[str]:
    """The scanning processes' profiles merged: the top functions by cumulative time (all
    code, then ours only) and by own time."""
    sessions = sorted(Path(profile_dir).glob("scanner-*.pyisession"))
    if sessions:
        return _pyinstrument_report([str(p) for p in sessions], top)
    paths = sorted(str(p) for p in Path(profile_dir).glob("scanner-*.prof"))
    if not paths:
        return [f"no profiles in {profile_dir}"]
    import io
    import pstats

    lines = []
    for title, order, restriction in (("all code", "cumulative", ()),
                                      ("cyberbasics only", "cumulative", ("cyberbasics",)),
                                      ("all code", "tottime", ())):
        out = io.StringIO()
        stats = pstats.Stats(*paths, stream=out)
        stats.sort_stats(order).print_stats(*restriction, top)
        lines.append(f"-- cProfile: top {top} by {order}, {title} ({len(paths)} processes "
                     "merged) --")
        body = [line for line in out.getvalue().splitlines() if line.strip()]
        start = next((i for i, line in enumerate(body) if line.lstrip().startswith("ncalls")), 0)
        lines += [_short_path(line) for line in body[start:]]
    return lines


def _pyinstrument_report(paths: list[str], top: int) -> list[str]:
    """Cumulative and own time per function from pyinstrument's sampled call trees (a
    function's cumulative time counts each sample once, however deep it recurs)."""
    from pyinstrument.session import Session

    sessions = [Session.load(p) for p in paths]
    session = sessions[0]
    for other in sessions[1:]:
        session = Session.combine(session, other)
    root = session.root_frame()
    total = root.time if root else 0.0
    cumulative: Counter[str] = Counter()
    own: Counter[str] = Counter()

    def walk(frame, open_names: frozenset[str]) -> None:
        if frame.file_path:
            name = f"{_short_path(' ' + frame.file_path).strip()}:{frame.line_no}" \
                   f"({frame.function})"
        else:  # pyinstrument's own frames: the root, [self], [await]
            name = ""
        if name and name not in open_names:
            cumulative[name] += frame.time
        if name:
            own[name] += frame.time - sum(child.time for child in frame.children
                                          if child.file_path)
        for child in frame.children:
            walk(child, open_names | {name} if name else open_names)

    if root is not None:
        walk(root, frozenset())
    lines = [f"-- pyinstrument: {total:.1f} s sampled in {len(paths)} processes (CPU and the "
             f"event loop's idle waits) --"]
    for title, table, keep in (("cumulative, all code", cumulative, lambda n: True),
                               ("cumulative, cyberbasics only", cumulative,
                                lambda n: n.startswith("cyberbasics/")),
                               ("own time, all code", own, lambda n: True)):
        lines.append(f"-- top {top} by {title} --")
        rows = [(n, t) for n, t in table.most_common() if keep(n)][:top]
        lines += [f"  {t:7.2f} s {t / total:6.1%}  {n}" for n, t in rows]
    return lines


def _short_path(line: str) -> str:
    """A pstats line with the site-packages and project prefixes cut from its file name."""
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        head, found, tail = line.partition(marker)
        if found:
            return head[:head.rfind(" ") + 1] + tail
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=200,
                        help="domains each scanning process scans at once (part 1)")
    parser.add_argument("--passive-concurrency", type=int, default=PASSIVE_CONCURRENCY,
                        help="domains each scanning process scans at once (all passive checks)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added to DNS answers")
    parser.add_argument("--tcp-delay", type=float, default=None,
                        help="seconds added to TCP exchanges (default: --delay)")
    parser.add_argument("--no-peer", action="store_true", help="skip checkdmarc")
    parser.add_argument("--no-part1", action="store_true", help="skip the part-1 run")
    parser.add_argument("--no-all", action="store_true", help="skip the all-passive run")
    parser.add_argument("--profile", metavar="DIR",
                        help="profile the all-passive run with cProfile, statistics to DIR")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    figures = benchmark(count=args.domains, delay=args.delay, processes=args.processes,
                        concurrency=args.concurrency, with_peer=not args.no_peer,
                        part1=not args.no_part1, all_checks=not args.no_all,
                        tcp_delay=args.tcp_delay, passive_concurrency=args.passive_concurrency,
                        profile_dir=args.profile)
    print("\n".join(report(figures)), flush=True)
    if args.profile and not args.no_all:
        print("\n".join(profile_report(args.profile)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
