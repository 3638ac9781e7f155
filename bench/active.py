"""Active scan (issue 4): 100 lab hosts with 25 ports each: hosts per minute, and proof that
the per-target rate limit holds.

The lab (its own process, so its CPU is measured apart from the scanner's): every host is a
loopback address (127.0.160.1, 127.0.160.2, ...) and the A record of its own lab domain
(`shop001.example`, ...) in the lab DNS. Each host has the same `--ports` of the active scan's
standard ports, in a realistic mix made from a fixed seed: most closed (bound, not
listening: refused), some open with a service that answers as the real one would (SSH, FTP,
SMTP, IMAP, POP3, MySQL, Redis with and without a password, a web control panel over HTTP
and over HTTPS, an HTTPS site, RDP, a silent SMB port), and on about one host in ten a few
filtered ports (connections time out, as behind a firewall that drops them). `ServiceLab`
runs the layout; the lab's DNS answers for every domain.

The scanner (its own process): `scan_domains(ScanConfig(active=True, checks=("services.*",),
rate_limit=RATE, concurrency=...))` of every domain, a fresh session and lock folder. The
active scan probes 36 standard ports; with `--ports N` below 36 it probes only the N of them
the lab serves (`probe_address`'s `ports` default is replaced in the scanning process, the
only change made to the scanner). Figures: wall time of `scan_domains`, hosts per minute,
scanner CPU per host, connections per host, and the wall time against two lower bounds:

* the rate bound of the issue: ceil(hosts / concurrency) waves × ports per host / rate;
* the floor with timeouts: each host needs at least (its connections - 1) / rate, and a host
  with a filtered port (the connect times out) or a silent service (SMB: the read times out)
  at least the timeout; hosts take the engine's slots in its order.

Proof of the rate limit, from four independent records of every new connection, each per
target address; the figure is the most new connections to one address in any closed
one-second window (both ends included), which must be at most rate + 1:

* ``syn``: every TCP SYN to a lab host seen on the loopback interface (a packet socket with a
  kernel filter; kernel time stamps; a retransmitted SYN is not a new connection). It sees
  closed (refused) and filtered ports too. Needs CAP_NET_RAW, else it is left out (said so);
* ``connect``: the scanner's connect() calls, timed where asyncio creates each connection
  (``BaseEventLoop.create_connection``, wrapped in the scanning process), with the outcome;
* ``granted``: the moments the scanner's `RateLimiter` let a connection start;
* ``accepted``: the connections the lab's listeners accepted (open ports only; timed when
  the server's handler starts, i.e. after the TLS handshake on TLS ports, so it can only
  lag the SYN).

At 25 ports a host gets 25 connections, so above 24 per second a one-second window cannot
break the limit whatever the scanner does: the pace column (new connections per second to one
address, first to last, median over hosts) shows the setting being followed there. The run is
repeated at `--other-rates` (default 10 and 50) to show that both follow the setting.

Also reported, to show where the time goes: per host, the time before its first connection
(DNS, lock), the rate's spacing, and after its last start; the host that finished last; and
how late the scanner's event loop ran a 5 ms timer (a granted connection starts that late).

    .venv/bin/python bench/active.py [--hosts 100] [--ports 25] [--rate 20]
    .venv/bin/python bench/active.py --profile /tmp/active.prof   # where the scanner's CPU goes
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import ipaddress
import itertools
import json
import math
import multiprocessing
import os
import random
import resource
import select
import shutil
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

# Not 127.0.60.x, which the test suite's active scans use (tests/services/helpers.py): a SYN
# record shared with a test run elsewhere on this machine would count its connections too.
FIRST_HOST = "127.0.160.1"
MAX_HOSTS = 1000
SEED = 4
CHECKS = ("services.*",)
TIME_LIMIT_S = 600.0  # the whole benchmark, every run included
RUN_RESERVE_S = 30.0  # a further run starts only with this much of the time limit left
LAG_TICK = 0.005  # the scanning process's event loop is watched with a timer this often
LAG_NOTED = 0.005  # and a timer run later than this is noted
# The order in which --ports N takes the active scan's standard ports: the first 25 cover
# every group the checks judge (remote access, file sharing, databases, panels, clear-text
# mail, SSH) and the services a small business most often exposes.
PORT_ORDER = (22, 21, 6379, 8080, 3389, 5900, 23, 445, 139, 873, 3306, 5432, 1433, 27017,
              9200, 11211, 2082, 2083, 2222, 10000, 110, 143, 25, 587, 443,
              5901, 2049, 5984, 2086, 2087, 5000, 5001, 8443, 8880, 4443, 10443)
# What a host may run, on which standard port, and how often (share of hosts).
SERVICE_MIX = (
    # (kind, port, share)
    ("ssh", 22, 0.55), ("ssh-old", 22, 0.20),
    ("ftp", 21, 0.25),
    ("redis-open", 6379, 0.08), ("redis-password", 6379, 0.04),
    ("panel", 8080, 0.12), ("panel-tls", 2083, 0.05),
    ("rdp", 3389, 0.04), ("smb", 445, 0.02),
    ("mysql", 3306, 0.08),
    ("pop3", 110, 0.08), ("imap", 143, 0.10),
    ("smtp", 25, 0.20), ("smtp", 587, 0.10),
    ("https", 443, 0.30),
)
FILTERED_SHARE = 0.10  # hosts behind a firewall that drops a few ports
FILTERED_CANDIDATES = (445, 139, 3389, 1433, 5900, 23)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft limit on open files to the hard limit (the lab holds a socket per host
    and port); returns (soft, hard) as they are now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# -- the plan: hosts, their domains, what each port does ----------------------------------


def host_addresses(count: int, first: str = FIRST_HOST) -> list[str]:
    """`count` consecutive loopback addresses from `first`, skipping .0 and .255."""
    if not 0 < count <= MAX_HOSTS:
        raise ValueError(f"between 1 and {MAX_HOSTS} hosts")
    addresses, current = [], ipaddress.IPv4Address(first)
    while len(addresses) < count:
        if current.packed[3] not in (0, 255):
            addresses.append(str(current))
        current += 1
    if ipaddress.IPv4Address(addresses[-1]) not in ipaddress.IPv4Network("127.0.0.0/8"):
        raise ValueError("the hosts must stay in 127.0.0.0/8")
    return addresses


def chosen_ports(count: int) -> tuple[int, ...]:
    if not 1 <= count <= len(PORT_ORDER):
        raise ValueError(f"between 1 and {len(PORT_ORDER)} ports (the active scan's list)")
    return PORT_ORDER[:count]


def build_plan(hosts: int, ports: int, seed: int = SEED,
               filtered_share: float = FILTERED_SHARE) -> dict:
    """Every host's address, domain, services ({standard port: kind}) and filtered ports,
    from a fixed seed; only ports among the chosen ones are used."""
    chosen = chosen_ports(ports)
    rng = random.Random(seed)
    entries = []
    for n, address in enumerate(host_addresses(hosts), start=1):
        services: dict[int, str] = {}
        for kind, port, share in SERVICE_MIX:
            if port in chosen and port not in services and rng.random() < share:
                services[port] = kind
        filtered: list[int] = []
        if rng.random() < filtered_share:
            free = [p for p in FILTERED_CANDIDATES if p in chosen and p not in services]
            filtered = sorted(rng.sample(free, min(len(free), rng.randint(1, 3))))
        entries.append({"address": address, "domain": f"shop{n:03d}.example",
                        "services": services, "filtered": filtered})
    return {"ports": list(chosen), "hosts": entries, "seed": seed}


SILENT_KINDS = ("smb",)  # open, but say nothing: the scanner reads until its timeout


def waits_for_timeout(host: dict) -> bool:
    """Whether some probe of the host can only end with the timeout: a filtered port, or an
    open one whose service never speaks."""
    return bool(host["filtered"]) or any(k in SILENT_KINDS for k in host["services"].values())


def expected_state(host: dict, port: int) -> str:
    if port in host["services"]:
        return "open"
    return "filtered" if port in host["filtered"] else "closed"


def plan_mix(plan: dict) -> dict:
    """How many host ports are open, closed and filtered, and which services run."""
    states = {"open": 0, "closed": 0, "filtered": 0}
    kinds: dict[str, int] = {}
    for host in plan["hosts"]:
        for port in plan["ports"]:
            states[expected_state(host, port)] += 1
        for kind in host["services"].values():
            kinds[kind] = kinds.get(kind, 0) + 1
    return {"states": states, "services": dict(sorted(kinds.items(), key=lambda i: -i[1])),
            "hosts_with_filtered": sum(1 for h in plan["hosts"] if h["filtered"]),
            "hosts_with_timeouts": sum(1 for h in plan["hosts"] if waits_for_timeout(h))}


# -- figures --------------------------------------------------------------------------------


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most moments in any closed window of `window` seconds (both ends included)."""
    times = sorted(times)
    best = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def min_spacing(times: list[float]) -> float | None:
    times = sorted(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return min(gaps) if gaps else None


def pace(times: list[float]) -> float | None:
    """New connections per second to one address from its first to its last."""
    times = sorted(times)
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def busiest(by_address: dict[str, list[float]], window: float = 1.0) -> dict:
    """The address with the most new connections in one window, the smallest gap between two
    new connections to one address, and the pace per address (median and highest)."""
    best, where = 0, None
    for address, times in by_address.items():
        count = max_in_window(times, window)
        if count > best:
            best, where = count, address
    gaps = [g for g in (min_spacing(t) for t in by_address.values()) if g is not None]
    paces = sorted(p for p in (pace(t) for t in by_address.values()) if p is not None)
    return {"max_per_window": best, "address": where, "min_gap_s": min(gaps) if gaps else None,
            "total": sum(len(t) for t in by_address.values()),
            "pace_median": paces[len(paces) // 2] if paces else None,
            "pace_max": paces[-1] if paces else None}


def median(values: list[float]) -> float | None:
    values = sorted(values)
    return values[len(values) // 2] if values else None


FIRST_WAVE_S = 0.05  # hosts that got a slot this soon after the start: the first wave


def loop_lag(lags: list[tuple[float, float]], begun: float) -> dict:
    """How late the scanner's event loop ran a 5 ms timer: the worst delay, when, and the
    time spent more than 10 ms late (a connection granted then starts that much later)."""
    if not lags:
        return {"max_ms": 0.0, "at_s": None, "over_10ms_s": 0.0, "count": 0}
    worst = max(lags, key=lambda item: item[1])
    return {"max_ms": worst[1] * 1000, "at_s": worst[0] - begun, "count": len(lags),
            "over_10ms_s": sum(late for _, late in lags if late > 0.010)}


def phases(spans: dict[str, tuple[float, float]], grants: dict[str, list[float]],
           hosts: list[dict], begun: float) -> dict:
    """Where each host's time goes: waiting for one of the engine's slots, before its first
    connection (DNS, lock), between its first and last connection (the rate's spacing), and
    after the last one started (its exchange, or a timeout); medians, and the
    host that finished last."""
    rows = []
    for host in hosts:
        span, times = spans.get(host["domain"]), sorted(grants.get(host["address"], ()))
        if span is None or not times:
            continue
        start, end = span
        rows.append({"address": host["address"], "waits": waits_for_timeout(host),
                     "slot_wait_s": start - begun, "before_first_s": times[0] - start,
                     "spacing_s": times[-1] - times[0], "after_last_s": end - times[-1],
                     "host_s": end - start, "end_s": end - begun})
    if not rows:
        return {}
    keys = ("slot_wait_s", "before_first_s", "spacing_s", "after_last_s", "host_s")
    first = [r for r in rows if r["slot_wait_s"] < FIRST_WAVE_S]
    later = [r for r in rows if r["slot_wait_s"] >= FIRST_WAVE_S]
    result = {"median": {k: median([r[k] for r in rows]) for k in keys},
              "before_first_s": {"first_wave": median([r["before_first_s"] for r in first]),
                                 "later": median([r["before_first_s"] for r in later])},
              "last": max(rows, key=lambda r: r["end_s"])}
    plain = [r for r in rows if not r["waits"]]
    result["median_no_timeout_host_s"] = median([r["host_s"] for r in plain])
    return result


def waves(hosts: int, concurrency: int) -> int:
    return math.ceil(hosts / min(concurrency, hosts))


def rate_bound(hosts: int, ports: int, rate: float, concurrency: int) -> float:
    """The issue's bound: ports per host / rate, for each wave of `concurrency` hosts."""
    return waves(hosts, concurrency) * ports / rate


def floor_with_timeouts(per_host: list[tuple[int, bool]], rate: float, concurrency: int,
                        timeout: float) -> float:
    """The least wall time the scan could take: each host (connections, waits for a timeout)
    needs (connections - 1) / rate, and at least `timeout` if it must wait for one; hosts take
    the first free of `concurrency` slots in order, as the engine's semaphore gives them."""
    slots = [0.0] * min(concurrency, max(1, len(per_host)))
    for connections, filtered in per_host:
        need = max(max(connections - 1, 0) / rate, timeout if filtered else 0.0)
        heapq.heappush(slots, heapq.heappop(slots) + need)
    return max(slots)


def by_address(entries, addresses) -> dict[str, list[float]]:
    """{address: [moment, ...]} from (moment, address, ...) rows, for the lab's hosts only."""
    wanted = set(addresses)
    found: dict[str, list[float]] = {a: [] for a in addresses}
    for row in entries:
        if row[1] in wanted:
            found[row[1]].append(row[0])
    return found


# -- seeing SYNs on the loopback interface ------------------------------------------------

ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4


def capture_network(addresses: list[str]) -> tuple[int, int]:
    """(network, mask) as integers: the smallest network holding every address."""
    numbers = [int(ipaddress.IPv4Address(a)) for a in addresses]
    low, high = min(numbers), max(numbers)
    prefix = 32
    while prefix > 0 and (low >> (32 - prefix)) != (high >> (32 - prefix)):
        prefix -= 1
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return low & mask, mask


def syn_filter(network: int, mask: int, snap: int = 128) -> bytes:
    """A classic BPF program for a SOCK_DGRAM packet socket (offsets from the IP header):
    keep TCP segments to `network`/`mask` with SYN set and ACK clear, first fragments only."""
    program = [
        (0x30, 0, 0, 9),            # 0: ldb [9]            protocol
        (0x15, 0, 10, 6),           # 1: jeq #6 (TCP)       else drop
        (0x20, 0, 0, 16),           # 2: ld [16]            destination
        (0x54, 0, 0, mask),         # 3: and #mask
        (0x15, 0, 7, network),      # 4: jeq #network       else drop
        (0x28, 0, 0, 6),            # 5: ldh [6]            flags, fragment offset
        (0x45, 5, 0, 0x1FFF),       # 6: jset #0x1fff       a later fragment: drop
        (0xB1, 0, 0, 0),            # 7: ldxb 4*([0]&0xf)   IP header length
        (0x50, 0, 0, 13),           # 8: ldb [x+13]         TCP flags
        (0x54, 0, 0, 0x12),         # 9: and #(SYN|ACK)
        (0x15, 0, 1, 0x02),         # 10: jeq #SYN          else drop
        (0x06, 0, 0, snap),         # 11: ret #snap         keep
        (0x06, 0, 0, 0),            # 12: ret #0            drop
    ]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def parse_syn(packet: bytes) -> tuple[str, int, str, int, int] | None:
    """(source, source port, destination, destination port, sequence) of a TCP SYN (not a
    SYN-ACK) in an IPv4 packet, else None."""
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    header = (packet[0] & 0x0F) * 4
    if header < 20 or len(packet) < header + 14:
        return None
    if struct.unpack("!H", packet[6:8])[0] & 0x1FFF:
        return None
    tcp = packet[header:]
    if tcp[13] & 0x12 != 0x02:
        return None
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    return (socket.inet_ntoa(packet[12:16]), sport, socket.inet_ntoa(packet[16:20]), dport, seq)


def open_capture(network: int, mask: int) -> socket.socket:
    """A packet socket on `lo` that receives SYNs to the network, time-stamped by the kernel.
    Raises PermissionError without CAP_NET_RAW."""
    import ctypes

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    try:
        program = syn_filter(network, mask)
        buffer = ctypes.create_string_buffer(program)
        fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buffer))
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind(("lo", ETH_P_IP))
        sock.setblocking(False)
        _drain(sock, [])  # whatever arrived before the filter was in place
        sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)  # reset the counters
    except BaseException:
        sock.close()
        raise
    return sock


def _drain(sock: socket.socket, records: list, offset: float = 0.0) -> None:
    """Read every queued packet: (monotonic moment, destination, port, source, port, seq)."""
    while True:
        try:
            data, ancdata, _, address = sock.recvmsg(256, socket.CMSG_SPACE(16))
        except (BlockingIOError, InterruptedError):
            return
        received = time.time()
        if address[2] == PACKET_OUTGOING:  # loopback shows each packet leaving and arriving
            continue
        syn = parse_syn(data)
        if syn is None:
            continue
        moment = received
        for level, kind, value in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                stamped = seconds + nanoseconds / 1e9
                if abs(stamped - received) < 1.0:  # a sane kernel stamp: use it
                    moment = stamped
        source, sport, destination, dport, seq = syn
        records.append((moment - offset, destination, dport, source, sport, seq))


def capture(conn, network: int, mask: int, max_seconds: float) -> None:
    """The capturing process: say "ready" (or why not), record SYNs until told to stop (or
    `max_seconds`), then send them with the kernel's drop count."""
    try:
        sock = open_capture(network, mask)
    except OSError as exc:
        conn.send({"error": f"{exc.__class__.__name__}: {exc}"})
        return
    offset = time.time() - time.monotonic()  # kernel stamps are wall-clock: to monotonic
    records: list = []
    conn.send({"ready": True})
    deadline = time.monotonic() + max_seconds
    try:
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock, conn], [], [], 0.2)
            if sock in readable:
                _drain(sock, records, offset)
            if conn in readable and conn.recv() == "stop":
                break
        time.sleep(0.05)
        _drain(sock, records, offset)
        received, dropped = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    finally:
        sock.close()
    conn.send({"syns": records, "kernel_received": received, "kernel_dropped": dropped})


def first_syns(records: list) -> tuple[list, int]:
    """New connections only: the first SYN of each (source, port, destination, port,
    sequence); and how many retransmitted SYNs were left out."""
    seen: set = set()
    firsts = []
    for record in sorted(records):
        key = record[1:]
        if key in seen:
            continue
        seen.add(key)
        firsts.append(record)
    return firsts, len(records) - len(firsts)


# -- the lab process ------------------------------------------------------------------------


def _zone_records(host: dict) -> dict:
    domain = host["domain"]
    return {domain: [("A", host["address"])], f"www.{domain}": [("A", host["address"])],
            f"ns1.{domain}": [("A", "127.0.0.1")], f"ns2.{domain}": [("A", "127.0.0.1")]}


def serve_lab(conn, plan: dict) -> None:
    """Start the lab DNS and the hosts' services, send their addresses, then answer "log"
    (the accepted connections since the last "log", and this process's CPU) until "stop"."""
    import asyncio

    raise_fd_limit()
    asyncio.run(_serve_lab(conn, plan))


async def _serve_lab(conn, plan: dict) -> None:
    import asyncio
    import logging

    from cyberbasics.lab import services as lab
    from cyberbasics.lab.dns_server import LabDnsServer
    from cyberbasics.lab.faults import LoopbackServer
    from cyberbasics.lab.zones import LabZoneSet, ZoneSpec

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    accepted: list[tuple[float, str, int]] = []
    handler = LoopbackServer._on_connect

    async def on_connect(self, reader, writer):  # every lab server, before it handles
        accepted.append((time.monotonic(), self.host, self.port))
        await handler(self, reader, writer)

    LoopbackServer._on_connect = on_connect
    hosts = plan["hosts"]
    needs_tls = any(kind in ("panel-tls", "https")
                    for h in hosts for kind in h["services"].values())
    ca = None
    if needs_tls:
        from cyberbasics.lab.ca import LabCA

        ca = LabCA.create()
    factories = {
        "ssh": lambda: lab.ssh(lab.CURRENT_OPENSSH), "ssh-old": lambda: lab.ssh(lab.OLD_OPENSSH),
        "ftp": lab.ftp, "smtp": lab.smtp, "imap": lambda: lab.imap(starttls=True),
        "pop3": lambda: lab.pop3(starttls=False), "mysql": lab.mysql, "rdp": lab.rdp,
        "redis-open": lambda: lab.redis(password=False),
        "redis-password": lambda: lab.redis(password=True), "smb": lab.silent,
        "panel": lab.control_panel, "panel-tls": lambda: lab.control_panel(tls=ca),
        "https": lambda: lab.web_page("Welcome", tls=ca),
    }
    layout = {h["address"]: {int(p): factories[k]() for p, k in h["services"].items()}
              for h in hosts}
    filtered = {h["address"]: [int(p) for p in h["filtered"]] for h in hosts if h["filtered"]}
    zones = LabZoneSet([ZoneSpec(".", {}, signed=True), ZoneSpec("example", {}, signed=True),
                        *(ZoneSpec(h["domain"], _zone_records(h)) for h in hosts)])
    directory = Path(tempfile.mkdtemp(prefix="cyberbasics-bench-active-"))
    anchor = directory / "trust-anchor.txt"
    anchor.write_text(zones.trust_anchor_text(), encoding="utf-8")
    async with lab.ServiceLab(layout, ports=plan["ports"], filtered=filtered) as services, \
            LabDnsServer(zones) as dns:
        conn.send({"dns": [dns.host, dns.port], "trust_anchor": str(anchor),
                   "port_map": {53: dns.port, **services.port_map},
                   "build_s": time.perf_counter() - started, "build_cpu_s": _cpu(),
                   "servers": len(services.servers), "fd_limit": list(raise_fd_limit())})
        loop = asyncio.get_running_loop()
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message == "stop":
                break
            if message == "log":
                conn.send({"accepted": list(accepted), "cpu_s": _cpu(),
                           "errors": sum(len(s.errors) for s in services.servers.values()),
                           "turned_away": sum(s.connections_refused
                                              for s in services.servers.values())})
                accepted.clear()
    shutil.rmtree(directory, ignore_errors=True)
    conn.send({"stopped": True})


# -- the scanning process -----------------------------------------------------------------


def scan_process(conn, info: dict, plan: dict, rate: float, concurrency: int, timeout: float,
                 limit: float, profile: str | None) -> None:
    """Scan every host's domain once (active, services checks), with the connect() calls and
    the limiter's grants recorded, and send the figures."""
    import asyncio
    import asyncio.base_events
    import logging

    from cyberbasics.config import ScanConfig
    from cyberbasics.net.ratelimit import RateLimiter
    from cyberbasics.scan import engine
    from cyberbasics.scan.engine import scan_domains
    from cyberbasics.scan.evidence import services as svc
    from cyberbasics.scan.gather import ScanSession
    from cyberbasics.scan.model import scan_document

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    lock_dir = tempfile.mkdtemp(prefix="cyberbasics-bench-locks-")
    os.environ["CYBERBASICS_LOCK_DIR"] = lock_dir
    ports = set(plan["ports"])
    if ports != {p.port for p in svc.PORTS}:  # probe only the ports the lab serves
        if "ports" not in (svc.probe_address.__kwdefaults__ or {}):
            raise RuntimeError("services.probe_address no longer has a ports= default to "
                               "narrow; update bench/active.py (or run with --ports 36)")
        svc.probe_address.__kwdefaults__ = {
            **svc.probe_address.__kwdefaults__,
            "ports": tuple(p for p in svc.PORTS if p.port in ports)}

    connects: list[list] = []
    create_connection = asyncio.base_events.BaseEventLoop.create_connection

    async def recorded_create_connection(self, protocol_factory, host=None, port=None, *args,
                                         **kwargs):
        entry = [time.monotonic(), host, port, "pending"]
        connects.append(entry)
        try:
            result = await create_connection(self, protocol_factory, host, port, *args,
                                             **kwargs)
        except ConnectionRefusedError:
            entry[3] = "refused"
            raise
        except asyncio.CancelledError:
            entry[3] = "timed out"  # wait_for cancels the attempt at the connect timeout
            raise
        except BaseException as exc:
            entry[3] = exc.__class__.__name__
            raise
        entry[3] = "open"
        return result

    asyncio.base_events.BaseEventLoop.create_connection = recorded_create_connection
    grants: list[tuple[float, str]] = []
    acquire = RateLimiter.acquire

    async def recorded_acquire(self, address):
        await acquire(self, address)
        grants.append((time.monotonic(), address))

    RateLimiter.acquire = recorded_acquire
    spans: dict[str, tuple[float, float]] = {}
    scan_one = engine.scan_one

    async def timed_scan_one(text, checks, session, *args, **kwargs):  # once a slot is free
        started = time.monotonic()
        try:
            return await scan_one(text, checks, session, *args, **kwargs)
        finally:
            spans[text] = (started, time.monotonic())

    engine.scan_one = timed_scan_one
    config = ScanConfig(nameservers=(tuple(info["dns"]),),
                        trust_anchor_file=Path(info["trust_anchor"]), lab=True,
                        port_map={int(k): v for k, v in info["port_map"].items()},
                        timeout=timeout, domain_timeout=max(30.0, 10 * timeout),
                        concurrency=concurrency, checks=CHECKS, active=True, rate_limit=rate)
    domains = [h["domain"] for h in plan["hosts"]]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()

    lags: list[tuple[float, float]] = []

    async def watch_loop():  # how late the event loop runs a 5 ms timer (it delays connects)
        while True:
            planned = time.monotonic() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            late = time.monotonic() - planned
            if late > LAG_NOTED:
                lags.append((planned, late))

    async def run():
        session = ScanSession(config)
        watcher = asyncio.create_task(watch_loop())
        try:
            async with asyncio.timeout(limit):
                begun = time.monotonic()
                results = await scan_domains(domains, config, session=session)
                ended = time.monotonic()
            watcher.cancel()
            reports = {h["address"]: session.shared.get(f"active:services:{h['address']}")
                       for h in plan["hosts"]}
            limiter = session.limiter or session.shared.get("active:rate_limiter")
            return results, reports, dict(limiter.granted) if limiter else {}, begun, ended
        finally:
            await session.aclose()

    cpu_before = _cpu()
    if profiler:
        profiler.enable()
    try:
        results, reports, granted, begun, ended = asyncio.run(run())
    finally:
        shutil.rmtree(lock_dir, ignore_errors=True)
    json.dumps(scan_document(results))  # a user writes the results out: count it
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    cpu = _cpu() - cpu_before
    statuses: dict[str, int] = {}
    for result in results:
        for finding in result.findings:
            statuses[str(finding.status)] = statuses.get(str(finding.status), 0) + 1
    states: dict[str, dict[int, str]] = {}
    for address, report_ in reports.items():
        if report_ is not None:
            states[address] = {p.port: p.state for p in report_.probes}
    conn.send({"wall_s": ended - begun, "begun": begun, "ended": ended, "cpu_s": cpu,
               "failed": [r.domain for r in results if r.error],
               "statuses": statuses, "states": states, "granted": granted,
               "connects": [tuple(c) for c in connects], "grants": grants, "spans": spans,
               "lags": lags,
               "durations_ms": sorted(r.duration_ms for r in results),
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


# -- running it -----------------------------------------------------------------------------


def _receive(conn, process, what: str, timeout: float):
    """The next message from `process`, or an error if it dies or says nothing in time."""
    deadline = time.monotonic() + max(timeout, 0.1)
    while not conn.poll(0.2):
        if not process.is_alive() and not conn.poll():
            raise RuntimeError(f"{what} died (exit code {process.exitcode})")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer within {timeout:g} s")
    return conn.recv()


def _stop(process, pipe=None, message="stop") -> None:
    if pipe is not None and process.is_alive():
        with contextlib.suppress(OSError, BrokenPipeError):
            pipe.send(message)
    process.join(10)
    if process.is_alive():
        process.kill()
        process.join(5)


def run_once(context, lab_pipe, lab, info: dict, plan: dict, rate: float, concurrency: int,
             timeout: float, deadline: float, use_capture: bool,
             profile: str | None = None) -> dict:
    """One scan of every host at `rate`, measured from the scanner, the lab and the wire."""
    addresses = [h["address"] for h in plan["hosts"]]
    sniffer = sniff_pipe = None
    capture_note = "not asked for (--no-capture)"
    if use_capture:
        sniff_pipe, child = context.Pipe()
        network, mask = capture_network(addresses)
        sniffer = context.Process(target=capture, args=(child, network, mask,
                                                        max(1.0, deadline - time.monotonic())),
                                  daemon=True)
        sniffer.start()
        ready = _receive(sniff_pipe, sniffer, "the capturing process", 30)
        if "error" in ready:
            capture_note = f"unavailable ({ready['error']}; needs CAP_NET_RAW)"
            _stop(sniffer)
            sniffer = None
    try:
        lab_pipe.send("log")  # clears the lab's log; its CPU before the run
        before = _receive(lab_pipe, lab, "the lab process", 60)
        scan_pipe, child = context.Pipe()
        scanner = context.Process(target=scan_process, args=(
            child, info, plan, rate, concurrency, timeout,
            max(5.0, deadline - time.monotonic() - 15), profile))
        scanner.start()
        try:
            scanned = _receive(scan_pipe, scanner, "the scanning process",
                               deadline - time.monotonic())
        finally:
            _stop(scanner)
        lab_pipe.send("log")
        after = _receive(lab_pipe, lab, "the lab process", 60)
        syns = None
        if sniffer is not None:
            sniff_pipe.send("stop")
            syns = _receive(sniff_pipe, sniffer, "the capturing process", 30)
    finally:
        if sniffer is not None:
            _stop(sniffer)
    lab_ports = {int(v) for k, v in info["port_map"].items() if int(k) != 53}
    if syns is not None:  # only connections to the lab's hosts and ports are this run's
        syns["syns"] = [r for r in syns["syns"] if r[2] in lab_ports]
    return analyse(plan, rate, concurrency, timeout, scanned, before, after, syns,
                   capture_note)


def analyse(plan: dict, rate: float, concurrency: int, timeout: float, scanned: dict,
            lab_before: dict, lab_after: dict, syns: dict | None, capture_note: str) -> dict:
    hosts = plan["hosts"]
    addresses = [h["address"] for h in hosts]
    n, ports = len(hosts), len(plan["ports"])
    wall = scanned["wall_s"]
    connects = by_address(scanned["connects"], addresses)
    outcomes: dict[str, int] = {}
    for _, address, _, outcome in scanned["connects"]:
        if address in connects:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    proof = {"granted": busiest(by_address(scanned["grants"], addresses)),
             "connect": busiest(connects),
             "accepted": busiest(by_address(lab_after["accepted"], addresses))}
    wire: dict = {"note": capture_note}
    if syns is not None:
        firsts, retransmitted = first_syns(syns["syns"])
        proof["syn"] = busiest(by_address(firsts, addresses))
        wire = {"note": "kernel time stamps, loopback", "retransmitted": retransmitted,
                "kernel_dropped": syns["kernel_dropped"],
                "during_scan": sum(1 for r in firsts
                                   if scanned["begun"] <= r[0] <= scanned["ended"] + 0.5)}
    per_host = [scanned["granted"].get(a, 0) for a in addresses]
    floor = floor_with_timeouts([(c, waits_for_timeout(h)) for c, h in zip(per_host, hosts,
                                                                           strict=True)],
                                rate, concurrency, timeout)
    bound = rate_bound(n, ports, rate, concurrency)
    mismatches = []
    for host in hosts:
        seen = scanned["states"].get(host["address"], {})
        for port in plan["ports"]:
            want, got = expected_state(host, port), seen.get(port, "missing")
            if want != got:
                mismatches.append(f"{host['address']}:{port} {got} (lab: {want})")
    states: dict[str, int] = {}
    for seen in scanned["states"].values():
        for state in seen.values():
            states[state] = states.get(state, 0) + 1
    limit = rate + 1
    checked = {k: v["max_per_window"] for k, v in proof.items()}
    durations = scanned["durations_ms"]
    timeline = phases(scanned["spans"], by_address(scanned["grants"], addresses), hosts,
                      scanned["begun"])
    timeline["loop_lag"] = loop_lag(scanned["lags"], scanned["begun"])
    return {
        "rate": rate, "hosts": n, "ports": ports, "concurrency": concurrency,
        "timeout_s": timeout, "wall_s": wall, "hosts_per_min": n / wall * 60,
        "cpu_s": scanned["cpu_s"], "cpu_ms_per_host": scanned["cpu_s"] / n * 1000,
        "lab_cpu_s": lab_after["cpu_s"] - lab_before["cpu_s"],
        "connections": sum(per_host), "connections_per_host": sum(per_host) / n,
        "connect_outcomes": outcomes, "rate_bound_s": bound, "ratio_to_bound": wall / bound,
        "waves": waves(n, concurrency), "floor_s": floor, "ratio_to_floor": wall / floor,
        "proof": proof, "limit": limit,
        "rate_ok": all(v <= limit for v in checked.values()), "wire": wire,
        "most_per_host": max(per_host, default=0),
        "states": states, "mismatches": mismatches, "failed": scanned["failed"],
        "statuses": scanned["statuses"], "lab_errors": lab_after["errors"],
        "lab_turned_away": lab_after["turned_away"] - lab_before["turned_away"],
        "p50_host_s": durations[len(durations) // 2] / 1000, "max_host_s": durations[-1] / 1000,
        "peak_rss_mb": scanned["peak_rss_mb"], "phases": timeline,
    }


def benchmark(hosts: int = 100, ports: int = 25, rates: tuple[float, ...] = (20.0, 50.0),
              concurrency: int = 64, timeout: float = 2.0, time_limit: float = TIME_LIMIT_S,
              use_capture: bool = True, profile: str | None = None,
              filtered_share: float = FILTERED_SHARE) -> dict:
    """Start the lab, scan every host once per rate, stop the lab; the figures of each run."""
    deadline = time.monotonic() + time_limit
    fd_limit = raise_fd_limit()
    plan = build_plan(hosts, ports, filtered_share=filtered_share)
    context = multiprocessing.get_context("fork")
    lab_pipe, child = context.Pipe()
    lab = context.Process(target=serve_lab, args=(child, plan), daemon=True)
    lab.start()
    figures: dict = {"hosts": hosts, "ports": ports, "port_list": plan["ports"],
                     "concurrency": concurrency, "timeout_s": timeout,
                     "mix": plan_mix(plan), "fd_limit": list(fd_limit), "runs": []}
    try:
        info = _receive(lab_pipe, lab, "the lab process", min(120, time_limit))
        figures.update(lab_build_s=info["build_s"], lab_servers=info["servers"])
        for n, rate in enumerate(rates):
            if n and deadline - time.monotonic() < RUN_RESERVE_S:  # no time for another run
                figures["skipped_rates"] = list(rates[n:])
                break
            figures["runs"].append(run_once(
                context, lab_pipe, lab, info, plan, rate, concurrency, timeout, deadline,
                use_capture, profile if n == 0 else None))
    finally:
        _stop(lab, lab_pipe)
    figures["rate_ok"] = bool(figures["runs"]) and all(r["rate_ok"] for r in figures["runs"])
    return figures


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "none" if value is None else f"{value * 1000:.0f} ms"


def report(figures: dict) -> list[str]:
    mix = figures["mix"]
    lines = [f"Active scan: {figures['hosts']} lab hosts × {figures['ports']} ports "
             f"(open {mix['states']['open']}, closed {mix['states']['closed']}, filtered "
             f"{mix['states']['filtered']} on {mix['hosts_with_filtered']} hosts; "
             f"{mix['hosts_with_timeouts']} hosts wait for a timeout), checks "
             f"{', '.join(CHECKS)}, {figures['concurrency']} domains at once, connect timeout "
             f"{figures['timeout_s']:g} s"
             + (f"; runs skipped for the time limit: {figures['skipped_rates']}"
                if figures.get("skipped_rates") else ""),
             "  bound = waves × ports / rate; floor = rate spacing and timeouts, in the "
             "engine's order; max/1s = most new connections to one address in any 1 s window",
             f"  {'rate/s':>6} {'wall s':>6} {'hosts/min':>9} {'CPU ms/host':>11} "
             f"{'conn/host':>9} {'bound s':>7} {'ratio':>5} {'floor s':>7} {'ratio':>5} │ "
             f"{'max/1s: syn':>11} {'connect':>7} {'granted':>7} {'accepted':>8} "
             f"{'limit':>5} │ {'pace/s':>6}"]
    for run in figures["runs"]:
        proof = run["proof"]
        syn = proof.get("syn", {}).get("max_per_window", "-")
        paced = proof.get("syn", proof["connect"])["pace_median"]
        lines.append(
            f"  {run['rate']:>6g} {run['wall_s']:>6.2f} {run['hosts_per_min']:>9,.0f} "
            f"{run['cpu_ms_per_host']:>11.1f} {run['connections_per_host']:>9.2f} "
            f"{run['rate_bound_s']:>7.2f} {run['ratio_to_bound']:>5.2f} {run['floor_s']:>7.2f} "
            f"{run['ratio_to_floor']:>5.2f} │ {syn!s:>11} "
            f"{proof['connect']['max_per_window']:>7} {proof['granted']['max_per_window']:>7} "
            f"{proof['accepted']['max_per_window']:>8} {run['limit']:>5g} │ "
            f"{paced or 0:>6.1f}")
    for run in figures["runs"]:
        proof = run["proof"]
        gaps = ", ".join(f"{k} {v['min_gap_s'] * 1000:.1f} ms" for k, v in proof.items()
                         if v["min_gap_s"] is not None)
        totals = ", ".join(f"{k} {v['total']}" for k, v in proof.items())
        verdict = "holds" if run["rate_ok"] else "BROKEN"
        if run["most_per_host"] <= run["limit"]:
            verdict += (f" (but no host gets more than {run['most_per_host']} connections, so "
                        "a 1 s window cannot break it at this rate: see the pace)")
        lines.append(f"  rate {run['rate']:g}: at most {run['limit']:g} new connections per "
                     f"address in any 1 s window: {verdict}; connections seen: {totals}; "
                     f"smallest gap to one address ({1000 / run['rate']:.0f} ms apart when "
                     f"granted): {gaps}")
        wire = run["wire"]
        lines.append(f"    wire: {wire['note']}" + (
            f", {wire['retransmitted']} retransmitted SYNs left out, kernel dropped "
            f"{wire['kernel_dropped']}" if "retransmitted" in wire else ""))
        timeline = run["phases"]
        if "median" in timeline:
            med, last = timeline["median"], timeline["last"]
            before, lag = timeline["before_first_s"], timeline["loop_lag"]
            lines.append(
                f"    time per host (median): {med['host_s']:.2f} s = before the first "
                f"connection {med['before_first_s'] * 1000:.0f} ms (DNS, lock) + spacing "
                f"{med['spacing_s']:.2f} s + after the last start "
                f"{med['after_last_s'] * 1000:.0f} ms; hosts with no timeout to wait for "
                f"{_seconds(timeline['median_no_timeout_host_s'])}; last to finish "
                f"{last['address']} ({'waits for a timeout' if last['waits'] else 'no timeout'}"
                f"): waited {last['slot_wait_s']:.2f} s for a slot, then {last['host_s']:.2f} s "
                f"(after its last start {last['after_last_s']:.2f} s)")
            lines.append(
                f"    before the first connection: first wave "
                f"{_ms(before['first_wave'])}, later hosts {_ms(before['later'])}; the "
                f"scanner's event loop ran a 5 ms "
                f"timer up to {lag['max_ms']:.0f} ms late"
                + (f" (at {lag['at_s']:.2f} s)" if lag["at_s"] is not None else "")
                + f", {lag['over_10ms_s'] * 1000:.0f} ms in all more than 10 ms late")
        lines.append(f"    scanner: {run['cpu_s']:.2f} s CPU, lab {run['lab_cpu_s']:.2f} s CPU; "
                     f"connects {run['connect_outcomes']}; port states {run['states']}; "
                     f"findings {run['statuses']}; failed {len(run['failed'])}; states unlike "
                     f"the lab's {len(run['mismatches'])}"
                     + (f" ({'; '.join(run['mismatches'][:5])})" if run["mismatches"] else "")
                     + f"; lab errors {run['lab_errors']}, turned away {run['lab_turned_away']}")
    return lines


def summary(figures: dict) -> dict:
    """The figures for the final JSON line (no raw logs)."""
    keep = ("rate", "wall_s", "hosts_per_min", "cpu_ms_per_host", "connections_per_host",
            "rate_bound_s", "ratio_to_bound", "floor_s", "ratio_to_floor", "limit", "rate_ok",
            "lab_cpu_s", "states", "statuses", "connect_outcomes", "wire", "phases")
    runs = []
    for run in figures["runs"]:
        entry = {k: run[k] for k in keep}
        entry["max_per_window"] = {k: v["max_per_window"] for k, v in run["proof"].items()}
        entry["pace_median"] = {k: v["pace_median"] for k, v in run["proof"].items()}
        entry["min_gap_ms"] = {k: v["min_gap_s"] and v["min_gap_s"] * 1000
                               for k, v in run["proof"].items()}
        entry["mismatches"] = len(run["mismatches"])
        entry["failed"] = len(run["failed"])
        runs.append(entry)
    return {"benchmark": "active", "hosts": figures["hosts"], "ports": figures["ports"],
            "concurrency": figures["concurrency"], "timeout_s": figures["timeout_s"],
            "mix": figures["mix"], "rate_ok": figures["rate_ok"], "runs": runs}


def profile_report(path: str, top: int = 25) -> list[str]:
    import io
    import pstats

    lines = []
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(path, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        lines.append(f"-- scanner, top {top} by {order} --")
        lines += [line for line in out.getvalue().splitlines() if line.strip()][3:]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--ports", type=int, default=25,
                        help=f"ports per host (at most {len(PORT_ORDER)}, the scan's full list)")
    parser.add_argument("--rate", "--rate-limit", type=float, default=20.0, dest="rate",
                        help="new connections per second per address (--rate-limit)")
    parser.add_argument("--other-rates", default="10,50",
                        help="run again at these rates (comma-separated; empty: skip), to show "
                             "the limit follows the setting")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="domains scanned at once (the CLI's default: 64)")
    parser.add_argument("--timeout", type=float, default=2.0, help="connect/read timeout (s)")
    parser.add_argument("--filtered-share", type=float, default=FILTERED_SHARE,
                        help="share of hosts with filtered ports (0: none)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S,
                        help="hard limit for the whole benchmark (s)")
    parser.add_argument("--no-capture", action="store_true",
                        help="do not record SYNs on the loopback interface")
    parser.add_argument("--profile", metavar="FILE",
                        help="profile the first run's scanner with cProfile (times are then "
                             "cProfile's)")
    parser.add_argument("--json", help="also write the full figures to this file")
    args = parser.parse_args()
    rates = (args.rate, *(float(r) for r in args.other_rates.split(",") if r.strip()))
    try:
        figures = benchmark(hosts=args.hosts, ports=args.ports, rates=rates,
                            concurrency=args.concurrency, timeout=args.timeout,
                            time_limit=args.time_limit, use_capture=not args.no_capture,
                            profile=args.profile, filtered_share=args.filtered_share)
    except (TimeoutError, RuntimeError) as exc:
        print(f"the active-scan benchmark did not finish: {exc}", file=sys.stderr)
        print(json.dumps({"benchmark": "active", "error": str(exc)}))
        return 2
    print("\n".join(report(figures)), flush=True)
    if args.profile:
        print("\n".join(profile_report(args.profile)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, default=str)
    print(json.dumps(summary(figures), default=str))
    return 0 if figures["rate_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
