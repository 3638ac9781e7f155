"""Serve the benchmark corpus from its own process, so its CPU is measured apart from
the scanners it serves. Started by `bench/run.py` through multiprocessing."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import tempfile
from pathlib import Path

from corpus import MX_ADDRESSES, WEB_ADDRESS, build_corpus, slow_names, zone_specs

from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet


def serve(conn, count: int, delay: float) -> None:
    """Build the corpus, start the servers, send their addresses, serve until told to stop,
    then send this process's CPU seconds."""
    asyncio.run(_serve(conn, count, delay))


async def _serve(conn, count: int, delay: float) -> None:
    from cyberbasics.lab.ca import LabCA
    from cyberbasics.lab.smtp import LabSmtpServer
    from cyberbasics.lab.web import LabWebServer, Response, Site

    corpus = build_corpus(count)
    zones = LabZoneSet(zone_specs(corpus))
    directory = Path(tempfile.mkdtemp(prefix="cyberbasics-bench-"))
    anchor = directory / "trust-anchor.txt"
    anchor.write_text(zones.trust_anchor_text(), encoding="utf-8")
    ca = LabCA.create(directory / "ca")
    build_cpu = _cpu()
    async with contextlib.AsyncExitStack() as stack:
        dns = await stack.enter_async_context(
            LabDnsServer(zones, delay=delay, faults=slow_names(corpus)))
        smtp_port = 0
        for name, address in MX_ADDRESSES.items():
            server = LabSmtpServer(hostname=name, host=address, port=smtp_port,
                                   tls=ca.issue([name]), max_connections=512)
            await stack.enter_async_context(server)
            smtp_port = server.port
        sites = {f"mta-sts.{c.domain}": Site(routes={"/.well-known/mta-sts.txt":
                                                     Response.text(c.mta_sts_policy)})
                 for c in corpus if c.mta_sts_policy}
        web = await stack.enter_async_context(
            LabWebServer(sites, host=WEB_ADDRESS, tls=ca, max_connections=512))
        conn.send({"dns": [dns.host, dns.port], "smtp_port": smtp_port, "web_port": web.port,
                   "ca_file": str(ca.cert_path), "trust_anchor": str(anchor),
                   "domains": [c.domain for c in corpus],
                   "kinds": {c.domain: c.kind for c in corpus},
                   "build_cpu_s": build_cpu})
        loop = asyncio.get_running_loop()
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message == "stop":
                break
            if message == "cpu":
                conn.send({"cpu_s": _cpu(), "queries": dns.queries_received})
        conn.send({"cpu_s": _cpu(), "queries": dns.queries_received})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
