"""The services checks on hand-made evidence: the cases a lab cannot easily stage."""

from __future__ import annotations

from cyberbasics.scan.evidence.services import (
    CLOSED,
    ERROR,
    FILTERED,
    GROUPS,
    OPEN,
    PORTS,
    AddressReport,
    PortProbe,
    ServicesView,
    Skipped,
    ports_of,
)
from cyberbasics.scan.gather import EvidenceView, Unavailable
from cyberbasics.scan.registry import all_checks

from . import helpers  # noqa: F401 - registers the active checks

CHECKS = {c.id: c for c in all_checks()}


def run(check_id: str, view) -> tuple[str, str, str]:
    from cyberbasics.scan.engine import run_check

    finding = run_check(CHECKS[check_id], EvidenceView("shop.com", {"services": view}))
    return str(finding.status), finding.result, finding.summary


def report(address: str, states: dict[int, PortProbe | str], default=CLOSED, **kwargs):
    probes = []
    for spec in PORTS:
        given = states.get(spec.port, default)
        probes.append(given if isinstance(given, PortProbe)
                      else PortProbe(spec.port, spec.service, given,
                                     error="network unreachable" if given == ERROR else None))
    return AddressReport(address, ("shop.com",), tuple(probes), **kwargs)


def test_the_active_checks_are_registered_as_active():
    active = {c.id for c in all_checks() if c.active}
    assert active >= {"services.remote_access", "services.file_sharing", "services.databases",
                      "services.admin_panels", "services.mail_cleartext", "services.ssh",
                      "web.sensitive_files"}
    assert {p.group for p in PORTS} == {*GROUPS, "software"}
    assert {f"services.{g}" for g in GROUPS} <= active
    assert [p.port for p in ports_of("mail_cleartext")] == [110, 143]


def test_an_unreachable_address_beside_a_reachable_one_is_a_partial_pass():
    view = ServicesView((report("192.0.2.1", {}), report("2001:db8::1", {}, default=ERROR)))
    result = run("services.remote_access", view)
    assert result[:2] == ("pass", "ok-partly")
    assert "2001:db8::1: network unreachable" in result[2]


def test_nothing_reachable_is_an_error_never_a_pass():
    view = ServicesView((report("192.0.2.1", {}, default=ERROR),))
    for check in ("services.remote_access", "services.ssh", "services.mail_cleartext",
                  "services.admin_panels"):
        assert run(check, view)[:2] == ("error", "could-not-check"), check


def test_one_port_that_could_not_be_checked_is_an_error_unless_another_is_open():
    view = ServicesView((report("192.0.2.1", {3389: ERROR}),))
    status, result, summary = run("services.remote_access", view)
    assert (status, result) == ("error", "could-not-check") and "port 3389" in summary
    opened = PortProbe(5900, "VNC remote desktop", OPEN, answer="VNC", banner="RFB 003.008")
    view = ServicesView((report("192.0.2.1", {3389: ERROR, 5900: opened}),))
    assert run("services.remote_access", view)[:2] == ("fail", "exposed")


def test_filtered_ports_are_not_reachable():
    # A port that times out beside one that answers: dropped by a firewall, not reachable.
    view = ServicesView((report("192.0.2.1", {22: CLOSED}, default=FILTERED),))
    assert run("services.databases", view)[:2] == ("pass", "ok")


def test_an_address_where_every_port_timed_out_is_never_a_pass():
    # Nothing answered at all: the scanner itself may be blocked, so nothing was learnt.
    for states in ({}, {3389: ERROR}):
        view = ServicesView((report("192.0.2.1", states, default=FILTERED),))
        assert not view.addresses[0].reached
        for check in ("services.remote_access", "services.file_sharing", "services.databases",
                      "services.admin_panels", "services.mail_cleartext", "services.ssh"):
            status, result, summary = run(check, view)
            assert (status, result) == ("error", "could-not-check"), check
            assert "no port answered" in summary and "firewall" in summary, summary
    # Beside an address that answered, it is named as not checked (a partial pass at most).
    view = ServicesView((report("192.0.2.1", {}),
                         report("192.0.2.2", {}, default=FILTERED)))
    status, result, summary = run("services.remote_access", view)
    assert (status, result) == ("pass", "ok-partly")
    assert "192.0.2.2: no port answered" in summary


def test_a_database_asking_for_a_password_is_still_exposed():
    redis = PortProbe(6379, "Redis", OPEN, answer="Redis", access="password",
                      banner="NOAUTH Authentication required.")
    status, result, summary = run("services.databases",
                                  ServicesView((report("192.0.2.1", {6379: redis}),)))
    assert (status, result) == ("fail", "exposed")
    assert "no password" not in summary and "port 6379" in summary


def test_mail_ports_without_an_answer_are_unconfirmed():
    pop3 = PortProbe(110, "POP3 mail", OPEN, note="open; it said nothing: service unconfirmed")
    status, result, summary = run("services.mail_cleartext",
                                  ServicesView((report("192.0.2.1", {110: pop3}),)))
    assert (status, result) == ("warn", "unconfirmed") and "said nothing" in summary


def test_ssh_versions():
    def ssh(banner):
        probe = PortProbe(22, "SSH", OPEN, answer="SSH", banner=banner)
        return run("services.ssh", ServicesView((report("192.0.2.1", {22: probe}),)))

    assert ssh("SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u2")[:2] == ("warn", "outdated")
    assert ssh("SSH-2.0-OpenSSH_8.0")[:2] == ("info", "named")
    assert ssh("SSH-2.0-dropbear_2019.78")[:2] == ("warn", "outdated")
    status, result, summary = ssh("SSH-2.0-OpenSSH_for_Windows_7.7")
    assert (status, result) == ("info", "named")  # Windows Server 2019's, updated with Windows
    assert "Microsoft" in summary and "outdated" not in summary
    status, result, summary = ssh("SSH-2.0-Cisco-1.25")
    assert (status, result) == ("info", "named") and "Cisco-1.25" in summary
    assert run("services.ssh", ServicesView((report("192.0.2.1", {}),)))[:2] == ("info", "none")


def test_unavailable_evidence_and_refused_addresses():
    assert run("services.ssh", Unavailable("cancelled"))[:2] == ("error", "could-not-check")
    refused = AddressReport("10.0.0.1", ("shop.com",), error="10.0.0.1 is a private address",
                            refused=True)
    status, result, summary = run("services.ssh", ServicesView((refused,)))
    assert (status, result) == ("error", "could-not-check") and "private address" in summary
    empty = ServicesView((), (Skipped("mx.provider.com", "a provider"),))
    assert run("services.ssh", empty)[:2] == ("info", "no-addresses")
    broken = ServicesView((), problems=("shop.com: A: SERVFAIL",))
    assert run("services.ssh", broken)[:2] == ("error", "could-not-check")
