"""Tests for the throughput benchmark: the corpus's websites are served as their profiles
say (each profile's findings), and a short run of the benchmark reports its figures.

    .venv/bin/python -m pytest bench/test_throughput.py -q
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from pathlib import Path

import lab_process
import pytest
import throughput
from corpus import WEB_HOSTS, build_corpus, web_mix

COUNT = 120  # enough for every website profile but the rarest


@pytest.fixture(scope="module")
def lab():
    """The corpus lab in its own process, without added latency."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=lab_process.serve, args=(child, COUNT, 0.0), daemon=True)
    process.start()
    try:
        yield throughput._receive(parent, process, "the lab process", 120)
    finally:
        if process.is_alive():
            parent.send("stop")
        process.join(30)
        if process.is_alive():
            process.kill()


def _scan(info: dict, domains: list[str]) -> dict:
    from cyberbasics.config import ScanConfig
    from cyberbasics.scan.engine import scan_domains

    config = ScanConfig(nameservers=(tuple(info["dns"]),), ca_file=Path(info["ca_file"]),
                        trust_anchor_file=Path(info["trust_anchor"]), lab=True,
                        port_map={int(k): v for k, v in info["port_map"].items()},
                        timeout=2.0, domain_timeout=30.0, concurrency=20)
    results = asyncio.run(scan_domains(domains, config))
    return {r.domain: {f.check: (str(f.status), f.result) for f in r.findings} for r in results}


def test_the_corpus_websites_are_what_their_profiles_say(lab):
    corpus = {c.domain: c for c in build_corpus(COUNT)}
    found = _scan(lab, list(corpus))

    def results(profile: str, check: str) -> Counter:
        return Counter(found[d][check] for d, c in corpus.items()
                       if (c.website.profile if c.website else "none") == profile)

    assert set(results("builder", "web.https")) == {("pass", "ok")}
    assert set(results("builder", "web.hsts")) == {("pass", "ok")}
    assert set(results("builder", "web.headers.csp")) == {("fail", "missing")}
    assert set(results("none", "web.https")) == {("info", "no-website")}
    assert set(results("plain", "web.https")) == {("fail", "http-only")}
    assert set(results("bad_cert", "web.https")) == {("fail", "bad-certificate")}
    assert {status for status, _ in results("bad_cert", "web.certificate.valid")} == {"fail"}
    assert set(results("legacy", "web.tls.versions")) == {("warn", "old-tls")}  # TLS 1.0, 1.1
    assert {status for status, _ in results("www_only", "web.https")} == {"pass"}
    assert set(results("hosted", "web.tls.versions")) == {("pass", "ok")}
    # Nothing but the known faults fails to answer: the slow DNS names, and security.txt on
    # the plain-HTTP sites (nothing listens on 443; the check calls that "could not check").
    errors = Counter(check for d in found for check, (status, _) in found[d].items()
                     if status == "error")
    plain = sum(1 for c in corpus.values() if c.website and c.website.profile == "plain")
    assert errors["web.security_txt"] <= plain
    assert errors["web.https"] == 0 and errors["web.tls.versions"] == 0


def test_the_lab_serves_every_web_host(lab):
    assert set(lab["port_map"]) >= {53, 25, 80, 443}
    assert sum(web_mix(build_corpus(COUNT)).values()) == COUNT
    assert len(set(WEB_HOSTS.values())) == len(WEB_HOSTS)


def test_a_short_run_reports_its_figures():
    figures = throughput.benchmark(count=40, delay=0.01, processes=1, concurrency=20,
                                   passive_concurrency=20, with_peer=False)
    part1, passive = figures["ours"], figures["all_passive"]
    assert part1["domains"] == passive["domains"] == 40
    assert passive["connections"]["https"] > 5 * 40  # a handshake and nine probes a site
    assert passive["queries"] > part1["queries"]
    lines = throughput.report(figures)
    assert any(line.startswith("  Part 1 (checks domain.*, email.*):") for line in lines)
    assert any("All passive checks (websites:" in line for line in lines)
    assert any("target: at least 1,500 domains/min" in line for line in lines)
