"""DMARC policy records: parsing, discovery and external report authorisation.

Written against RFC 9989 (DMARCbis, which obsoletes RFC 7489) and RFC 7489.
The RFC 9989 text used is the last working-group draft,
draft-ietf-dmarc-dmarcbis-41, whose §4.7, §4.10 and §4.10.1-2 sentences
this module relies on match the published RFC 9989 where quoted elsewhere.

Where the two documents differ and what this module does:

* ``p``: RFC 7489 §6.3 requires ``v`` then ``p``; RFC 9989 §4.7 makes ``p``
  RECOMMENDED, and §4.10.1 says a record without a valid ``p`` (or with an
  invalid ``sp``/``np``) acts as ``p=none`` when ``rua`` holds at least one
  valid URI, and otherwise gets no DMARC processing.  RFC 7489 §6.6.3 step 6
  says the same for a missing or invalid ``p``/``sp``.  Both rules are modelled
  by :attr:`DmarcRecord.usable` / :attr:`DmarcRecord.effective_p`; the record
  also says whether an RFC 7489 reader would object (:attr:`DmarcRecord.rfc7489_issues`).
* ``pct``, ``rf`` and ``ri`` exist only in RFC 7489; ``np``, ``psd`` and ``t``
  only in RFC 9989.  All are parsed, and :attr:`DmarcRecord.features` says which
  were used.  ``t=y`` (RFC 9989 Appendix A.6) is the successor of ``pct=0``.
* Discovery: RFC 7489 looks at the domain, then at the Public Suffix List
  organisational domain; RFC 9989 §4.10 walks up the DNS tree (at most eight
  queries) and selects the organisational domain with ``psd=``.  :func:`discover`
  does the RFC 9989 walk and also reports the PSL answer so the two can be compared.
* Several records at the domain: RFC 7489 §6.6.3 step 5 then applies no DMARC
  at all; RFC 9989 §4.10 step 2 discards them and the walk continues.  Discovery
  follows RFC 9989 and reports the condition as its own status.
* Duplicated tags: DMARC records "follow the extensible tag-value syntax ...
  defined in DKIM" (RFC 9989 §4.7, RFC 7489 §6.3), and RFC 6376 §3.2 makes a
  tag-list with a repeated tag invalid, so :func:`parse_dmarc` rejects them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from cyberbasics.net.dns import NOERROR, NXDOMAIN, DnsAnswer
from cyberbasics.protocols import psl
from cyberbasics.protocols.tagvalue import (
    ReportUri,
    TagListError,
    parse_report_uri,
    split_tag_list,
)

__all__ = [
    "DmarcDiscovery",
    "DmarcLookup",
    "DmarcParseError",
    "DmarcRecord",
    "ReportUri",
    "discover",
    "external_report_authorised",
    "is_dmarc_record",
    "looks_like_dmarc",
    "parse_dmarc",
    "psl_organisational_domain",
]

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "np", "psd", "t", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri"}
)
RFC7489_ONLY_TAGS = ("pct", "rf", "ri")
RFC9989_ONLY_TAGS = ("np", "psd", "t")
MAX_TREE_WALK_QUERIES = 8  # RFC 9989 §4.10

_FO_VALUES = ("0", "1", "d", "s")
_DIGITS = re.compile(r"[0-9]{1,10}")


class DmarcParseError(ValueError):
    """The text is not a readable DMARC record; the message says which tag is wrong."""


@dataclass(frozen=True)
class DmarcRecord:
    """One DMARC policy record as published, with invalid values replaced by defaults.

    ``p``, ``sp`` and ``np`` are ``None`` when absent *or* invalid (``problems``
    says which); use :attr:`effective_p` and friends for what a receiver applies.
    """

    raw: str
    p: str | None = None
    sp: str | None = None
    np: str | None = None
    psd: str = "u"  # "y" | "n" | "u"
    t: str = "n"  # "y" | "n"
    pct: int | None = None  # RFC 7489 only; None when absent or invalid (default 100)
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    adkim: str = "r"
    aspf: str = "r"
    fo: tuple[str, ...] = ("0",)
    rf: tuple[str, ...] | None = None  # RFC 7489 only; absent means "afrf"
    ri: int | None = None  # RFC 7489 only; absent means 86400
    tags: tuple[tuple[str, str], ...] = ()  # every tag as published, names in lower case
    unknown_tags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # plain sentences naming the tag at fault

    # -- what was published -------------------------------------------------
    def has_tag(self, name: str) -> bool:
        return any(tag == name for tag, _ in self.tags)

    @property
    def uses_pct(self) -> bool:
        return self.has_tag("pct")

    @property
    def uses_size_limits(self) -> bool:
        """A rua/ruf URI carries the obsolete ``!size`` suffix."""
        return any(uri.size_limit is not None for uri in self.rua + self.ruf)

    @property
    def features(self) -> tuple[str, ...]:
        """Spec-specific features used: RFC 7489-only tags, RFC 9989-only tags, ``!size``."""
        used = [tag for tag in RFC7489_ONLY_TAGS + RFC9989_ONLY_TAGS if self.has_tag(tag)]
        if self.uses_size_limits:
            used.append("uri_size_limit")
        return tuple(used)

    @property
    def rfc7489_only_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in RFC7489_ONLY_TAGS if self.has_tag(tag))

    @property
    def rfc9989_only_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in RFC9989_ONLY_TAGS if self.has_tag(tag))

    @property
    def rfc7489_issues(self) -> tuple[str, ...]:
        """What a strict RFC 7489 reader would object to (§6.3: v and p, in that order)."""
        issues = []
        if not self.has_tag("p"):
            issues.append("RFC 7489 requires a p tag")
        elif len(self.tags) < 2 or self.tags[1][0] != "p":
            issues.append("RFC 7489 requires p to come straight after v=DMARC1")
        return tuple(issues)

    # -- what a receiver applies -----------------------------------------------
    @property
    def has_valid_rua(self) -> bool:
        return any(uri.valid for uri in self.rua)

    @property
    def policy_tags_valid(self) -> bool:
        """p is valid and sp / np are valid or absent."""
        return (
            self.p is not None
            and (self.sp is not None or not self.has_tag("sp"))
            and (self.np is not None or not self.has_tag("np"))
        )

    @property
    def falls_back_to_none(self) -> bool:
        """RFC 9989 §4.10.1 / RFC 7489 §6.6.3: bad or missing p, but a valid rua: act as p=none."""
        return not self.policy_tags_valid and self.has_valid_rua

    @property
    def usable(self) -> bool:
        """Receivers apply DMARC with this record (otherwise "no DMARC processing")."""
        return self.policy_tags_valid or self.has_valid_rua

    @property
    def effective_p(self) -> str | None:
        if not self.usable:
            return None
        return self.p if self.policy_tags_valid else "none"

    @property
    def effective_sp(self) -> str | None:
        """Policy for existing subdomains, when found at their organisational domain."""
        if not self.usable:
            return None
        return (self.sp or self.p) if self.policy_tags_valid else "none"

    @property
    def effective_np(self) -> str | None:
        """Policy for non-existent subdomains (RFC 9989: np, else sp, else p)."""
        if not self.usable:
            return None
        return (self.np or self.sp or self.p) if self.policy_tags_valid else "none"

    @property
    def testing(self) -> bool:
        """t=y (RFC 9989) or pct below 100 (RFC 7489): the policy is not fully applied."""
        return self.t == "y" or (self.pct is not None and self.pct < 100)

    @property
    def applies_to_all_mail(self) -> bool:
        return self.t != "y" and (self.pct is None or self.pct == 100)

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "p": self.p,
            "sp": self.sp,
            "np": self.np,
            "psd": self.psd,
            "t": self.t,
            "pct": self.pct,
            "rua": [uri.to_json() for uri in self.rua],
            "ruf": [uri.to_json() for uri in self.ruf],
            "adkim": self.adkim,
            "aspf": self.aspf,
            "fo": list(self.fo),
            "rf": None if self.rf is None else list(self.rf),
            "ri": self.ri,
            "tags": [[name, value] for name, value in self.tags],
            "unknown_tags": list(self.unknown_tags),
            "problems": list(self.problems),
            "features": list(self.features),
            "rfc7489_issues": list(self.rfc7489_issues),
            "usable": self.usable,
            "falls_back_to_none": self.falls_back_to_none,
            "effective_p": self.effective_p,
            "effective_sp": self.effective_sp,
            "effective_np": self.effective_np,
            "testing": self.testing,
            "applies_to_all_mail": self.applies_to_all_mail,
        }


def _version_of(text: str) -> tuple[str, str] | None:
    """(name, value) of the first tag, or None when the first segment is not tag=value."""
    first = text.split(";", 1)[0]
    name, equals, value = first.partition("=")
    if not equals:
        return None
    return name.strip(" \t\r\n").lower(), value.strip(" \t\r\n")


def looks_like_dmarc(text: str) -> bool:
    """The TXT string was meant as a DMARC record (``v=DMARC...`` in any spelling)."""
    return isinstance(text, str) and re.match(r"[ \t]*v[ \t]*=[ \t]*dmarc", text, re.I) is not None


def is_dmarc_record(text: str) -> bool:
    """The TXT string starts with a v tag naming DMARC1 (the filter of RFC 9989 §4.10 step 2)."""
    return isinstance(text, str) and _version_of(text) == ("v", "DMARC1")


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one DMARC TXT record (the character-strings already joined).

    Raises :class:`DmarcParseError` when the text does not start with
    ``v=DMARC1`` or a tag is repeated.  Other mistakes follow RFC 9989 §4.8
    ("syntax errors ... MUST be discarded in favor of default values (if any)
    or ignored outright") and are listed in :attr:`DmarcRecord.problems`.
    """
    if not isinstance(text, str):
        raise DmarcParseError("a DMARC record must be text")
    version = _version_of(text)
    if version is None or version[0] != "v":
        raise DmarcParseError("a DMARC record must start with v=DMARC1")
    if version[1] != "DMARC1":
        if version[1].lower() == "dmarc1":
            raise DmarcParseError(
                f"the v tag is {version[1]!r}, not DMARC1 (the value is case-sensitive)"
            )
        if re.match(r"dmarc1\s", version[1], re.IGNORECASE):
            raise DmarcParseError(
                f"v=DMARC1 must be followed by a semicolon (found 'v={version[1][:30]}')"
            )
        raise DmarcParseError(
            f"a DMARC record must start with v=DMARC1 (this one starts v={version[1][:20]})"
        )
    try:
        tag_list = split_tag_list(text, fold_names=True, lenient=True)
    except TagListError as exc:
        raise DmarcParseError(f"DMARC record: {exc}") from None

    problems: list[str] = [
        f"{segment[:40]!r} is not a tag=value pair and was ignored" for segment in tag_list.skipped
    ]
    values: dict = {}
    unknown: list[str] = []
    for tag in tag_list.tags:
        name, value = tag.name, tag.value
        if name == "v":
            continue
        if name not in KNOWN_TAGS:
            unknown.append(name)
            continue
        parsed, problem = _TAG_PARSERS[name](name, value)
        if problem:
            problems.append(problem)
        if parsed is not None:
            values[name] = parsed
    if "fo" in values and "ruf" not in values:
        problems.append("fo has no effect without ruf")
    return DmarcRecord(
        raw=text,
        tags=tuple((tag.name, tag.value) for tag in tag_list.tags),
        unknown_tags=tuple(unknown),
        problems=tuple(problems),
        **values,
    )


def _parse_policy(name: str, value: str):
    if value.lower() in POLICIES:
        return value.lower(), None
    return None, f"{name}={value[:40]!r} is not none, quarantine or reject; it was ignored"


def _parse_choice(choices: tuple[str, ...], default: str):
    def parse(name: str, value: str):
        if value.lower() in choices:
            return value.lower(), None
        allowed = ", ".join(choices[:-1]) + " or " + choices[-1]
        return None, f"{name}={value[:40]!r} is not {allowed}; the default {default} applies"

    return parse


def _parse_pct(name: str, value: str):
    if re.fullmatch(r"[0-9]{1,3}", value) and int(value) <= 100:
        return int(value), None
    return None, f"pct={value[:40]!r} is not a whole number from 0 to 100; the default 100 applies"


def _parse_ri(name: str, value: str):
    if _DIGITS.fullmatch(value) and int(value) < 2**32:
        return int(value), None
    return None, f"ri={value[:40]!r} is not a number of seconds; the default 86400 applies"


def _parse_fo(name: str, value: str):
    options = [item.strip(" \t").lower() for item in value.split(":")]
    valid = tuple(dict.fromkeys(item for item in options if item in _FO_VALUES))
    bad = [item for item in options if item not in _FO_VALUES]
    if bad or not valid:
        if not valid:
            return ("0",), (f"fo={value[:40]!r} has no valid option (0, 1, d, s); "
                            "the default 0 applies")
        return valid, f"fo={value[:40]!r} has options other than 0, 1, d and s; they were ignored"
    if "0" in valid and "1" in valid:
        return valid, "fo has both 0 and 1, which exclude each other"
    return valid, None


def _parse_rf(name: str, value: str):
    formats = tuple(item.strip(" \t").lower() for item in value.split(":") if item.strip(" \t"))
    if not formats:
        return None, "rf is empty; the default afrf applies"
    if any(item != "afrf" for item in formats):
        return formats, f"rf={value[:40]!r} names a report format other than afrf"
    return formats, None


def _parse_uris(name: str, value: str):
    items = [item for item in value.split(",")]
    uris = tuple(parse_report_uri(item, schemes=("mailto", "https"), allow_size=True)
                 for item in items if item.strip(" \t\r\n"))
    if not uris:
        return (), f"{name} is empty"
    bad = [uri for uri in uris if not uri.valid]
    if bad:
        details = "; ".join(f"{uri.text[:60]!r}: {uri.problem}" for uri in bad[:3])
        return uris, f"{name} has URIs that cannot be used ({details})"
    return uris, None


_TAG_PARSERS = {
    "p": _parse_policy,
    "sp": _parse_policy,
    "np": _parse_policy,
    "psd": _parse_choice(("y", "n", "u"), "u"),
    "t": _parse_choice(("y", "n"), "n"),
    "adkim": _parse_choice(("r", "s"), "r"),
    "aspf": _parse_choice(("r", "s"), "r"),
    "pct": _parse_pct,
    "ri": _parse_ri,
    "fo": _parse_fo,
    "rf": _parse_rf,
    "rua": _parse_uris,
    "ruf": _parse_uris,
}


# -- the Public Suffix List view (RFC 7489 §3.2) --------------------------------

def psl_organisational_domain(domain: str) -> str | None:
    """The RFC 7489 §3.2 organisational domain from the offline Public Suffix List.

    None when the name is itself a public suffix (or not a usable name).
    """
    return psl.organisational_domain(domain)


# -- discovery (RFC 9989 §4.10) ------------------------------------------------


class Resolver(Protocol):
    """What discovery needs from a DNS client (``cyberbasics.net.dns.DnsClient`` fits)."""

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer: ...


@dataclass(frozen=True)
class DmarcLookup:
    """One ``_dmarc`` query during discovery and what it showed."""

    domain: str  # the domain whose _dmarc name was asked
    rcode: str
    state: str  # "record" | "none" | "multiple" | "invalid" | "dns_error"
    texts: tuple[str, ...] = ()  # the answers meant as DMARC records
    record: DmarcRecord | None = None
    error: str | None = None  # the DNS error or the parse error

    @property
    def name(self) -> str:
        return f"_dmarc.{self.domain}"

    def to_json(self) -> dict:
        data: dict = {"name": self.name, "rcode": self.rcode, "state": self.state}
        if self.texts:
            data["records"] = list(self.texts)
        if self.error:
            data["error"] = self.error
        return data


# Discovery outcomes.
FOUND = "found"  # a usable record applies
UNUSABLE_RECORD = "unusable_record"  # a record applies but gives no DMARC processing
MULTIPLE_RECORDS = "multiple_records"  # the domain itself publishes several DMARC records
INVALID_RECORD = "invalid_record"  # the domain itself publishes a record that cannot be read
NO_RECORD = "no_record"  # nothing anywhere, every query answered
DNS_ERROR = "dns_error"  # could not check: a query that decides the answer failed

VIA_DOMAIN = "domain"
VIA_ORGANISATIONAL_DOMAIN = "organisational_domain"
VIA_PUBLIC_SUFFIX_DOMAIN = "public_suffix_domain"


@dataclass(frozen=True)
class DmarcDiscovery:
    """Where a domain's DMARC policy comes from, per RFC 9989 §4.10.1.

    ``status`` says what happened (see the module constants).  For
    ``multiple_records`` and ``invalid_record`` the domain's own records are
    broken; ``record`` then still shows what receivers fall back to, if anything.
    ``dns_error`` means "could not check", never "no record".
    """

    domain: str
    status: str
    record: DmarcRecord | None = None  # the policy record that applies
    record_domain: str | None = None  # where it was found
    applies_via: str | None = None  # "domain" | "organisational_domain" | "public_suffix_domain"
    org_domain: str | None = None  # RFC 9989 §4.10.2 organisational domain (None: unknown)
    psl_org_domain: str | None = None  # RFC 7489 §3.2, from the Public Suffix List
    lookups: tuple[DmarcLookup, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.status == FOUND

    @property
    def could_not_check(self) -> bool:
        return self.status == DNS_ERROR

    @property
    def applies_via_org_domain(self) -> bool:
        """The record was found above the domain, so sp / np (not p) decide its policy."""
        return self.applies_via in (VIA_ORGANISATIONAL_DOMAIN, VIA_PUBLIC_SUFFIX_DOMAIN)

    @property
    def org_domains_differ(self) -> bool:
        """The DNS tree walk and the Public Suffix List disagree on the organisational domain."""
        return (
            self.org_domain is not None
            and self.psl_org_domain is not None
            and self.org_domain != self.psl_org_domain
        )

    @property
    def multiple_records_at(self) -> tuple[str, ...]:
        return tuple(lookup.name for lookup in self.lookups if lookup.state == "multiple")

    @property
    def query_count(self) -> int:
        return len(self.lookups)

    def policy(self, *, domain_exists: bool = True) -> str | None:
        """The policy for the domain's failing mail, before any t=y / pct softening."""
        if self.record is None:
            return None
        if self.applies_via == VIA_DOMAIN:
            return self.record.effective_p
        return self.record.effective_sp if domain_exists else self.record.effective_np

    def to_json(self) -> dict:
        return {
            "domain": self.domain,
            "status": self.status,
            "record": None if self.record is None else self.record.to_json(),
            "record_domain": self.record_domain,
            "applies_via": self.applies_via,
            "org_domain": self.org_domain,
            "psl_org_domain": self.psl_org_domain,
            "org_domains_differ": self.org_domains_differ,
            "policy": self.policy(),
            "lookups": [lookup.to_json() for lookup in self.lookups],
            "notes": list(self.notes),
        }


def _normalise_domain(domain: str) -> str:
    if not isinstance(domain, str):
        raise ValueError("the domain must be text")
    name = domain.strip().rstrip(".").lower()
    if not name.isascii():
        import idna

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"{domain!r} is not a valid domain name: {exc}") from None
    labels = name.split(".")
    if not name or len("_dmarc." + name) > 253 or any(not 0 < len(lb) <= 63 for lb in labels):
        raise ValueError(f"{domain!r} is not a valid domain name")
    return name


def tree_walk_targets(domain: str) -> list[str]:
    """The names after the first query that RFC 9989 §4.10 steps 3-7 query, in order.

    Fewer than eight labels: drop one label at a time.  Eight or more: jump to
    the last seven labels, then drop one at a time, so at most eight queries
    are made in all.
    """
    labels = domain.split(".")
    count = len(labels)
    start = count - 1 if count < 8 else 7
    return [".".join(labels[-keep:]) for keep in range(start, 0, -1)]


async def _lookup(dns: Resolver, domain: str) -> DmarcLookup:
    answer: DnsAnswer = await dns.lookup(f"_dmarc.{domain}", "TXT")
    if answer.rcode not in (NOERROR, NXDOMAIN):
        return DmarcLookup(domain, answer.rcode, "dns_error", error=answer.error or answer.rcode)
    texts = tuple(text for text in answer.records if is_dmarc_record(text))
    if not texts:
        # Receivers discard these, but the owner meant a DMARC record: say what is wrong.
        for text in answer.records:
            if looks_like_dmarc(text):
                try:
                    parse_dmarc(text)
                except DmarcParseError as exc:
                    return DmarcLookup(domain, answer.rcode, "invalid", (text,), error=str(exc))
        return DmarcLookup(domain, answer.rcode, "none")
    if len(texts) > 1:
        return DmarcLookup(domain, answer.rcode, "multiple", texts)
    try:
        record = parse_dmarc(texts[0])
    except DmarcParseError as exc:
        return DmarcLookup(domain, answer.rcode, "invalid", texts, error=str(exc))
    return DmarcLookup(domain, answer.rcode, "record", texts, record)


def _one_label_below(start: str, ancestor: str) -> str:
    keep = ancestor.count(".") + 2
    return ".".join(start.split(".")[-keep:])


def _select_org_domain(start: str, found: list[tuple[str, DmarcRecord]]) -> str:
    """RFC 9989 §4.10.2: choose the organisational domain from the records found, longest first."""
    for domain, record in found:
        if record.psd == "n":
            return domain
        if record.psd == "y" and domain != start:
            return _one_label_below(start, domain)
    if found:
        return min(found, key=lambda item: item[0].count("."))[0]
    return start


async def _walk(dns: Resolver, targets: list[str], lookups: list[DmarcLookup]):
    """Query targets in order, stopping at a psd=y/n record; (records found, first DNS error)."""
    found: list[tuple[str, DmarcRecord]] = []
    for target in targets:
        lookup = await _lookup(dns, target)
        lookups.append(lookup)
        if lookup.state == "dns_error":
            return found, lookup
        if lookup.state == "record" and lookup.record is not None:
            found.append((target, lookup.record))
            if lookup.record.psd in ("y", "n"):
                break
    return found, None


async def discover(domain: str, *, dns: Resolver) -> DmarcDiscovery:
    """Find the DMARC policy that applies to ``domain`` (RFC 9989 §4.10.1).

    ``dns`` needs ``async lookup(name, rdtype) -> DnsAnswer``.  Queries
    ``_dmarc.<domain>``; without a valid record there, walks up the tree (at
    most eight queries in all) to the organisational or public suffix domain.
    With a record at the domain, the walk still runs (until a psd= record) to
    name the organisational domain; a DNS error there only leaves
    ``org_domain`` unknown.  Raises ValueError for a name that is not a domain.
    """
    name = _normalise_domain(domain)
    lookups: list[DmarcLookup] = []
    notes: list[str] = []
    first = await _lookup(dns, name)
    psl_org = psl_organisational_domain(name)
    lookups.append(first)
    if first.state == "dns_error":
        notes.append(f"could not look up {first.name}: {first.error}")
        return DmarcDiscovery(name, DNS_ERROR, psl_org_domain=psl_org, lookups=tuple(lookups),
                              notes=tuple(notes))
    targets = tree_walk_targets(name)

    if first.state == "record" and first.record is not None:
        own = first.record
        org: str | None = name
        if own.psd == "u":
            found, error = await _walk(dns, targets, lookups)
            if error is not None:
                org = None
                notes.append(f"could not look up {error.name} ({error.error}), so the "
                             "organisational domain is unknown")
            else:
                org = _select_org_domain(name, [(name, own), *found])
        status = FOUND if own.usable else UNUSABLE_RECORD
        if not own.usable:
            notes.append(f"the record at {first.name} has no valid p tag and no valid rua, so "
                         "receivers apply no DMARC processing")
        return DmarcDiscovery(name, status, own, name, VIA_DOMAIN, org, psl_org, tuple(lookups),
                              tuple(notes))

    if first.state == "multiple":
        notes.append(f"{first.name} has {len(first.texts)} DMARC records; receivers discard them "
                     "all (RFC 7489 receivers then apply no DMARC at all)")
    elif first.state == "invalid":
        notes.append(f"the record at {first.name} cannot be read: {first.error}")

    found, error = await _walk(dns, targets, lookups)
    if error is not None:
        notes.append(f"could not look up {error.name}: {error.error}")
        return DmarcDiscovery(name, DNS_ERROR, psl_org_domain=psl_org, lookups=tuple(lookups),
                              notes=tuple(notes))
    org = _select_org_domain(name, found)
    by_domain = dict(found)
    record = record_domain = via = None
    if org in by_domain:
        record_domain, via = org, VIA_ORGANISATIONAL_DOMAIN
    else:
        psd_domains = [domain for domain, rec in found if rec.psd == "y"]
        if psd_domains:
            record_domain, via = psd_domains[0], VIA_PUBLIC_SUFFIX_DOMAIN
    if record_domain is not None:
        record = by_domain[record_domain]
    if first.state == "multiple":
        status = MULTIPLE_RECORDS
    elif first.state == "invalid":
        status = INVALID_RECORD
    elif record is None:
        status = NO_RECORD
    else:
        status = FOUND if record.usable else UNUSABLE_RECORD
    if record is not None and not record.usable:
        notes.append(f"the record at _dmarc.{record_domain} has no valid p tag and no valid rua, "
                     "so receivers apply no DMARC processing")
    return DmarcDiscovery(name, status, record, record_domain, via, org, psl_org, tuple(lookups),
                          tuple(notes))


# -- external report destinations (RFC 7489 §7.1, RFC 9989 / aggregate reporting §3) --


def _dmarc_txt_authorises(text: str) -> bool:
    try:
        parse_dmarc(text)
    except DmarcParseError:
        return False
    return True


async def external_report_authorised(
    domain: str, uri: str | ReportUri, *, dns: Resolver, org_domain: str | None = None
) -> bool | None:
    """Whether a report destination outside the policy's organisational domain accepts reports.

    ``domain`` is the domain whose ``_dmarc`` record names ``uri``.  When the
    destination host has the same organisational domain as ``domain`` (the
    Public Suffix List's for both), or lies within ``org_domain`` when that is
    given (say the tree-walk answer from :func:`discover`), no authorisation
    is needed: True.
    Otherwise a TXT record starting with ``v=DMARC1`` must exist at
    ``<domain>._report._dmarc.<destination host>``.  Returns None when that
    lookup fails (could not check), False for an unusable URI or a name too
    long for the DNS.
    """
    if isinstance(uri, str):
        uri = parse_report_uri(uri, schemes=("mailto", "https"), allow_size=True)
    if not uri.valid or uri.host is None:
        return False
    try:
        policy_domain = _normalise_domain(domain)
    except ValueError:
        return False
    host = uri.host
    own_org = org_domain.rstrip(".").lower() if org_domain else (
        psl_organisational_domain(policy_domain) or policy_domain)
    dest_org = psl_organisational_domain(host) or host
    if own_org == dest_org or host == own_org or host.endswith("." + own_org):
        return True
    name = f"{policy_domain}._report._dmarc.{host}"
    if len(name) > 253 or any(len(label) > 63 for label in name.split(".")):
        return False
    answer = await dns.lookup(name, "TXT")
    if answer.rcode not in (NOERROR, NXDOMAIN):
        return None
    return any(is_dmarc_record(text) and _dmarc_txt_authorises(text) for text in answer.records)
