"""The email checker against the lab's DNS with a round-trip time added to every answer.

Each of the lab's signed messages (`cyberbasics.lab.mail_world`) is checked in turn with a
fresh resolver client, so nothing is cached between messages. The time per message is
reported in round trips (RTT = the delay the lab DNS server adds to each answer): the floor is
the longest chain of lookups that depend on each other (a DMARC policy walk, an SPF record and
the lookups its mechanisms need), a few RTT. In the same run the same messages are checked with
the three lookup stages (keys, SPF, DMARC) awaited one after the other, as the first version
did, to show what running them together saves.

    cd bench && ../.venv/bin/python email_check.py [--rtt 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from cyberbasics.lab.mail_world import build_corpus, mail_dns_in_thread
from cyberbasics.mail import authcheck
from cyberbasics.mail.verdict import Options
from cyberbasics.net.dns import DnsClient


async def one_by_one(data: bytes, options: Options, dns) -> object:
    """`authcheck.check` with its three lookups awaited in turn (for comparison)."""
    analysis, signed = authcheck.prepare(data, options)
    keys, spf, discovery = [await lookup
                            for lookup in authcheck.lookups(analysis, signed, options, dns)]
    return authcheck.conclude(analysis, signed, options, keys, spf, discovery)


async def measure(address, rtt: float, how) -> tuple[list[float], list[str]]:
    seconds, verdicts = [], []
    for message in build_corpus():
        options = Options(**{k: tuple(v) for k, v in message.options.items()})
        dns = DnsClient([address], timeout=max(1.0, 20 * rtt), attempts=1)
        started = time.perf_counter()
        analysis = await how(message.data, options, dns)
        seconds.append(time.perf_counter() - started)
        verdicts.append(analysis.verdict)
        await dns.aclose()
    return seconds, verdicts


def summary(seconds: list[float], rtt: float) -> dict:
    in_rtt = sorted(s / rtt for s in seconds)
    return {"median_rtt": statistics.median(in_rtt), "p95_rtt": in_rtt[int(0.95 * len(in_rtt))],
            "max_rtt": in_rtt[-1], "total_s": sum(seconds)}


def benchmark(rtt: float = 0.02) -> dict:
    with mail_dns_in_thread(delay=rtt) as address:
        together, verdicts = asyncio.run(measure(address, rtt, authcheck.check))
        in_turn, verdicts_in_turn = asyncio.run(measure(address, rtt, one_by_one))
    if verdicts != verdicts_in_turn:
        raise AssertionError("the two orders gave different verdicts")
    return {"messages": len(verdicts), "rtt_s": rtt,
            "together": summary(together, rtt), "in_turn": summary(in_turn, rtt)}


def report(figures: dict) -> list[str]:
    lines = [f"Email checker: {figures['messages']} lab messages, each with a fresh resolver, "
             f"RTT {figures['rtt_s'] * 1000:.0f} ms"]
    for name, label in (("together", "lookups together"), ("in_turn", "stages in turn")):
        s = figures[name]
        lines.append(f"  {label:<17} median {s['median_rtt']:.1f} RTT, p95 {s['p95_rtt']:.1f} "
                     f"RTT, max {s['max_rtt']:.1f} RTT, all {s['total_s']:.2f} s")
    ratio = figures["together"]["median_rtt"] / figures["in_turn"]["median_rtt"]
    lines.append(f"  together / in turn (median): {ratio:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=0.02, help="seconds added to each answer")
    print("\n".join(report(benchmark(parser.parse_args().rtt))))


if __name__ == "__main__":
    main()
