"""Trust boundary, Authentication-Results, lookalikes, links and the verdict rules."""

from __future__ import annotations

import pytest

from cyberbasics.mail.links import check_links, extract_links
from cyberbasics.mail.lookalike import find_lookalike, skeleton
from cyberbasics.mail.message import parse_message
from cyberbasics.mail.trust import parse_authentication_results, parse_received, trust_view
from cyberbasics.mail.verdict import Options, analyse

OWN = ("acmebakery.pl",)


def _msg(*headers: str, body: str = "") -> bytes:
    return ("\n".join(headers) + "\n\n" + body).encode()


# --- trust boundary ------------------------------------------------------------------------

def test_received_from_clause_gives_helo_and_ip():
    hop = parse_received(0, "from mail.x.example (mail.x.example [IPv6:2001:db8::1]) by "
                            "mx1.acmebakery.pl with ESMTPS id 1; Wed, 25 Nov 2026")
    assert (hop.helo, hop.ip, hop.by) == ("mail.x.example", "2001:db8::1", "mx1.acmebakery.pl")
    assert parse_received(0, "by mx1.a.example; x").ip is None


def test_ip_in_by_clause_is_not_the_connecting_ip():
    hop = parse_received(0, "from h (unknown) by mx [192.0.2.99]; x")
    assert hop.ip is None


def test_only_headers_above_the_boundary_are_trusted():
    data = _msg("Authentication-Results: mx1.acmebakery.pl; dmarc=pass header.from=a.example",
                "Received: from evil ([198.51.100.1]) by mx1.acmebakery.pl; x",
                "Authentication-Results: mx1.acmebakery.pl; dmarc=fail header.from=a.example",
                "Received: from z by mx1.acmebakery.pl; forged lower hop",
                "From: a@a.example")
    view = trust_view(parse_message(data), (), ("mx1.acmebakery.pl",))
    assert [h.position for h in view.trusted_auth] == [0]
    assert [why for _, why in view.ignored_auth] == ["below_boundary"]
    assert view.hop.ip == "198.51.100.1"


def test_mx_hosts_pick_the_hop_they_added_and_everything_above():
    data = _msg("Received: by internal-relay.acmebakery.pl; x",
                "Authentication-Results: MX1.acmebakery.pl; dmarc=pass header.from=a.example",
                "Received: from h ([192.0.2.5]) by mx1.acmebakery.pl.; x",
                "Received: from fake ([203.0.113.1]) by mx1.acmebakery.pl; x (written by sender)",
                "From: a@a.example")
    message = parse_message(data)
    view = trust_view(message, ("MX1.acmebakery.pl",), ("mx1.acmebakery.pl",))
    assert view.hop.ip == "192.0.2.5"
    assert len(view.trusted_auth) == 1
    default = trust_view(message, (), ("mx1.acmebakery.pl",))
    assert default.hop.by == "internal-relay.acmebakery.pl" and not default.trusted_auth


def test_authentication_results_parsing():
    header = parse_authentication_results(0, (
        "mx.google.com; dkim=pass header.i=@a.example header.s=s1; spf=softfail "
        "(google.com: domain of x does not designate 1.2.3.4) smtp.mailfrom=x@a.example; "
        "dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=a.example"))
    assert header.authserv_id == "mx.google.com"
    methods = {r.method: r for r in header.results}
    assert methods["spf"].result == "softfail"
    assert methods["dmarc"].policy == "quarantine"
    assert methods["dkim"].properties["header.s"] == "s1"
    assert parse_authentication_results(0, "x.example; none").results == ()
    assert parse_authentication_results(0, "  ") is None
    policy = parse_authentication_results(0, "x; dmarc=fail policy.dmarc=reject header.from=a")
    assert policy.results[0].policy == "reject"


# --- lookalikes ----------------------------------------------------------------------------

@pytest.mark.parametrize(("domain", "kind"), [
    ("xn--cmebakery-zyh.pl", "idn"),  # Cyrillic а
    ("acmebakerry.pl", "typo"),
    ("acmebakey.pl", "typo"),
    ("acmebaekry.pl", "typo"),
    ("acrnebakery.pl", "homoglyph"),
    ("acmebakery.com", "tld_swap"),
    ("secure-acmebakery.pl", "added_words"),
    ("acmebakeryinvoice.pl", "added_words"),
    ("mail.acmebakery-login.pl", "added_words"),
])
def test_lookalikes_of_own_domain(domain, kind):
    found = find_lookalike(domain, OWN)
    assert found is not None and (found.kind, found.looks_like) == (kind, "acmebakery.pl")


@pytest.mark.parametrize("domain", [
    "acmebakery.pl", "mail.acmebakery.pl", "example.com", "bakery.pl", "acme.pl",
    "acmebakeryfans-club.pl"])
def test_not_lookalikes(domain):
    assert find_lookalike(domain, OWN) is None


def test_skeleton_maps_greek_and_cyrillic():
    assert skeleton("nοrdsuррly") == skeleton("nordsupply")


# --- links ---------------------------------------------------------------------------------

def test_links_text_and_target():
    html = ('<a href="https://evil.example/x">https://www.acmebank.pl</a>'
            '<a href="https://www.acmebank.pl/login">acmebank.pl</a>'
            '<a href="https://secure.acmebank.pl/">www.acmebank.pl/login</a>'
            '<a href="http://[2001:db8::1]/">here</a>'
            '<a href="https://xn--80ak6aa92e.com/">apple.com</a>'
            '<a href="mailto:a@b.example">c.example</a>'
            '<a href="https://files.example/">report.pdf</a>'
            '<a href="http://[broken/">broken</a>')
    kinds = sorted((f.kind, f.host) for f in check_links((html,)))
    assert kinds == [("ip_target", "2001:db8::1"), ("punycode_target", "xn--80ak6aa92e.com"),
                     ("text_mismatch", "evil.example"), ("text_mismatch", "xn--80ak6aa92e.com")]


def test_extract_links_survives_broken_html():
    assert [link.text for link in extract_links("<a href='x'>one <b>two</a><a href=y>three")] \
        == ["one two", "three"]


# --- verdict rules -------------------------------------------------------------------------

_HOP = "Received: from h (h [192.0.2.1]) by mx1.acmebakery.pl; x"
_IDS = ("mx1.acmebakery.pl",)


def _verdict(*headers: str, body: str = "", **options) -> tuple[str, list[str]]:
    analysis = analyse(parse_message(_msg(*headers, body=body)),
                       Options(trusted_authserv_ids=_IDS, **options))
    return analysis.verdict, [r.id for r in analysis.reasons]


def test_authentic_needs_a_trusted_aligned_dmarc_pass():
    ar = "Authentication-Results: mx1.acmebakery.pl; dmarc=pass header.from=a.example"
    assert _verdict(ar, _HOP, "From: x@a.example")[0] == "authentic"
    assert _verdict(ar, _HOP, "From: x@sub.a.example")[0] == "unknown"  # not that domain
    spf_only = "Authentication-Results: mx1.acmebakery.pl; spf=pass smtp.mailfrom=a.example"
    assert _verdict(spf_only, _HOP, "From: x@a.example")[0] == "unknown"
    assert _verdict(_HOP, ar, "From: x@a.example")[0] == "unknown"  # below the boundary
    assert _verdict(ar, "From: x@a.example")[0] == "unknown"  # no Received: no boundary
    both = "Authentication-Results: mx1.acmebakery.pl; dmarc=fail header.from=a.example"
    assert _verdict(ar, both, _HOP, "From: x@a.example")[0] == "unknown"


def test_deception_beats_a_dmarc_pass():
    ar = "Authentication-Results: mx1.acmebakery.pl; dmarc=pass header.from=acrnebakery.pl"
    verdict, ids = _verdict(ar, _HOP, "From: x@acrnebakery.pl", "To: ewa@acmebakery.pl")
    assert verdict == "suspicious" and "lookalike_domain" in ids


def test_forged_only_under_an_enforcing_policy_and_without_arc():
    fail = "Authentication-Results: mx1.acmebakery.pl; dmarc=fail (p=reject) header.from=a.ex"
    assert _verdict(fail, _HOP, "From: x@a.ex")[0] == "forged"
    none = fail.replace("p=reject", "p=none")
    assert _verdict(none, _HOP, "From: x@a.ex")[0] == "unknown"
    arc = "ARC-Seal: i=1; cv=none; d=list.example; s=a; b=x"
    assert _verdict(fail, _HOP, arc, "From: x@a.ex")[0] == "suspicious"
    untrusted = fail.replace("mx1.acmebakery.pl", "mx.other.example")
    assert _verdict(untrusted, _HOP, "From: x@a.ex")[0] == "unknown"


def test_own_domains_option_and_recipients():
    verdict, ids = _verdict(_HOP, "From: boss@acmebakery.com", own_domains=("acmebakery.pl",))
    assert verdict == "suspicious" and ids == ["lookalike_domain"]
    assert _verdict(_HOP, "From: boss@acmebakery.com")[0] == "unknown"


def test_display_name_checks():
    def ids(sender: str) -> list[str]:
        return _verdict(_HOP, "From: " + sender)[1]

    assert "display_name_domain" not in ids('"Dr. J. Smith" <j@a.example>')
    assert "display_name_address" not in ids('"j@a.example" <J@a.example>')
    assert "display_name_domain" not in ids('"nordsupply.de team" <j@mail.nordsupply.de>')
    assert "display_name_domain" in ids('"Microsoft.com" <j@a.example>')
    assert "display_name_address" in ids('"boss@acmebakery.pl via app" <j@a.example>')
