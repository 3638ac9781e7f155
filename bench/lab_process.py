"""Serve the benchmark corpus from its own process, so its CPU is measured apart from
the scanners it serves. Started by `bench/throughput.py` through multiprocessing.

Everything the corpus needs runs here: the authoritative DNS server (every answer `delay`
late), the providers' mail servers, the MTA-STS policy host and the web hosts of
`corpus.WEB_HOSTS`. With `tcp_delay` (by default the same as `delay`), every TCP service sits
behind a delaying proxy on its advertised address, as in `lab.world.running_world(delay=...)`:
a connection's first server bytes arrive 1.5 × `tcp_delay` after connecting (a TCP handshake,
then half a round trip) and every later exchange costs `tcp_delay`. The real servers listen on
hidden addresses (127.0.50.0/24). The slow web host's proxy adds `corpus.SLOW_DELAY` more.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import resource
import ssl
import tempfile
import time
from pathlib import Path

from corpus import (
    HTTP_HOSTS,
    HTTPS_HOSTS,
    MX_ADDRESSES,
    SLOW_DELAY,
    WEB_ADDRESS,
    WEB_HOSTS,
    build_corpus,
    slow_names,
    web_mix,
    web_sites,
    zone_specs,
)

from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet

# Two scanning processes of 200 domains each open hundreds of connections at once to the
# shared hosts (nine TLS probes per site among them): no server may turn one away.
MAX_CONNECTIONS = 4096
HIDDEN_NETWORK = "127.0.50."
# An exchange through the proxies takes well under this; a connection left open by a client
# is dropped after it (bounds every relay in time).
PROXY_MAX_DURATION = 60.0
# asyncio listens with a backlog of 100: hundreds of connections opened at once overflow the
# accept queue, and each dropped SYN costs the client a 1 s retransmission (a 2 s timeout
# then fails a check). Real servers listen with far longer queues (nginx: 511, Linux allows
# net.core.somaxconn, 4096). The lab's servers take no backlog argument, so this process
# (the lab's own) gives every server it starts this one.
LISTEN_BACKLOG = 4096


def serve(conn, count: int, delay: float, tcp_delay: float | None = None) -> None:
    """Build the corpus, start the servers, send their addresses, serve until told to stop,
    then send this process's CPU seconds."""
    asyncio.start_server = functools.partial(asyncio.start_server, backlog=LISTEN_BACKLOG)
    asyncio.run(_serve(conn, count, delay, delay if tcp_delay is None else tcp_delay))


async def _serve(conn, count: int, delay: float, tcp_delay: float) -> None:
    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.faults import FaultServer
    from cyberbasics.lab.smtp import LabSmtpServer
    from cyberbasics.lab.web import LabWebServer, Response, Site

    # Python 3.11's streams warn when a client half-closes a TLS stream, and the servers log
    # every handshake a probe abandons on purpose: noise here.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    corpus = build_corpus(count)
    zones = LabZoneSet(zone_specs(corpus))
    directory = Path(tempfile.mkdtemp(prefix="cyberbasics-bench-"))
    anchor = directory / "trust-anchor.txt"
    anchor.write_text(zones.trust_anchor_text(), encoding="utf-8")
    ca = LabCA.create(directory / "ca")
    https_sites, http_sites = web_sites(corpus, tls=True), web_sites(corpus, tls=False)
    async with contextlib.AsyncExitStack() as stack:
        dns = await stack.enter_async_context(
            LabDnsServer(zones, delay=delay, faults=slow_names(corpus)))
        ports = {"smtp": 0, "https": 0, "http": 0}
        front: dict[str, list] = {"smtp": [], "https": [], "http": []}  # what clients reach
        hidden = iter(range(1, 255))

        async def start(kind: str, address: str, make, extra: float = 0.0) -> None:
            """Start a server for `address` on the service's shared port, behind a delaying
            proxy when there is latency to add; `make(host, port)` builds the server."""
            wait = tcp_delay + extra
            if not wait:
                server = await stack.enter_async_context(make(address, ports[kind]))
            else:
                real = await stack.enter_async_context(make(f"{HIDDEN_NETWORK}{next(hidden)}", 0))
                server = await stack.enter_async_context(FaultServer(
                    "delay", host=address, port=ports[kind], delay=wait, chunk_delay=wait / 2,
                    target=real.address, max_duration=PROXY_MAX_DURATION,
                    max_connections=MAX_CONNECTIONS))
            ports[kind] = server.port
            front[kind].append(server)

        for name, address in MX_ADDRESSES.items():
            await start("smtp", address, lambda h, p, n=name: LabSmtpServer(
                hostname=n, host=h, port=p, tls=ca.issue([n]), max_connections=MAX_CONNECTIONS))
        policies = {f"mta-sts.{c.domain}": Site(routes={"/.well-known/mta-sts.txt":
                                                        Response.text(c.mta_sts_policy)})
                    for c in corpus if c.mta_sts_policy}
        await start("https", WEB_ADDRESS, lambda h, p: LabWebServer(
            policies, host=h, port=p, tls=ca, max_connections=MAX_CONNECTIONS))
        for name in HTTPS_HOSTS:
            oldest = ssl.TLSVersion.TLSv1 if name == "legacy" else None
            await start("https", WEB_HOSTS[name], lambda h, p, n=name, v=oldest: LabWebServer(
                https_sites[n], host=h, port=p, tls=ca, min_tls_version=v,
                max_connections=MAX_CONNECTIONS), SLOW_DELAY if name == "slow" else 0.0)
        for name in HTTP_HOSTS:
            await start("http", WEB_HOSTS[name], lambda h, p, n=name: LabWebServer(
                http_sites[n], host=h, port=p, max_connections=MAX_CONNECTIONS),
                SLOW_DELAY if name == "slow" else 0.0)

        def counters() -> dict:
            return {"cpu_s": _cpu(), "queries": dns.queries_received,
                    "connections": {kind: sum(s.connections_accepted for s in servers)
                                    for kind, servers in front.items()},
                    "turned_away": sum(s.connections_refused for servers in front.values()
                                       for s in servers)}

        conn.send({"dns": [dns.host, dns.port], "smtp_port": ports["smtp"],
                   "port_map": {53: dns.port, 25: ports["smtp"], 443: ports["https"],
                                80: ports["http"]},
                   "web_port": ports["https"], "ca_file": str(ca.cert_path),
                   "trust_anchor": str(anchor), "domains": [c.domain for c in corpus],
                   "kinds": {c.domain: c.kind for c in corpus}, "web_mix": web_mix(corpus),
                   "build_cpu_s": _cpu(), "build_s": time.perf_counter() - started,
                   "tcp_delay": tcp_delay})
        loop = asyncio.get_running_loop()
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message == "stop":
                break
            if message == "cpu":
                conn.send(counters())
        conn.send(counters())


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
