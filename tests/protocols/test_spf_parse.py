"""parse_record() and is_spf_record(): the record grammar of RFC 7208 §4.5, §4.6.1, §5-§7."""

from __future__ import annotations

import json

import pytest

from cyberbasics.protocols.spf import (
    Mechanism,
    Modifier,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("v=spf1", True),
    ("v=spf1 -all", True),
    ("V=SPF1 -all", True),
    ("v=Spf1", True),
    ("v=spf10", False),
    ("v=spf1-all", False),
    ("v=spf1\t-all", False),
    (" v=spf1 -all", False),
    ("v=spf2.0/pra -all", False),
    ("spf1 -all", False),
    ("", False),
    ("v=spf", False),
])
def test_is_spf_record(text, expected):
    assert is_spf_record(text) is expected


def test_terms_in_order_with_their_parts():
    record = parse_record("v=spf1 a mx/24 -a:mail.example.com/28//64 ~mx:example.net//48 "
                          "?ptr ptr:example.org +ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                          "include:_spf.example.com exists:%{i}._spf.%{d} all "
                          "redirect=_spf.example.com exp=explain.%{d} x-custom=%{c}")
    m = record.terms
    assert m[0] == Mechanism("a", "+", "a")
    assert m[1] == Mechanism("mx/24", "+", "mx", cidr4=24)
    assert m[2] == Mechanism("-a:mail.example.com/28//64", "-", "a",
                             domain_spec="mail.example.com", cidr4=28, cidr6=64)
    assert m[3] == Mechanism("~mx:example.net//48", "~", "mx", domain_spec="example.net",
                             cidr6=48)
    assert m[4] == Mechanism("?ptr", "?", "ptr")
    assert m[5] == Mechanism("ptr:example.org", "+", "ptr", domain_spec="example.org")
    assert m[6] == Mechanism("+ip4:192.0.2.0/24", "+", "ip4", network="192.0.2.0", cidr4=24)
    assert m[7] == Mechanism("ip6:2001:db8::/32", "+", "ip6", network="2001:db8::", cidr6=32)
    assert m[8].name == "include" and m[8].domain_spec == "_spf.example.com"
    assert m[9].name == "exists" and m[9].domain_spec == "%{i}._spf.%{d}"
    assert m[10] == Mechanism("all", "+", "all")
    assert m[11] == Modifier("redirect=_spf.example.com", "redirect", "_spf.example.com")
    assert m[12] == Modifier("exp=explain.%{d}", "exp", "explain.%{d}")
    assert m[13] == Modifier("x-custom=%{c}", "x-custom", "%{c}")
    assert record.redirect == m[11]
    assert record.exp == m[12]
    assert record.all == m[10]
    assert record.dns_terms == 9  # a mx a mx ptr ptr include exists redirect
    json.dumps(record.to_json())


def test_dns_terms_counts_every_querying_term():
    record = parse_record("v=spf1 a mx ptr include:a.example exists:b.example ip4:192.0.2.1 "
                          "ip6:::1 all exp=c.example redirect=d.example")
    assert record.dns_terms == 6  # a mx ptr include exists redirect (§4.6.4)
    assert [t.queries_dns for t in record.terms] == [True, True, True, True, True, False,
                                                     False, False, False, True]


def test_results_of_qualifiers():
    record = parse_record("v=spf1 +all -all ~all ?all all")
    assert [m.result for m in record.mechanisms] == ["pass", "fail", "softfail", "neutral",
                                                     "pass"]


def test_names_are_case_insensitive_but_text_is_kept():
    record = parse_record("V=SPF1 -ALL Include:Example.COM REDIRECT=x.example EXP=y.example")
    assert [t.name for t in record.terms] == ["all", "include", "redirect", "exp"]
    assert record.terms[1].text == "Include:Example.COM"
    assert record.redirect is not None and record.exp is not None


def test_spaces_between_and_after_terms():
    record = parse_record("v=spf1    a     -all   ")
    assert [t.text for t in record.terms] == ["a", "-all"]
    assert parse_record("v=spf1").terms == ()
    assert parse_record("v=spf1 ").terms == ()


@pytest.mark.parametrize("text", [
    "v=spf1 a:foo:bar/baz.example.com",  # ':' and '/' may appear in a domain-spec
    "v=spf1 a:example.com.",  # one trailing dot
    "v=spf1 a:.example",  # "." toplabel with an empty macro-string
    "v=spf1 a:foo.xn--zckzah",  # toplabel with dashes
    "v=spf1 a:foo.123-456",  # toplabel alternative 2 needs no letter
    "v=spf1 a:%{d}",  # domain-end may be a macro
    "v=spf1 a:foo%%",  # ... including %%
    "v=spf1 a:foo%_",
    "v=spf1 a:foo%-",
    "v=spf1 exists:%{ir}.%{l1r+-}.%{d2}._spf.example.com",
    "v=spf1 exists:%{IR}.%{L1R+-}.example.com",  # upper case letters and R
    "v=spf1 exists:%{d02}.example.com",  # digits with a leading zero, nonzero value
    "v=spf1 exists:%{d999999999999}.example.com",  # more parts than available
    "v=spf1 exists:%{l.-+,/_=}.example.com",  # every delimiter
    "v=spf1 a/0 a//0 a/32//128 mx/0//0",
    "v=spf1 ip4:0.0.0.0/0 ip4:255.255.255.255/32 ip6:::/0 ip6:::1/128",
    "v=spf1 ip6:::ffff:192.0.2.1 ip6:2001:DB8:0:0:0:0:0:1",
    "v=spf1 foo=",  # unknown modifier with an empty macro-string
    "v=spf1 foo=%{c}%{r}%{t}",  # never expanded, so every letter is allowed
    "v=spf1 a.b-c_d=1 x=y x=z",  # unknown modifiers may repeat
    "v=spf1 redirect=x.example exp=y.example",
    "v=spf1 include:_spf.example.com",
    "v=spf1 moo.cow-far_out=man:dog/cat",
])
def test_valid_records(text):
    parse_record(text)


@pytest.mark.parametrize(("text", "fragment"), [
    ("v=spf10 -all", "must start with 'v=spf1'"),
    ("spf1 -all", "must start with 'v=spf1'"),
    ("v=spf1 moo", "unknown mechanism 'moo'"),
    ("v=spf1 -", "missing mechanism name"),
    ("v=spf1 +", "missing mechanism name"),
    ("v=spf1 -all.", "unknown mechanism 'all.'"),
    ("v=spf1 -all:x", "'all' takes no argument"),
    ("v=spf1 all/8", "'all' takes no argument"),
    ("v=spf1 include", "'include' needs ':'"),
    ("v=spf1 include:", "needs a domain"),
    ("v=spf1 exists", "'exists' needs ':'"),
    ("v=spf1 ptr/24", "'ptr' takes no CIDR length"),
    ("v=spf1 ptr:", "needs a domain"),
    ("v=spf1 a:", "needs a domain"),
    ("v=spf1 a:museum", "must end in a dot"),
    ("v=spf1 a:museum.", "must end in a dot"),
    ("v=spf1 a:abc.123", "must end in a dot"),
    ("v=spf1 a:example.-com", "must end in a dot"),
    ("v=spf1 a:example.com-", "must end in a dot"),
    ("v=spf1 a:example.com..", "must end in a dot"),
    ("v=spf1 a:%{d}.", "must end in a dot"),
    ("v=spf1 a:%{d}com", "must end in a dot"),
    ("v=spf1 a:example.com:25", "must end in a dot"),
    ("v=spf1 a/33", "CIDR length /33"),
    ("v=spf1 a//129", "CIDR length /129"),
    ("v=spf1 a/024", "CIDR length /024"),
    ("v=spf1 a/24/64", "malformed CIDR"),
    ("v=spf1 a/", "malformed CIDR"),
    ("v=spf1 a//", "malformed CIDR"),
    ("v=spf1 mx/x", "malformed CIDR"),
    ("v=spf1 ip4", "'ip4' needs ':'"),
    ("v=spf1 ip4:", "'ip4' needs ':'"),
    ("v=spf1 ip4:192.0.2", "not a full dotted-quad"),
    ("v=spf1 ip4:192.0.2.256", "not a full dotted-quad"),
    ("v=spf1 ip4:192.0.2.01", "not a full dotted-quad"),
    ("v=spf1 ip4:192.0.2.1/", "CIDR length /"),
    ("v=spf1 ip4:192.0.2.1/33", "CIDR length /33"),
    ("v=spf1 ip4:192.0.2.1//32", "CIDR length //32"),
    ("v=spf1 ip4:::1", "not a full dotted-quad"),
    ("v=spf1 ip6:192.0.2.1", "not an IPv6 address"),
    ("v=spf1 ip6:2001:db8::/129", "CIDR length /129"),
    ("v=spf1 ip6:2001:db8:::1", "not an IPv6 address"),
    ("v=spf1 ip6:fe80::1%eth0", "not an IPv6 address"),
    ("v=spf1 redirect=", "needs a domain"),
    ("v=spf1 redirect=-all", "must end in a dot"),
    ("v=spf1 redirect:x.example", "redirect is a modifier"),
    ("v=spf1 exp=", "needs a domain"),
    ("v=spf1 exp=%{r}.example.com", "allowed only in explanation text"),
    ("v=spf1 exp=%{c}.example.com", "allowed only in explanation text"),
    ("v=spf1 a:%{t}.example.com", "allowed only in explanation text"),
    ("v=spf1 redirect=a.example redirect=b.example", "redirect= modifier appears more than once"),
    ("v=spf1 exp=a.example EXP=b.example", "exp= modifier appears more than once"),
    ("v=spf1 =foo", "unknown mechanism '=foo'"),
    ("v=spf1 1up=foo", "unknown mechanism '1up=foo'"),
    ("v=spf1 _x=foo", "unknown mechanism '_x=foo'"),
    ("v=spf1 foo=%", "'%' must be followed by"),
    ("v=spf1 foo=%x", "'%' must be followed by"),
    ("v=spf1 exists:%(ir).example.com", "'%' must be followed by"),
    ("v=spf1 exists:%{ir.example.com", "malformed macro"),
    ("v=spf1 exists:%{}.example.com", "malformed macro"),
    ("v=spf1 exists:%{dr2}.example.com", "malformed macro"),
    ("v=spf1 exists:%{d2x}.example.com", "malformed macro"),
    ("v=spf1 exists:%{a}.example.com", "unknown macro letter 'a'"),
    ("v=spf1 exists:%{d0}.example.com", "must not be zero"),
    ("v=spf1 exists:%{d00}.example.com", "must not be zero"),
    ("v=spf1 a:caf\u00e9.example.com", "only visible US-ASCII"),
    ("v=spf1 \u00a0-all", "only visible US-ASCII"),
    ("v=spf1 -all\x00", "only visible US-ASCII"),
    ("v=spf1 a\tmx", "only visible US-ASCII"),
])
def test_syntax_errors_say_what_and_where(text, fragment):
    with pytest.raises(SpfSyntaxError) as caught:
        parse_record(text)
    error = caught.value
    assert fragment in str(error)
    if error.position is not None:
        assert 0 <= error.position <= len(text)
        assert f"at character {error.position + 1}" in str(error)
    if error.term is not None:
        assert error.term in text


def test_error_position_points_at_the_bad_term():
    text = "v=spf1 ip4:192.0.2.1 include:_spf.example.com moo -all"
    with pytest.raises(SpfSyntaxError) as caught:
        parse_record(text)
    assert caught.value.term == "moo"
    assert text[caught.value.position:].startswith("moo")
    assert caught.value.reason == "unknown mechanism 'moo'"


def test_error_position_inside_a_macro():
    text = "v=spf1 exists:%{i}.%{x}.example.com"
    with pytest.raises(SpfSyntaxError) as caught:
        parse_record(text)
    assert text[caught.value.position:].startswith("%{x}")


def test_syntax_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_record("v=spf1 bogus")


def test_record_is_frozen_and_hashable():
    record = parse_record("v=spf1 mx -all")
    with pytest.raises(AttributeError):
        record.text = "x"  # type: ignore[misc]
    assert hash(record) == hash(parse_record("v=spf1 mx -all"))
