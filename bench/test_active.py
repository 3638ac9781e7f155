"""Tests for the active-scan benchmark (`active.py`): its figures worked out by hand, the lab
plan, the SYN reader, and one short run of the whole benchmark (3 hosts × 5 ports).

    .venv/bin/python -m pytest -q bench/test_active.py
"""

from __future__ import annotations

import json
import socket
import struct

import pytest
from active import (
    PORT_ORDER,
    SERVICE_MIX,
    benchmark,
    build_plan,
    busiest,
    capture_network,
    chosen_ports,
    expected_state,
    first_syns,
    floor_with_timeouts,
    host_addresses,
    max_in_window,
    min_spacing,
    open_capture,
    pace,
    parse_syn,
    plan_mix,
    rate_bound,
    report,
    summary,
    syn_filter,
    waits_for_timeout,
)

# -- the sliding window ----------------------------------------------------------------------


def test_a_window_counts_both_ends():
    assert max_in_window([]) == 0
    assert max_in_window([5.0]) == 1
    evenly = [i / 20 for i in range(21)]  # 21 starts 50 ms apart: 0 s to 1 s, both included
    assert max_in_window(evenly) == 21
    assert max_in_window([i / 20 for i in range(40)]) == 21  # rate 20 allows rate + 1
    assert max_in_window([0.0, 1.0, 1.0000001]) == 2  # 0 and 1.0000001 are too far apart
    assert max_in_window([3.0, 0.1, 0.2, 2.5, 0.3]) == 3  # unsorted input


def test_a_burst_is_seen_whatever_its_place():
    spaced = [i / 10 for i in range(30)]  # 10 per second
    burst = [*spaced, 1.51, 1.52, 1.53]  # three more inside one second
    assert max_in_window(spaced) == 11
    assert max_in_window(burst) == 14
    assert max_in_window(burst, window=0.05) == 4  # 1.5 and the three after it
    assert min_spacing(burst) == pytest.approx(0.01)
    assert min_spacing([1.0]) is None


def test_busiest_address_and_pace():
    found = busiest({"127.0.60.1": [i / 20 for i in range(25)],
                     "127.0.60.2": [0.0, 0.01, 0.02],
                     "127.0.60.3": []})
    assert found["max_per_window"] == 21 and found["address"] == "127.0.60.1"
    assert found["total"] == 28
    assert found["min_gap_s"] == pytest.approx(0.01)
    assert pace([i / 20 for i in range(25)]) == pytest.approx(20.0)
    assert pace([1.0]) is None and pace([2.0, 2.0]) is None
    assert busiest({})["max_per_window"] == 0


# -- bounds ----------------------------------------------------------------------------------


def test_rate_bound_counts_waves():
    assert rate_bound(100, 25, 20.0, 64) == pytest.approx(2 * 25 / 20)
    assert rate_bound(100, 25, 20.0, 100) == pytest.approx(25 / 20)
    assert rate_bound(3, 5, 50.0, 64) == pytest.approx(0.1)


def test_floor_with_timeouts_follows_the_engine_order():
    # Two slots; hosts in order: 11 connections (0.5 s at 20/s), a filtered one (2 s
    # timeout), 11, 11. Slot A: 0.5, then 0.5 more = 1.0, then 0.5 = 1.5; slot B: 2.0.
    hosts = [(11, False), (11, True), (11, False), (11, False)]
    assert floor_with_timeouts(hosts, 20.0, 2, 2.0) == pytest.approx(2.0)
    assert floor_with_timeouts(hosts, 20.0, 1, 2.0) == pytest.approx(0.5 + 2.0 + 0.5 + 0.5)
    assert floor_with_timeouts([(1, False)], 20.0, 64, 2.0) == 0.0
    assert floor_with_timeouts([], 20.0, 4, 2.0) == 0.0


# -- the plan ----------------------------------------------------------------------------------


def test_host_addresses_skip_network_and_broadcast_forms():
    addresses = host_addresses(300)
    assert addresses[0] == "127.0.160.1" and addresses[253] == "127.0.160.254"
    assert addresses[254] == "127.0.161.1" and len(set(addresses)) == 300
    with pytest.raises(ValueError):
        host_addresses(0)
    with pytest.raises(ValueError):
        chosen_ports(len(PORT_ORDER) + 1)


def test_the_first_25_ports_cover_every_checked_group():
    from cyberbasics.scan.evidence.services import GROUPS, PORTS

    assert sorted(PORT_ORDER) == sorted(p.port for p in PORTS)  # the scan's whole list
    groups = {p.group for p in PORTS if p.port in chosen_ports(25)}
    assert set(GROUPS) <= groups
    assert all(port in PORT_ORDER for _, port, _ in SERVICE_MIX)


def test_a_small_plan():
    plan = build_plan(3, 5)
    assert plan == build_plan(3, 5)  # a fixed seed
    assert plan["ports"] == [22, 21, 6379, 8080, 3389]
    assert [h["domain"] for h in plan["hosts"]] == ["shop001.example", "shop002.example",
                                                    "shop003.example"]
    for host in plan["hosts"]:
        assert set(host["services"]) <= set(plan["ports"])
        assert not set(host["filtered"]) & set(host["services"])
    mix = plan_mix(plan)
    assert sum(mix["states"].values()) == 15
    every = build_plan(3, 5, filtered_share=1.0)
    assert all(expected_state(h, 3389) in ("filtered", "open") for h in every["hosts"])
    assert waits_for_timeout({"services": {445: "smb"}, "filtered": []})
    assert waits_for_timeout({"services": {}, "filtered": [139]})
    assert not waits_for_timeout({"services": {22: "ssh"}, "filtered": []})
    big = plan_mix(build_plan(100, 25))
    assert big["states"]["closed"] > big["states"]["open"] > big["states"]["filtered"] > 0


# -- SYNs --------------------------------------------------------------------------------------


def packet(flags: int, *, protocol: int = 6, fragment: int = 0,
           source="127.0.0.1", destination="127.0.60.7", sport=40000, dport=2222,
           seq=12345) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, fragment, 64, protocol, 0,
                     socket.inet_aton(source), socket.inet_aton(destination))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    return ip + tcp


def test_parse_syn():
    assert parse_syn(packet(0x02)) == ("127.0.0.1", 40000, "127.0.60.7", 2222, 12345)
    assert parse_syn(packet(0x12)) is None  # SYN-ACK: the server's answer
    assert parse_syn(packet(0x10)) is None  # ACK
    assert parse_syn(packet(0x02, protocol=17)) is None  # UDP
    assert parse_syn(packet(0x02, fragment=5)) is None  # a later fragment
    assert parse_syn(b"\x45\x00") is None


def test_first_syns_leave_out_retransmissions():
    records = [(1.0, "127.0.60.1", 2222, "127.0.0.1", 40000, 7),
               (2.0, "127.0.60.1", 2222, "127.0.0.1", 40000, 7),  # retransmitted
               (1.5, "127.0.60.1", 2222, "127.0.0.1", 40001, 9)]
    firsts, retransmitted = first_syns(records)
    assert [r[0] for r in firsts] == [1.0, 1.5] and retransmitted == 1


def test_capture_network_and_filter():
    assert capture_network(["127.0.60.1", "127.0.60.100"]) == (0x7F003C00, 0xFFFFFF80)
    assert capture_network(["127.0.60.1", "127.0.60.200"]) == (0x7F003C00, 0xFFFFFF00)
    assert capture_network(["127.0.60.1", "127.0.61.1"]) == (0x7F003C00, 0xFFFFFE00)
    assert capture_network(["127.0.60.9"]) == (0x7F003C09, 0xFFFFFFFF)
    assert len(syn_filter(0x7F003C00, 0xFFFFFF00)) == 13 * 8


def test_the_capture_sees_a_refused_connection():
    """With CAP_NET_RAW: a SYN to a closed port is recorded once, with its port."""
    import select

    address = "127.0.170.253"  # no host of any run of the benchmark
    network, mask = capture_network([address])
    try:
        sock = open_capture(network, mask)
    except PermissionError:
        pytest.skip("no CAP_NET_RAW: the benchmark reports the SYN record as unavailable")
    try:
        with socket.socket() as placeholder:  # bound, not listening: refused
            placeholder.bind((address, 0))
            port = placeholder.getsockname()[1]
            with socket.socket() as client, pytest.raises(ConnectionRefusedError):
                client.connect((address, port))
        from active import _drain

        records: list = []
        select.select([sock], [], [], 1.0)
        _drain(sock, records)
    finally:
        sock.close()
    assert [(r[1], r[2]) for r in records] == [(address, port)]


# -- the benchmark, small ----------------------------------------------------------------------


def test_a_small_run_keeps_to_the_rate():
    # 5 connections per host at 3 per second span 1.33 s: any 1 s window may hold 4.
    figures = benchmark(hosts=3, ports=5, rates=(3.0,), concurrency=3, timeout=0.5,
                        time_limit=60, filtered_share=1.0)
    [run] = figures["runs"]
    assert figures["rate_ok"] and run["rate_ok"]
    assert run["limit"] == 4
    assert run["mismatches"] == [] and run["failed"] == []
    assert run["connections"] == 15 and run["proof"]["connect"]["total"] == 15
    assert run["proof"]["granted"]["max_per_window"] <= 4
    # Spaced exactly, 4 starts fit in a closed second; a timer's late wake-up leaves 3.
    assert run["proof"]["connect"]["max_per_window"] in (3, 4)
    assert run["states"].get("filtered", 0) == figures["mix"]["states"]["filtered"] > 0
    assert run["proof"]["accepted"]["total"] == figures["mix"]["states"]["open"]
    if "syn" in run["proof"]:
        assert run["proof"]["syn"]["total"] == 15
        assert run["wire"]["kernel_dropped"] == 0
    assert run["proof"]["connect"]["pace_median"] <= 3.0 * 1.2
    assert run["wall_s"] >= 4 / 3  # the spacing alone takes this long
    text = "\n".join(report(figures))
    assert ": holds" in text and "hosts/min" in text
    json.dumps(summary(figures))
