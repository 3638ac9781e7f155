"""Version comparison: dotted numbers with suffixes, vendor builds, and imprecise versions
that must never count as affected."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cyberbasics.vulns.versions import (
    AffectedRange,
    VersionError,
    compare,
    compare_seen,
    parse_version,
    try_parse,
)

V = parse_version


@pytest.mark.parametrize(("lower", "higher"), [
    ("2.4.49", "2.4.50"),
    ("2.4.9", "2.4.10"),  # numbers, not text
    ("8.9", "8.9p1"),  # OpenSSH portable suffix comes after the release
    ("8.9p1", "8.9p2"),
    ("8.9p1", "9.0p1"),
    ("2.4.0rc1", "2.4.0"),  # a pre-release comes before
    ("1.3.5rc3", "1.3.5"),
    ("1.3.5", "1.3.5a"),
    ("15.1.2176.2", "15.1.2176.12"),  # Exchange builds
    ("15.01.2176.012", "15.1.2242.4"),  # leading zeros as Microsoft writes them
    ("13.1-48.47", "13.1-49.13"),  # NetScaler
    ("9.0R3.3", "9.0R3.4"),  # Pulse / Ivanti
    ("9.0R3", "9.0R3.4"),
    ("8.2R12.1", "8.3R1"),
    ("22.7R2.4", "22.7R2.5"),
    ("10.2.9", "10.2.9-h1"),  # PAN-OS hotfix
    ("10.2.9-h1", "10.2.10"),
    ("6.5.4.14-109n", "6.5.4.15-116n"),  # SonicOS
    ("7.0.1-5035", "7.1.1-7040"),
])
def test_order(lower, higher):
    assert V(lower) < V(higher)
    assert compare(V(higher), V(lower)) == 1


@pytest.mark.parametrize(("a", "b"), [("7", "7.0"), ("7.0.0", "7"), ("2.4.49", "2.4.49"),
                                      ("9.0R3", "9.0r3"), ("15.01.2176.012", "15.1.2176.12")])
def test_equal(a, b):
    assert V(a) == V(b) and hash(V(a)) == hash(V(b))


@pytest.mark.parametrize("text", ["", " ", "v2.4", "latest", "2.4.49 (Unix)", "2.4/5",
                                  "1" * 40, "1." * 40, "x" * 100, "2.4.49 x", "١٢"])
def test_not_versions(text):
    with pytest.raises(VersionError):
        parse_version(text)
    assert try_parse(text) is None


def test_an_imprecise_version_cannot_be_compared_with_a_finer_bound():
    assert compare_seen(V("2.4"), V("2.4.49")) is None
    assert compare_seen(V("7.0"), V("7.0.5")) is None
    assert compare_seen(V("15.1.2242"), V("15.1.2242.8")) is None
    assert compare_seen(V("2.4"), V("2.4.0")) == 0  # only zeros follow: the same version
    assert compare_seen(V("2.2"), V("2.4.49")) == -1  # differs before it runs out
    assert compare_seen(V("2.4.49"), V("2.4")) == 1


@pytest.mark.parametrize(("version", "expected"), [
    ("2.4.48", False), ("2.4.49", True), ("2.4.50", True), ("2.4.51", False),
    ("2.4", None), ("2", None), ("3", False), ("1.3", False), (None, None), ("junk", None),
])
def test_range_with_last_affected(version, expected):
    assert AffectedRange("2.4.49", last_affected="2.4.50").contains(version) is expected


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1", True), ("4.90.0", True), ("4.90.1", False), ("4.91", False),
    ("4.9", True), ("4", None),
    ("4.90", None),  # could be 4.90.1 or later: imprecise against the bound, never reported
])
def test_range_with_fixed_from_zero(version, expected):
    assert AffectedRange("0", fixed="4.90.1").contains(version) is expected


def test_open_and_invalid_ranges():
    assert AffectedRange("1.0").contains("99.9") is True
    assert AffectedRange("1.0").describe() == "from 1.0 on"
    with pytest.raises(VersionError):
        AffectedRange("2.0", fixed="1.0")
    with pytest.raises(VersionError):
        AffectedRange("2.0", fixed="2.0")
    with pytest.raises(VersionError):
        AffectedRange("1.0", fixed="2.0", last_affected="1.9")
    with pytest.raises(VersionError):
        AffectedRange("not a version")
    assert AffectedRange("2.4.49", last_affected="2.4.49").describe() == "2.4.49 only"
    assert AffectedRange("0", fixed="7.58").describe() == "before 7.58"


# --- fuzzing --------------------------------------------------------------------------------

_part = st.one_of(st.integers(0, 30).map(str),
                  st.sampled_from(["p1", "rc1", "a", "R3", "h2", "beta", "n", "0"]))
versions = st.lists(_part, min_size=1, max_size=6).map(
    lambda parts: ".".join(parts)).filter(lambda text: text[0].isdigit()).map(V)


@given(st.text(max_size=80))
def test_parsing_never_crashes(text):
    version = try_parse(text)
    if version is not None:
        assert version == parse_version(text)


@given(versions, versions)
def test_order_is_antisymmetric(a, b):
    assert compare(a, b) == -compare(b, a)
    assert (a == b) == (compare(a, b) == 0)


@given(versions, versions, versions)
def test_order_is_transitive(a, b, c):
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0


@given(versions, versions)
def test_compare_seen_agrees_with_compare_when_it_answers(a, b):
    answer = compare_seen(a, b)
    assert answer is None or answer == compare(a, b)


@given(versions, versions, versions)
def test_range_membership_is_consistent(low, high, seen):
    assume(low < high)
    fixed = AffectedRange(low.text, fixed=high.text)
    assert fixed.contains(low) in (True, None)
    assert fixed.contains(high) in (False, None)
    answer = fixed.contains(seen)
    if answer is True:
        assert low <= seen < high
    elif answer is False:
        assert not (low <= seen < high)
    closed = AffectedRange(low.text, last_affected=high.text)
    answer = closed.contains(seen)
    if answer is True:
        assert low <= seen <= high
    elif answer is False:
        assert not (low <= seen <= high)
