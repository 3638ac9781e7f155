"""Tests for the checkdmarc peer benchmark, against the lab DNS server on loopback.

Not part of the main suite (testpaths is tests/); run explicitly, with -s to see the
measured figures:

    .venv/bin/python -m pytest bench/test_peer_checkdmarc.py -q -s
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import dns.exception
import dns.query
import dns.resolver
import pytest
from peer_checkdmarc import _sandbox, _Tally, run_checkdmarc

from cyberbasics.lab.dns_server import LabDnsServer
from cyberbasics.lab.zones import LabZoneSet, ZoneSpec

SCRIPT = Path(__file__).with_name("peer_checkdmarc.py")
CORPUS = [f"biz{i:02d}.example" for i in range(50)]


def _corpus_zones() -> list[ZoneSpec]:
    """The brief's shop.example plus 50 small-business domains on a shared mail host:
    MX, SPF with an include, DMARC; every 5th zone DNSSEC-signed, every 10th publishing
    MTA-STS and TLS-RPT, one publishing BIMI (whose logo URL must not be fetched)."""
    specs = [
        ZoneSpec(".", {}),
        ZoneSpec("example", {}, signed=True),
        ZoneSpec("shop.example", {
            "shop.example": [("MX", "10 mx.shop.example."), ("TXT", '"v=spf1 mx -all"')],
            "mx.shop.example": [("A", "127.0.0.5")],
            "_dmarc.shop.example": [("TXT", '"v=DMARC1; p=reject"')],
        }),
        ZoneSpec("mailhost.example", {
            "mx.mailhost.example": [("A", "127.0.0.25")],
            "_spf.mailhost.example": [("TXT", '"v=spf1 ip4:127.0.0.0/24 -all"')],
        }),
    ]
    for i, domain in enumerate(CORPUS):
        records = {
            domain: [("MX", "10 mx.mailhost.example."),
                     ("TXT", '"v=spf1 include:_spf.mailhost.example -all"')],
            f"_dmarc.{domain}": [("TXT", f'"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"')],
        }
        if i % 10 == 0:
            records[f"_mta-sts.{domain}"] = [("TXT", '"v=STSv1; id=2024010101"')]
            records[f"_smtp._tls.{domain}"] = [("TXT", f'"v=TLSRPTv1; rua=mailto:tls@{domain}"')]
        if i == 0:
            records[f"default._bimi.{domain}"] = [
                ("TXT", f'"v=BIMI1; l=https://bimi.{domain}/logo.svg"')]
        specs.append(ZoneSpec(domain, records, signed=i % 5 == 0))
    return specs


@pytest.fixture(scope="module")
def lab():
    """The lab DNS server, on its own asyncio loop in a background thread."""
    server = LabDnsServer(LabZoneSet(_corpus_zones()))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_completes_lab_domains_on_loopback(lab):
    before = lab.queries_received
    result = run_checkdmarc(["shop.example", "biz01.example", "biz05.example"], lab.address,
                            threads=4)
    assert result["domains"] == 3
    assert result["completed"] == 3, result["errors"]
    assert result["failed"] == 0
    assert result["escapes"] == 0, result["escape_details"]
    assert result["queries"] > 0
    # Every query counted was answered by the lab server (on its non-53 port), and vice versa.
    assert lab.queries_received - before == result["queries"]
    assert result["queries_tcp"] > 0  # the DNSSEC check's TCP queries reach it too
    assert result["cpu_s"] > 0 and result["wall_s"] > 0 and result["domains_per_minute"] > 0


def test_each_run_starts_cold(lab):
    first = run_checkdmarc(["shop.example"], lab.address, threads=1)
    second = run_checkdmarc(["shop.example"], lab.address, threads=1)
    assert first["queries"] == second["queries"] > 0


def test_http_fetches_fail_locally(lab):
    # biz00 publishes an MTA-STS record (policy download) and a BIMI record (logo download).
    result = run_checkdmarc(["biz00.example"], lab.address, threads=1)
    assert result["completed"] == 1, result["errors"]
    assert result["http_fetches_blocked"] == 2
    assert result["escapes"] == 0, result["escape_details"]


def test_rejects_non_loopback_nameserver():
    with pytest.raises(ValueError):
        run_checkdmarc(["shop.example"], ("192.0.2.1", 53))


def test_guard_refuses_and_counts_escapes(monkeypatch):
    """Each refusal happens before the real call: the stand-ins below would fail the test
    (and cannot send anything) if a guard let a call through."""
    def must_not_run(*args, **kwargs):
        raise AssertionError("a guard let a call through")

    monkeypatch.setattr(socket, "getaddrinfo", must_not_run)
    monkeypatch.setattr(dns.query, "udp", must_not_run)
    monkeypatch.setattr(dns.query, "tcp", must_not_run)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp.close()  # closed: even an unguarded call would fail with EBADF, sending nothing
    udp.close()
    tally = _Tally()
    with _sandbox(tally):
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("mta-sts.biz00.example", 443)
        with pytest.raises(ConnectionRefusedError):
            tcp.connect(("192.0.2.1", 443))
        with pytest.raises(ConnectionRefusedError):
            udp.sendto(b"x", ("192.0.2.1", 53))
        # A resolver left on "the system configuration" gets the trap, not /etc/resolv.conf.
        with pytest.raises(dns.exception.DNSException):
            dns.resolver.Resolver().resolve("biz00.example", "A")
    assert tally.counts["escapes"] == 4, tally.escape_details
    assert tally.counts["resolv_conf_reads_blocked"] == 1
    assert socket.getaddrinfo is must_not_run  # restored on exit


def test_cli_fifty_domains(lab, tmp_path):
    """The benchmark's way: the CLI in its own process, so its CPU is its own."""
    domains = tmp_path / "domains.txt"
    domains.write_text("# lab corpus\n" + "\n".join(CORPUS) + "\n", encoding="utf-8")
    host, port = lab.address
    before = lab.queries_received
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--nameserver", f"{host}:{port}", "--file", str(domains),
         "--threads", "32"],
        capture_output=True, text=True, timeout=110, check=True,
    )
    result = json.loads(proc.stdout)
    assert result["domains"] == 50
    assert result["completed"] == 50, result["errors"]
    assert result["escapes"] == 0, result["escape_details"]
    assert result["queries"] == lab.queries_received - before > 0
    assert result["http_fetches_blocked"] == 6  # 5 MTA-STS policies + 1 BIMI logo
    print(f"\ncheckdmarc {result['version']}, 50 lab domains, 32 threads: "
          f"{result['queries_per_domain']} DNS queries/domain "
          f"({result['queries_udp']} UDP + {result['queries_tcp']} TCP), "
          f"{result['cpu_ms_per_domain']} ms CPU/domain, wall {result['wall_s']} s, "
          f"{result['domains_per_minute']} domains/min; by type {result['queries_by_type']}")
