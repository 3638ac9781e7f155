"""Our Public Suffix List reader must give the answers of the `publicsuffixlist` package."""

from functools import lru_cache

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from publicsuffixlist import PublicSuffixList

from cyberbasics.protocols import psl


@lru_cache(maxsize=1)
def reference():
    return PublicSuffixList()


@lru_cache(maxsize=1)
def rules():
    return sorted(psl._suffix_list().rules | {f"x.{w}" for w in psl._suffix_list().wildcards}
                  | psl._suffix_list().exceptions)


def ascii_form(name: str) -> str | None:
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


@pytest.mark.parametrize("name", [
    "example.com", "a.b.example.com", "example.co.uk", "co.uk", "uk", "com",
    "www.ck", "a.www.ck", "foo.ck", "a.foo.ck", "city.kawasaki.jp", "a.city.kawasaki.jp",
    "x.y.kawasaki.jp", "example.unknowntld", "unknowntld", "a.b.c.d.e.f.example.org",
    "xn--bcher-kva.example", "Mail.Example.COM.", "shop.example.xn--p1ai", "xn--p1ai",
    "s3.amazonaws.com", "bucket.s3.amazonaws.com", "foo.github.io", "github.io",
    "xn--zckzah.jp", "a.xn--zckzah.jp", "xn--invalid-.com", "a..b", "", ".",
])
def test_known_names(name):
    usable = name.strip(".") and ".." not in name
    expected = reference().privatesuffix(name.rstrip(".").lower()) if usable else None
    assert psl.organisational_domain(name) == expected


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_names_under_every_kind_of_rule(data):
    rule = data.draw(st.sampled_from(rules()))
    prefix = data.draw(st.lists(st.sampled_from(["a", "shop", "www", "xn--bcher-kva"]),
                                max_size=3))
    name = ascii_form(".".join([*prefix, rule]))
    if name is None:
        return
    assert psl.organisational_domain(name) == reference().privatesuffix(name), name
