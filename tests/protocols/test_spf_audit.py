"""analyse_policy(): the static SPF audit used by the scanner checks."""

from __future__ import annotations

import json

import pytest

from cyberbasics.protocols.spf import SpfPolicyReport, analyse_policy
from tests.protocols.fake_dns import ZoneDns, txt_rdata
from tests.protocols.spf_scenarios import FAULTS, ZONE


async def audit(domain: str, zone=None, faults=None) -> tuple[SpfPolicyReport, ZoneDns]:
    dns = ZoneDns(ZONE if zone is None else zone, FAULTS if faults is None else faults)
    report = await analyse_policy(domain, dns=dns)
    json.dumps(report.to_json())  # always JSON-serialisable
    return report, dns


def txt_fetches(dns: ZoneDns) -> dict[str, int]:
    return {name: count for (name, rdtype), count in dns.query_counts.items()
            if rdtype == "TXT"}


async def test_ok_policy_tree_and_counts():
    report, dns = await audit("audit-ok.spf.test")
    assert report.status == "ok"
    assert report.records == ("v=spf1 mx include:audit-inc1.spf.test -all",)
    assert report.record is not None and report.record.all is not None
    assert report.all_qualifier == "-" and report.all_result == "fail"
    assert report.all_domain == "audit-ok.spf.test"
    # mx + include (root) + a + include (audit-inc1); ip4 and all are free.
    assert report.lookups == 4 and report.lookup_status == "ok"
    # a:audit-nx.spf.test does not exist: one void lookup.
    assert report.void_lookups == 1 and report.void_status == "ok"
    assert report.nested_errors == () and report.loops == ()
    tree = report.tree
    assert tree is not None
    assert (tree.domain, tree.via, tree.status, tree.lookups) == ("audit-ok.spf.test", "root",
                                                                  "ok", 2)
    [inc1] = tree.children
    assert (inc1.domain, inc1.via, inc1.term, inc1.lookups, inc1.void_lookups) == (
        "audit-inc1.spf.test", "include", "include:audit-inc1.spf.test", 2, 1)
    [inc2] = inc1.children
    assert inc2.domain == "audit-inc2.spf.test" and inc2.lookups == 0
    assert tree.total_lookups == 4 and tree.total_void_lookups == 1
    assert txt_fetches(dns) == {"audit-ok.spf.test": 1, "audit-inc1.spf.test": 1,
                                "audit-inc2.spf.test": 1}


async def test_to_json_shape():
    report, _ = await audit("audit-ok.spf.test")
    data = report.to_json()
    assert {"domain", "status", "records", "record", "error", "all_qualifier", "all_result",
            "lookups", "lookup_limit", "lookup_status", "void_lookups", "void_limit",
            "void_status", "loops", "nested_errors", "warnings", "tree",
            "truncated"} <= set(data)
    assert data["lookup_limit"] == 10 and data["void_limit"] == 2
    assert data["tree"]["children"][0]["domain"] == "audit-inc1.spf.test"
    assert data["record"]["terms"][0] == {"kind": "mechanism", "text": "mx", "qualifier": "+",
                                          "name": "mx"}


@pytest.mark.parametrize(("domain", "all_domain", "lookups"), [
    ("audit-redirect.spf.test", "audit-ok.spf.test", 5),
    ("audit-redirect2.spf.test", "audit-ok.spf.test", 6),
])
async def test_all_qualifier_follows_redirect(domain, all_domain, lookups):
    report, _ = await audit(domain)
    assert report.all_qualifier == "-"
    assert report.all_domain == all_domain
    assert report.lookups == lookups  # each redirect= counts too


async def test_no_all_and_no_redirect():
    report, _ = await audit("audit-noall.spf.test")
    assert report.status == "ok"
    assert report.all_qualifier is None and report.all_result is None


@pytest.mark.parametrize(("domain", "status"), [
    ("audit-multi.spf.test", "multiple"),
    ("audit-syntax.spf.test", "syntax_error"),
    ("audit-none.spf.test", "none"),
    ("nx1.spf.test", "none"),
    ("audit-dns.spf.test", "dns_error"),
])
async def test_root_status(domain, status):
    report, _ = await audit(domain)
    assert report.status == status
    assert report.error
    assert report.record is None
    expected = "unknown" if status == "dns_error" else "not_applicable"
    assert report.lookup_status == expected and report.void_status == expected


async def test_multiple_records_are_all_listed():
    report, _ = await audit("audit-multi.spf.test")
    assert report.records == ("v=spf1 -all", "v=spf1 ~all")


async def test_syntax_error_says_where():
    report, _ = await audit("audit-syntax.spf.test")
    assert "unknown mechanism 'moo'" in (report.error or "")
    assert report.records == ("v=spf1 ip4:192.0.2.1 moo -all",)


@pytest.mark.parametrize("domain", ["not a domain", "", "localhost", "[192.0.2.1]"])
async def test_invalid_domain(domain):
    report, dns = await audit(domain)
    assert report.status == "none"
    assert dns.queries == []


async def test_nested_errors():
    report, _ = await audit("audit-nested.spf.test")
    assert report.status == "ok"
    kinds = {(e.domain, e.kind) for e in report.nested_errors}
    assert kinds == {("audit-t-none.spf.test", "none"),
                     ("audit-t-syntax.spf.test", "syntax_error"),
                     ("audit-t-multi.spf.test", "multiple"),
                     ("audit-t-nx.spf.test", "none")}
    for error in report.nested_errors:
        assert error.path == ("audit-nested.spf.test", error.domain)
        assert error.term == f"include:{error.domain}"
        assert "permerror" in error.message
    assert report.void_lookups == 1  # the NXDOMAIN include target
    assert report.lookup_status == "ok"


async def test_dns_error_makes_the_count_unknown():
    report, _ = await audit("audit-withdns.spf.test")
    assert report.status == "ok"
    assert report.lookups == 1
    assert report.lookup_status == "unknown"
    assert report.void_status == "unknown"
    [error] = report.nested_errors
    assert error.kind == "dns_error" and error.domain == "audit-t-dns.spf.test"


async def test_over_limit_even_with_a_dns_error():
    report, _ = await audit("audit-overdns.spf.test")
    assert report.lookups == 13  # 4 includes + 3 x 3 a; a lower bound
    assert report.lookup_status == "over_limit"


async def test_repeated_include_is_fetched_once_but_counted_each_time():
    report, dns = await audit("audit-over.spf.test")
    assert report.lookups == 12  # 3 includes + 3 x 3 a
    assert report.lookup_status == "over_limit"
    assert txt_fetches(dns)["audit-three.spf.test"] == 1
    assert dns.query_counts[("audit-three.spf.test", "A")] == 1
    assert len(report.tree.children) == 3  # type: ignore[union-attr]


async def test_loop_is_reported_and_terminates():
    report, dns = await audit("audit-loop-a.spf.test")
    assert report.loops == ("audit-loop-a.spf.test -> audit-loop-b.spf.test -> "
                            "audit-loop-a.spf.test",)
    assert report.lookup_status == "over_limit"  # a loop always hits the limit
    [error] = report.nested_errors
    assert error.kind == "loop"
    assert txt_fetches(dns) == {"audit-loop-a.spf.test": 1, "audit-loop-b.spf.test": 1}


async def test_self_redirect_loop():
    report, _ = await audit("rloop.spf.test")
    assert report.loops == ("rloop.spf.test -> rloop.spf.test",)
    assert report.lookup_status == "over_limit"


async def test_message_dependent_macros_are_not_followed():
    report, dns = await audit("audit-macro.spf.test")
    assert report.lookups == 1
    assert report.lookup_status == "unknown"
    assert any("uses macros" in w for w in report.warnings)
    assert report.tree.children[0].status == "macro"  # type: ignore[union-attr]
    assert len(dns.queries) == 1


async def test_domain_macros_are_followed():
    # RFC 7208 A.3: include:mobile-users._spf.%{d} needs only the domain.
    report, _ = await audit("example.com")
    assert [c.domain for c in report.tree.children] == [  # type: ignore[union-attr]
        "mobile-users._spf.example.com", "remote-users._spf.example.com"]
    assert report.lookups == 5  # mx, 2 includes, 2 exists
    assert report.lookup_status == "ok"


async def test_mx_limit_is_a_nested_error():
    report, _ = await audit("audit-mx.spf.test")
    [error] = report.nested_errors
    assert error.kind == "mx_limit"
    assert "11 MX records" in error.message


async def test_void_lookups_over_limit():
    report, _ = await audit("audit-voids.spf.test")
    assert report.void_lookups == 3
    assert report.void_status == "over_limit"
    assert report.lookup_status == "ok"


async def test_warnings():
    report, dns = await audit("audit-warn.spf.test")
    text = " ".join(report.warnings)
    assert "ptr mechanism" in text
    assert "+all" in text
    assert "after 'all'" in text
    assert "redirect is ignored" in text
    assert report.all_qualifier == "+"
    assert report.lookups == 1  # the redirect is ignored, ip4 after all never runs
    assert not dns.asked("audit-ok.spf.test", "TXT")


async def test_appendix_a2_tree():
    report, _ = await audit("sf.example.org")
    assert report.all_domain == "example.org"
    assert report.lookups == 8  # redirect, 2 includes, mx, 2 includes, 2 exists
    redirect = report.tree.children[0]  # type: ignore[union-attr]
    assert (redirect.via, redirect.domain) == ("redirect", "example.org")
    assert [c.domain for c in redirect.children] == ["example.com", "example.net"]


async def test_huge_tree_is_capped():
    # 30 domains each including the next 5: far too many paths to walk.
    zone = {f"n{i}.wide.test": [("TXT", '"v=spf1 ' + " ".join(
        f"include:n{j}.wide.test" for j in range(i + 1, min(i + 6, 30))) + ' -all"')]
        for i in range(30)}
    report, dns = await audit("n0.wide.test", zone=zone, faults={})
    assert report.truncated
    assert report.lookup_status == "over_limit"
    assert len(dns.queries) <= 200
    assert all(count == 1 for count in dns.query_counts.values())


async def test_many_distinct_domains_are_capped():
    zone = {"root.many.test": [("TXT", txt_rdata("v=spf1 " + " ".join(
        f"include:d{i}.many.test" for i in range(80)) + " -all"))]}
    zone.update({f"d{i}.many.test": [("TXT", '"v=spf1 -all"')] for i in range(80)})
    report, dns = await audit("root.many.test", zone=zone, faults={})
    assert report.truncated
    assert report.lookups == 80
    assert report.lookup_status == "over_limit"
    assert len({name for name, _ in dns.queries}) <= 60


async def test_deep_chain_is_cut_off():
    # Following a chain stops at a fixed depth; every level costs a lookup, so a cut
    # chain is always already over the limit.
    zone = {f"c{i}.deep.test": [("TXT", f'"v=spf1 include:c{i + 1}.deep.test -all"')]
            for i in range(40)}
    report, dns = await audit("c0.deep.test", zone=zone, faults={})
    assert report.truncated
    assert report.lookup_status == "over_limit"
    assert len(dns.queries) < 20


async def test_domain_macro_target_without_record():
    zone = {"top.deep.test": [("TXT", '"v=spf1 include:%{d}.x.deep.test -all"')]}
    report, dns = await audit("top.deep.test", zone=zone, faults={})
    assert dns.asked("top.deep.test.x.deep.test", "TXT")
    [error] = report.nested_errors
    assert (error.kind, error.domain) == ("none", "top.deep.test.x.deep.test")
    assert report.void_lookups == 1
