"""SPF record syntax (RFC 7208 §4.5, §4.6.1, §5, §6 and §7.1).

Parsing is strict: a record with any syntax error anywhere is rejected as a whole
(§4.6), which check_host() turns into "permerror". Only the standard library is
imported here, so the CLI can load this module cheaply.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

QUALIFIER_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISM_NAMES = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# Terms that cause DNS queries at evaluation time and count against the limit of 10 (§4.6.4).
DNS_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})

# §7.2: macro letters for domain-specs; c, r and t are allowed only in explanation text.
DOMAIN_MACRO_LETTERS = "slodipvh"
EXPLAIN_MACRO_LETTERS = "slodipvhcrt"
_DELIMITERS = ".-+,/_="

_VERSION_RE = re.compile(r"v=spf1(?= |\Z)", re.IGNORECASE)
_MODIFIER_RE = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=(.*)", re.DOTALL)
_MACRO_RE = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
# domain-end = ( "." toplabel [ "." ] ) / macro-expand
_DOMAIN_END_RE = re.compile(r"\.([A-Za-z0-9-]+)\.?\Z")
_TOPLABEL_RE = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]"
)
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IP4_RE = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
_IP6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")
# dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], at the end of an a/mx term
_CIDR_TAIL_RE = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")


class SpfSyntaxError(ValueError):
    """An SPF record, term or macro string that does not follow RFC 7208.

    ``reason`` says what is wrong, ``term`` and ``position`` (0-based offset in the
    record text) say where; ``str()`` gives all three in one sentence.
    """

    def __init__(self, reason: str, *, term: str | None = None, position: int | None = None):
        self.reason = reason
        self.term = term
        self.position = position
        where = ""
        if term is not None:
            where += f" in term {term!r}"
        if position is not None:
            where += f" at character {position + 1}"
        super().__init__(reason + where)


# -- macro strings (§7.1) ---------------------------------------------------------------


@dataclass(frozen=True)
class MacroExpand:
    """One ``%{...}`` macro: letter (upper case means URL-escape), transformers, delimiters."""

    letter: str
    digits: int | None
    reverse: bool
    delimiters: str
    text: str


@dataclass(frozen=True)
class MacroEscape:
    """``%%``, ``%_`` or ``%-``: a literal percent, a space, or a URL-encoded space."""

    text: str
    value: str


MacroToken = str | MacroExpand | MacroEscape
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}


def tokenize_macro_string(
    text: str,
    *,
    letters: str = DOMAIN_MACRO_LETTERS,
    allow_space: bool = False,
    term: str | None = None,
    base: int | None = None,
) -> tuple[MacroToken, ...]:
    """Split a macro-string into literal runs and macro tokens, checking §7.1 syntax.

    ``allow_space`` is for explain-strings (§6.2), the only place SP may appear.
    ``base`` is the offset of ``text`` in the record, for error positions.
    """
    tokens: list[MacroToken] = []
    literal: list[str] = []
    i = 0

    def fail(reason: str, at: int) -> SpfSyntaxError:
        return SpfSyntaxError(reason, term=term, position=None if base is None else base + at)

    while i < len(text):
        ch = text[i]
        if ch == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                if literal:
                    tokens.append("".join(literal))
                    literal = []
                tokens.append(MacroEscape("%" + nxt, _ESCAPES[nxt]))
                i += 2
                continue
            if nxt != "{":
                raise fail("'%' must be followed by '{', '%', '_' or '-' (write '%%' for a "
                           "literal percent sign)", i)
            match = _MACRO_RE.match(text, i)
            if match is None:
                raise fail("malformed macro: expected %{letter[digits][r][delimiters]}", i)
            letter, digits, reverse, delimiters = match.groups()
            if letter.lower() not in letters:
                if letter.lower() in EXPLAIN_MACRO_LETTERS:
                    raise fail(f"macro letter {letter!r} is allowed only in explanation "
                               "text (exp=)", i)
                raise fail(f"unknown macro letter {letter!r}", i)
            count = None
            if digits:
                # a huge count means "more parts than are available": all of them
                count = 10**6 if len(digits.lstrip("0")) > 6 else int(digits)
                if count == 0:
                    raise fail("the number of parts in a macro must not be zero", i)
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(MacroExpand(letter, count, bool(reverse), delimiters, match.group()))
            i = match.end()
            continue
        if (ch == " " and allow_space) or "!" <= ch <= "~":
            literal.append(ch)
        else:
            raise fail(f"character {ch!r} is not allowed (only visible US-ASCII)", i)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


@lru_cache(maxsize=2048)
def macro_tokens(text: str, letters: str = DOMAIN_MACRO_LETTERS,
                 allow_space: bool = False) -> tuple[MacroToken, ...]:
    """Cached tokenize_macro_string, for evaluation of already-validated records."""
    return tokenize_macro_string(text, letters=letters, allow_space=allow_space)


def parse_domain_spec(text: str, *, what: str, term: str | None = None,
                      base: int | None = None) -> tuple[MacroToken, ...]:
    """Check ``domain-spec = macro-string domain-end`` (§7.1) and return its tokens."""
    if not text:
        raise SpfSyntaxError(f"{what} needs a domain", term=term, position=base)
    tokens = tokenize_macro_string(text, term=term, base=base)
    last = tokens[-1]
    if isinstance(last, str):
        end = _DOMAIN_END_RE.search(last)
        if end is None or not _TOPLABEL_RE.fullmatch(end.group(1)):
            raise SpfSyntaxError(
                f"domain {text!r} must end in a dot and a top-level label that is not all "
                "digits (such as '.com'), or in a macro",
                term=term, position=base,
            )
    return tokens


# -- the record model -------------------------------------------------------------------


@dataclass(frozen=True)
class Mechanism:
    """A directive: ``[qualifier] name [":" domain-spec | ":" network] [cidr lengths]``."""

    text: str  # the term as written
    qualifier: str  # "+", "-", "~" or "?" ("+" when the term has none)
    name: str  # lower case: all, include, a, mx, ptr, ip4, ip6, exists
    domain_spec: str | None = None  # include, a, mx, ptr, exists
    network: str | None = None  # ip4/ip6 address as written
    cidr4: int | None = None  # ip4-cidr-length (ip4, a, mx), None when omitted
    cidr6: int | None = None  # ip6-cidr-length (ip6, a, mx), None when omitted

    @property
    def result(self) -> str:
        """The check_host() result when this mechanism matches (§4.6.2)."""
        return QUALIFIER_RESULTS[self.qualifier]

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_TERMS

    def to_json(self) -> dict:
        data: dict = {"kind": "mechanism", "text": self.text, "qualifier": self.qualifier,
                      "name": self.name}
        for key in ("domain_spec", "network", "cidr4", "cidr6"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class Modifier:
    """``name=value``: redirect, exp, or an unknown modifier (ignored by evaluation)."""

    text: str
    name: str  # lower case
    value: str

    @property
    def known(self) -> bool:
        return self.name in ("redirect", "exp")

    @property
    def queries_dns(self) -> bool:
        return self.name == "redirect"

    def to_json(self) -> dict:
        return {"kind": "modifier", "text": self.text, "name": self.name, "value": self.value}


Term = Mechanism | Modifier


@dataclass(frozen=True)
class SpfRecord:
    """A syntactically valid SPF record: its text and its terms in order."""

    text: str
    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(t for t in self.terms if isinstance(t, Mechanism))

    @property
    def modifiers(self) -> tuple[Modifier, ...]:
        return tuple(t for t in self.terms if isinstance(t, Modifier))

    def modifier(self, name: str) -> Modifier | None:
        return next((t for t in self.modifiers if t.name == name), None)

    @property
    def redirect(self) -> Modifier | None:
        return self.modifier("redirect")

    @property
    def exp(self) -> Modifier | None:
        return self.modifier("exp")

    @property
    def all(self) -> Mechanism | None:
        """The first ``all`` mechanism (evaluation never goes past it)."""
        return next((m for m in self.mechanisms if m.name == "all"), None)

    @property
    def dns_terms(self) -> int:
        """DNS-querying terms written in this record (not counting nested records)."""
        return sum(1 for t in self.terms if t.queries_dns)

    def to_json(self) -> dict:
        return {"text": self.text, "terms": [t.to_json() for t in self.terms]}


def is_spf_record(text: str) -> bool:
    """True for a record whose version section is exactly "v=spf1" (§4.5).

    The version is case-insensitive and ends at a space or the end of the record,
    so "v=spf10" and "v=spf1\\t-all" are not SPF records.
    """
    return bool(_VERSION_RE.match(text))


def parse_record(text: str) -> SpfRecord:
    """Parse an SPF record, raising SpfSyntaxError for anything RFC 7208 forbids."""
    if not is_spf_record(text):
        raise SpfSyntaxError("an SPF record must start with 'v=spf1' followed by a space or "
                             "the end of the record", position=0)
    terms: list[Term] = []
    seen: dict[str, str] = {}
    for match in re.finditer(r"[^ ]+", text[6:]):
        position = 6 + match.start()
        term = _parse_term(match.group(), position)
        if isinstance(term, Modifier) and term.known:
            if term.name in seen:
                raise SpfSyntaxError(f"the {term.name}= modifier appears more than once "
                                     f"(first as {seen[term.name]!r})",
                                     term=term.text, position=position)
            seen[term.name] = term.text
        terms.append(term)
    return SpfRecord(text, tuple(terms))


def _parse_term(term: str, position: int) -> Term:
    for offset, ch in enumerate(term):
        if not "!" <= ch <= "~":
            raise SpfSyntaxError(f"character {ch!r} is not allowed (only visible US-ASCII)",
                                 term=term, position=position + offset)
    modifier = _MODIFIER_RE.fullmatch(term)
    if modifier is not None:
        return _parse_modifier(term, modifier.group(1), modifier.group(2), position)
    return _parse_mechanism(term, position)


def _parse_modifier(term: str, name: str, value: str, position: int) -> Modifier:
    lname = name.lower()
    value_at = position + len(name) + 1
    if lname in ("redirect", "exp"):
        parse_domain_spec(value, what=f"{lname}=", term=term, base=value_at)
    else:
        # unknown-modifier = name "=" macro-string: never expanded, but must be well formed.
        tokenize_macro_string(value, letters=EXPLAIN_MACRO_LETTERS, term=term, base=value_at)
    return Modifier(term, lname, value)


def _parse_mechanism(term: str, position: int) -> Mechanism:
    qualifier = "+"
    body = term
    if term[0] in QUALIFIER_RESULTS:
        qualifier, body = term[0], term[1:]
    body_at = position + len(term) - len(body)
    cut = min((i for i in (body.find(":"), body.find("/")) if i >= 0), default=len(body))
    name, rest = body[:cut].lower(), body[cut:]
    rest_at = body_at + cut
    if not name:
        raise SpfSyntaxError("missing mechanism name", term=term, position=body_at)
    if name not in MECHANISM_NAMES:
        hint = ""
        if name in ("redirect", "exp"):
            hint = f" ({name} is a modifier, written {name}=domain)"
        elif "=" in name:
            hint = (" (a modifier name must start with a letter and be followed directly "
                    "by '=')")
        raise SpfSyntaxError(f"unknown mechanism {body[:cut]!r}{hint}", term=term,
                             position=body_at)

    if name == "all":
        if rest:
            raise SpfSyntaxError("'all' takes no argument", term=term, position=rest_at)
        return Mechanism(term, qualifier, name)

    if name in ("include", "exists"):
        if not rest.startswith(":"):
            raise SpfSyntaxError(f"'{name}' needs ':' and a domain", term=term,
                                 position=rest_at)
        spec = rest[1:]
        parse_domain_spec(spec, what=f"'{name}:'", term=term, base=rest_at + 1)
        return Mechanism(term, qualifier, name, domain_spec=spec)

    if name == "ptr":
        if not rest:
            return Mechanism(term, qualifier, name)
        if not rest.startswith(":"):
            raise SpfSyntaxError("'ptr' takes no CIDR length", term=term, position=rest_at)
        spec = rest[1:]
        parse_domain_spec(spec, what="'ptr:'", term=term, base=rest_at + 1)
        return Mechanism(term, qualifier, name, domain_spec=spec)

    if name in ("a", "mx"):
        spec = None
        cidr_text = rest
        cidr_at = rest_at
        if rest.startswith(":"):
            arg = rest[1:]
            tail = _CIDR_TAIL_RE.search(arg)
            assert tail is not None  # the pattern can always match the empty tail
            spec, cidr_text = arg[: tail.start()], arg[tail.start():]
            cidr_at = rest_at + 1 + tail.start()
            parse_domain_spec(spec, what=f"'{name}:'", term=term, base=rest_at + 1)
        cidr = re.fullmatch(r"(?:/([0-9]+))?(?://([0-9]+))?", cidr_text)
        if cidr is None:
            raise SpfSyntaxError("malformed CIDR length: expected /n, //n or /n//n",
                                 term=term, position=cidr_at)
        cidr4 = _cidr(cidr.group(1), 32, term, cidr_at)
        cidr6 = _cidr(cidr.group(2), 128, term, cidr_at)
        return Mechanism(term, qualifier, name, domain_spec=spec, cidr4=cidr4, cidr6=cidr6)

    # ip4 / ip6
    if not rest.startswith(":") or len(rest) == 1:
        raise SpfSyntaxError(f"'{name}' needs ':' and an address", term=term, position=rest_at)
    address, slash, length = rest[1:].partition("/")
    if name == "ip4":
        if not _IP4_RE.fullmatch(address):
            raise SpfSyntaxError(f"{address!r} is not a full dotted-quad IPv4 address (use a "
                                 "CIDR length, not a shortened address)",
                                 term=term, position=rest_at + 1)
        cidr4 = _cidr(length, 32, term, rest_at + 1 + len(address)) if slash else None
        return Mechanism(term, qualifier, name, network=address, cidr4=cidr4)
    if not _valid_ip6(address):
        raise SpfSyntaxError(f"{address!r} is not an IPv6 address", term=term,
                             position=rest_at + 1)
    cidr6 = _cidr(length, 128, term, rest_at + 1 + len(address)) if slash else None
    return Mechanism(term, qualifier, name, network=address, cidr6=cidr6)


def _cidr(text: str | None, maximum: int, term: str, position: int) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"0|[1-9][0-9]{0,2}", text) or int(text) > maximum:
        raise SpfSyntaxError(f"CIDR length /{text} is not a number from 0 to {maximum} "
                             "without leading zeros", term=term, position=position)
    return int(text)


def _valid_ip6(text: str) -> bool:
    if ":" not in text or not _IP6_CHARS_RE.fullmatch(text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
