"""The lab-built email corpus (cyberbasics.lab.mail_world): real signatures, ARC seals and
SPF records served by the lab DNS server, each message with its expected verdict.

Three layers: the corpus itself is what its stories say (dkimpy and our SPF evaluator agree
with each message's DKIM/ARC/SPF outcome), `check` gives the expected verdict and reasons
for every message, and the CLI agrees with `check` for a few."""

from __future__ import annotations

import json
from collections import Counter

import dkim
import pytest
from typer.testing import CliRunner

from cyberbasics.lab.mail_world import (
    VERDICTS,
    LabMessage,
    build_corpus,
    lab_txt,
    mail_dns_in_thread,
)
from cyberbasics.mail.message import parse_message
from cyberbasics.mail.trust import trust_view
from cyberbasics.mail.verdict import Options
from cyberbasics.net.dns import DnsClient
from cyberbasics.protocols.spf_eval import check_host

CORPUS = build_corpus()
BY_NAME = {m.name: m for m in CORPUS}


@pytest.fixture(scope="module")
def lab_dns():
    """The mail zones (with their DNS faults) on loopback, for the whole module."""
    with mail_dns_in_thread() as address:
        yield address


def _options(message: LabMessage) -> Options:
    return Options(**{k: tuple(v) for k, v in message.options.items()})


# 1. The corpus is what its stories say (independent of the checker under test).


def test_corpus_is_big_and_covers_every_verdict():
    assert len(CORPUS) >= 40
    assert len(BY_NAME) == len(CORPUS)
    counts = Counter(m.expected for m in CORPUS)
    assert set(counts) == set(VERDICTS)
    assert min(counts.values()) >= 5, counts
    for message in CORPUS:
        assert message.story and "\n" not in message.story
        assert not set(message.expected_reasons) & set(message.absent_reasons), message.name
        assert message.data.startswith((b"Return-Path: ", b"Received: ",
                                        b"Authentication-Results: ")), message.name


def _dkim_outcomes(data: bytes) -> list[bool]:
    """dkimpy's verdict on every DKIM-Signature, keys read straight from the zone data."""
    verifier = dkim.DKIM(data, minkey=1024)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    outcomes = []
    for index in range(count):
        try:
            outcomes.append(bool(verifier.verify(idx=index, dnsfunc=lab_txt)))
        except dkim.DKIMException:
            outcomes.append(False)
    return outcomes


@pytest.mark.parametrize("message", CORPUS, ids=lambda m: m.name)
def test_signatures_are_what_the_story_says(message):
    parsed = parse_message(message.data)
    outcomes = [] if parsed.headers_only else _dkim_outcomes(message.data)
    if "dkim_pass" in message.expected_reasons:
        assert any(outcomes), outcomes
    if "dkim_fail" in message.expected_reasons:
        assert not all(outcomes), outcomes
    if "dkim_pass" in message.absent_reasons and not parsed.headers_only:
        assert not any(outcomes), outcomes
    has_arc = b"\nARC-Seal:" in message.data
    if "arc_valid" in message.expected_reasons or "arc_invalid" in message.expected_reasons:
        assert has_arc
        result = dkim.arc_verify(message.data, dnsfunc=lab_txt)[0]
        assert result == (b"pass" if "arc_valid" in message.expected_reasons else b"fail")


SPF_REASONS = {"spf_pass": "pass", "spf_fail": "fail", "spf_softfail": "softfail"}


async def _spf_result(message: LabMessage, address) -> str | None:
    parsed = parse_message(message.data)
    hop = trust_view(parsed, message.options["mx_hosts"]).hop
    return_path = parsed.first("Return-Path")
    if return_path is None:
        return None
    sender = return_path.strip().strip("<>")
    client = DnsClient([address], timeout=1, attempts=1)
    try:
        result = await check_host(hop.ip, "", sender, helo=hop.helo, dns=client)
    finally:
        await client.aclose()
    return result.result


@pytest.mark.parametrize("message", [m for m in CORPUS if set(SPF_REASONS) & {
    *m.expected_reasons, *m.absent_reasons} or m.name == "dns-temperror-spf-spoof"],
    ids=lambda m: m.name)
async def test_spf_is_what_the_story_says(message, lab_dns):
    result = await _spf_result(message, lab_dns)
    for reason, wanted in SPF_REASONS.items():
        if reason in message.expected_reasons:
            assert result == wanted
        if reason in message.absent_reasons:
            assert result != wanted
    if message.name == "dns-temperror-spf-spoof":
        assert result == "temperror"


# 2. The checker gives every message its expected verdict and reasons.


@pytest.fixture(scope="module")
def check():
    from cyberbasics.mail.authcheck import check as check_message

    return check_message


async def _analyse(check, message: LabMessage, address):
    client = DnsClient([address], timeout=1, attempts=1)
    try:
        return await check(message.data, _options(message), client)
    finally:
        await client.aclose()


@pytest.mark.parametrize("message", CORPUS, ids=lambda m: m.name)
async def test_lab_message(message, check, lab_dns):
    analysis = await _analyse(check, message, lab_dns)
    ids = [r.id for r in analysis.reasons]
    assert analysis.verdict == message.expected, (message.story, ids)
    assert not set(message.expected_reasons) - set(ids), (message.story, ids)
    assert not set(message.absent_reasons) & set(ids), (message.story, ids)
    if "dmarc_pass" in message.expected_reasons:
        # the pass is backed by a DMARC result in the analysis, ours or a trusted header's
        assert any(a.method == "dmarc" and a.result == "pass" for a in analysis.auth)


async def test_headers_only_input_checks_no_dkim(check, lab_dns):
    analysis = await _analyse(check, BY_NAME["headers-only-spf-aligned"], lab_dns)
    assert not any(a.method == "dkim" and a.source == "checked" for a in analysis.auth)
    assert any(a.method == "spf" and a.source == "checked" and a.result == "pass"
               for a in analysis.auth)


# 3. The CLI, through the lab DNS server, says the same.

CLI_CASES = ("genuine-spf-and-dkim", "spoof-reject-domain", "mailing-list-arc",
             "lookalike-idn-supplier", "dns-temperror-spf-spoof")


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_gives_the_same_verdict(name, lab_dns, tmp_path, check):
    from cyberbasics.cli.main import app

    message = BY_NAME[name]
    path = tmp_path / f"{name}.eml"
    path.write_bytes(message.data)
    args = ["email", "check", str(path), "--format", "json",
            "--nameserver", f"{lab_dns[0]}:{lab_dns[1]}", "--timeout", "1"]
    for option, values in message.options.items():
        flag = "--" + option.removesuffix("s").replace("_", "-")
        for value in values:
            args += [flag, value]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == message.expected


def test_corpus_is_built_once_per_process():
    assert build_corpus()[0] is CORPUS[0]
