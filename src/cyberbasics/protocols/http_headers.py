"""Small, exact parsers for the HTTP response headers the website checks read.

* ``Strict-Transport-Security`` (RFC 6797 §6.1): ``[directive] *(";" [directive])`` with
  ``directive = directive-name ["=" directive-value]``, values a token or quoted-string,
  whitespace allowed around each part (RFC 2616's implied LWS).  Directive names are
  case-insensitive (§6.1 item 3); ``max-age`` is REQUIRED and its value, after unquoting,
  is ``delta-seconds = 1*DIGIT`` (§6.1.1); ``includeSubDomains`` has no value (§6.1.2);
  every directive MUST appear only once (§6.1 item 2); unknown directives are ignored
  (item 5); a header that breaks these rules is ignored by browsers entirely (item 4).
  ``preload`` is not in the RFC but is what the HSTS preload list asks for.  A comma is
  not part of the grammar: it means the header was sent more than once and an HTTP client
  joined the copies, and "the UA MUST process only the first such header field" (§8.1).
* ``Set-Cookie`` (RFC 6265bis, draft-ietf-httpbis-rfc6265bis): §5.6 "The Set-Cookie
  Header Field" (name/value split, CTL characters, the 4096-octet limit, attributes split
  on ``;`` and ``=``, names matched case-insensitively, unknown attributes ignored, values
  over 1024 octets ignored), §5.6.1–§5.6.7 (Expires, Max-Age, Domain, Path, Secure,
  HttpOnly, SameSite), §5.1.1 (the cookie-date algorithm), and §5.7 "Storage Model" for
  the rules that make a browser drop a cookie regardless of the request (SameSite=None
  without Secure, the ``__Secure-`` and ``__Host-`` name prefixes).  Repeated attributes:
  the last one counts.
* ``Referrer-Policy`` (W3C Referrer Policy §4 and §8.1 "Parse a referrer policy from a
  Referrer-Policy header"): a comma-separated list in which the last recognised token wins;
  unknown tokens are ignored, so new policies can be sent with a fallback before them.
  Tokens are matched case-insensitively, as Chromium, WebKit and the HTTP Observatory do.
* ``X-Frame-Options`` (HTML, "The X-Frame-Options header", and RFC 7034): the values are
  split on commas and lower-cased into a set; ``deny`` and ``sameorigin`` are the only
  values browsers act on; conflicting values make browsers refuse all framing; anything
  else, including the obsolete ``ALLOW-FROM``, is ignored.
* ``X-Content-Type-Options`` (Fetch, "determine nosniff"): true when the first value is
  ``nosniff`` in any case.

Where the HTTP Observatory (mdn/mdn-http-observatory) grades differently: it calls an HSTS
or X-Frame-Options value sent twice (``max-age=1; …, max-age=1; …`` or
``SAMEORIGIN, SAMEORIGIN``) invalid, while browsers use the first HSTS field and the set of
X-Frame-Options values; and it compares ``nosniff`` against the whole value.  This module
follows the browsers; the ``result`` properties name the Observatory's result keys.

Everything is pure and never raises anything but :class:`HttpHeaderError`, which only
non-text input and values over :data:`MAX_HEADER_CHARS` cause; defects in a header are
reported in the returned object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "COOKIE_MAX_NAME_VALUE",
    "MAX_HEADER_CHARS",
    "OBSERVATORY_HSTS_SIX_MONTHS",
    "REFERRER_POLICIES",
    "Cookie",
    "Hsts",
    "HttpHeaderError",
    "ReferrerPolicy",
    "XFrameOptions",
    "nosniff",
    "parse_cookie_date",
    "parse_hsts",
    "parse_referrer_policy",
    "parse_set_cookie",
    "parse_x_frame_options",
    "split_header_list",
]

MAX_HEADER_CHARS = 16 * 1024  # well above what servers send; bounds the work on hostile input
COOKIE_MAX_NAME_VALUE = 4096  # RFC 6265bis §5.6 step 5
COOKIE_MAX_ATTRIBUTE_VALUE = 1024  # RFC 6265bis §5.6, attributes step 6
OBSERVATORY_HSTS_SIX_MONTHS = 15_552_000  # the Observatory's "six months" (180 days)
_MAX_AGE_CAP = 2**63 - 1  # larger values are clamped (Python caps int parsing at 4300 digits)


class HttpHeaderError(ValueError):
    """The value is not header text (or is absurdly long); the message says which."""


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _check(value: object, header: str) -> str:
    if not isinstance(value, str):
        raise HttpHeaderError(f"the {header} value must be text")
    if len(value) > MAX_HEADER_CHARS:
        raise HttpHeaderError(f"the {header} value is longer than {MAX_HEADER_CHARS // 1024} KiB")
    return value


def split_header_list(value: str) -> list[str]:
    """Fetch's "split" step of "get, decode, and split": comma-separated values, commas
    inside double quotes kept, HTTP tab and space stripped from each value."""
    values: list[str] = []
    current: list[str] = []
    position, length = 0, len(value)
    while True:
        start = position
        while position < length and value[position] not in '",':
            position += 1
        current.append(value[start:position])
        if position < length and value[position] == '"':
            start = position
            position += 1
            while position < length:
                char = value[position]
                position += 1
                if char == "\\":
                    position = min(position + 1, length)
                elif char == '"':
                    break
            current.append(value[start:position])
            if position < length:
                continue
        values.append("".join(current).strip("\t "))
        current = []
        if position >= length:
            return values
        position += 1  # the comma


# -- Strict-Transport-Security ------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_DIRECTIVE = re.compile(rf"({_TOKEN})[ \t]*(?:=[ \t]*({_TOKEN}|{_QUOTED}))?[ \t]*")
_OWS = re.compile(r"[ \t]*")
_UNQUOTE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class Hsts:
    """A Strict-Transport-Security value.  When ``problems`` is not empty browsers ignore
    the header (RFC 6797 §6.1 item 4); the other fields still show what it tried to say."""

    max_age: int | None
    include_subdomains: bool = False
    preload: bool = False
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.max_age is not None and not self.problems

    @property
    def result(self) -> str:
        """The Observatory's result key for this header (preloading aside)."""
        if not self.valid:
            return "hsts-header-invalid"
        if self.max_age is not None and self.max_age < OBSERVATORY_HSTS_SIX_MONTHS:
            return "hsts-implemented-max-age-less-than-six-months"
        return "hsts-implemented-max-age-at-least-six-months"

    def to_json(self) -> dict:
        return {
            "max_age": self.max_age,
            "include_subdomains": self.include_subdomains,
            "preload": self.preload,
            "valid": self.valid,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }


def _split_directives(value: str, problems: list[str], warnings: list[str]):
    directives: list[tuple[str, str | None]] = []
    position, length = 0, len(value)
    while True:
        position = _OWS.match(value, position).end()
        if position >= length:
            break
        char = value[position]
        if char == ";":
            position += 1
            continue
        if char == ",":
            warnings.append(
                "the header was sent more than once; browsers use only the first "
                "(RFC 6797 §8.1)"
            )
            break
        match = _DIRECTIVE.match(value, position)
        if match is None:
            problems.append(f"cannot read the header at {_show(value[position:position + 30])}")
            break
        position = match.end()
        if position < length and value[position] not in ";,":
            problems.append(f"cannot read the header at {_show(value[position:position + 30])}")
            break
        raw = match.group(2)
        if raw is not None and raw.startswith('"'):
            raw = _UNQUOTE.sub(r"\1", raw[1:-1])
        directives.append((match.group(1), raw))
    return directives


def parse_hsts(value: str) -> Hsts:
    """Parse one Strict-Transport-Security header value (RFC 6797 §6.1)."""
    value = _check(value, "Strict-Transport-Security")
    problems: list[str] = []
    warnings: list[str] = []
    max_age: int | None = None
    include_subdomains = preload = False
    seen: set[str] = set()
    for name, raw in _split_directives(value, problems, warnings):
        key = name.lower()
        if key in seen:
            problems.append(f"{name} appears more than once; each directive may appear only once")
            continue
        seen.add(key)
        if key == "max-age":
            if raw is None:
                problems.append("max-age has no value")
            elif not raw.isascii() or not raw.isdigit():
                problems.append(f"max-age={_show(raw)} is not a whole number of seconds")
            else:
                digits = raw.lstrip("0") or "0"
                max_age = int(digits) if len(digits) <= 18 else _MAX_AGE_CAP
        elif key == "includesubdomains":
            include_subdomains = True
            if raw is not None:
                problems.append("includeSubDomains takes no value")
        elif key == "preload":
            preload = True
            if raw is not None:
                warnings.append("preload takes no value")
    if "max-age" not in seen and not problems:
        problems.append("the required max-age directive is missing")
    elif "max-age" not in seen:
        problems.append("no max-age directive could be read")
    if max_age == 0 and not problems:
        warnings.append("max-age=0 tells browsers to forget the HSTS policy")
    if preload and not include_subdomains:
        warnings.append("preload without includeSubDomains is not accepted by the preload list")
    return Hsts(max_age, include_subdomains, preload, tuple(problems), tuple(warnings))


# -- Set-Cookie ---------------------------------------------------------------------------

_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs but HTAB (RFC 6265bis §5.6 step 1)
_DATE_DELIMITER = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_DAY = re.compile(r"([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_YEAR = re.compile(r"([0-9]{2,4})(?:[^0-9].*)?", re.DOTALL)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WSP = " \t"


def parse_cookie_date(text: str) -> datetime | None:
    """RFC 6265bis §5.1.1: a cookie-date as a UTC datetime, or None when browsers would
    fail to parse it."""
    if not isinstance(text, str):
        return None
    found_time = found_day = found_month = found_year = False
    hour = minute = second = day = month = year = 0
    for token in _DATE_DELIMITER.split(text):
        if not token:
            continue
        if not found_time and (match := _TIME.fullmatch(token)):
            found_time = True
            hour, minute, second = (int(match.group(i)) for i in (1, 2, 3))
        elif not found_day and (match := _DAY.fullmatch(token)):
            found_day, day = True, int(match.group(1))
        elif not found_month and token[:3].lower() in _MONTHS:
            found_month, month = True, _MONTHS.index(token[:3].lower()) + 1
        elif not found_year and (match := _YEAR.fullmatch(token)):
            found_year, year = True, int(match.group(1))
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if not (found_time and found_day and found_month and found_year):
        return None
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # e.g. 31 February
        return None


@dataclass(frozen=True)
class Cookie:
    """One Set-Cookie header as a browser reads it.  The cookie's value is not kept (it is
    often a session secret); only its length is."""

    name: str
    secure: bool = False
    http_only: bool = False
    same_site: str = "Default"  # "Strict", "Lax", "None", or "Default" (absent or unknown)
    domain: str | None = None  # lower case, leading dot removed
    path: str | None = None  # None when absent or not starting with "/" (default-path used)
    has_expires: bool = False  # a readable Expires attribute
    has_max_age: bool = False  # a readable Max-Age attribute
    max_age: int | None = None
    expires: datetime | None = None
    value_length: int = 0
    rejected: str | None = None  # why browsers drop this cookie whatever the site, or None
    problems: tuple[str, ...] = ()

    @property
    def persistent(self) -> bool:
        return self.has_expires or self.has_max_age

    @property
    def looks_like_session(self) -> bool:
        """The Observatory's guess: the name contains "login" or "sess"."""
        lowered = self.name.lower()
        return "login" in lowered or "sess" in lowered

    @property
    def looks_like_csrf_token(self) -> bool:
        """The Observatory's guess: the name contains "csrf"."""
        return "csrf" in self.name.lower()

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "secure": self.secure,
            "http_only": self.http_only,
            "same_site": self.same_site,
            "domain": self.domain,
            "path": self.path,
            "has_expires": self.has_expires,
            "has_max_age": self.has_max_age,
            "max_age": self.max_age,
            "expires": self.expires.isoformat() if self.expires else None,
            "value_length": self.value_length,
            "rejected": self.rejected,
            "problems": list(self.problems),
        }


def parse_set_cookie(value: str) -> Cookie:
    """Parse one Set-Cookie header value as RFC 6265bis §5.6 tells browsers to."""
    value = _check(value, "Set-Cookie")
    name_value, _, attributes = value.partition(";")
    if "=" in name_value:
        name, _, cookie_value = name_value.partition("=")
    else:
        name, cookie_value = "", name_value
    name, cookie_value = name.strip(_WSP), cookie_value.strip(_WSP)
    rejected: str | None = None
    if _CTL.search(value):
        rejected = "it contains control characters"
    elif len(name.encode("utf-8", "surrogatepass")) + len(
            cookie_value.encode("utf-8", "surrogatepass")) > COOKIE_MAX_NAME_VALUE:
        rejected = f"its name and value are longer than {COOKIE_MAX_NAME_VALUE} bytes"
    elif not name and not cookie_value:
        rejected = "it has neither a name nor a value"

    problems: list[str] = []
    secure = http_only = False
    same_site = "Default"
    domain: str | None = None
    path: str | None = None
    has_domain = has_path = False
    max_age: int | None = None
    expires: datetime | None = None
    for cookie_av in attributes.split(";") if attributes else ():
        attr_name, _, attr_value = cookie_av.partition("=")
        attr_name, attr_value = attr_name.strip(_WSP), attr_value.strip(_WSP)
        key = attr_name.lower()
        if len(attr_value.encode("utf-8", "surrogatepass")) > COOKIE_MAX_ATTRIBUTE_VALUE:
            problems.append(f"the {attr_name[:40]} value is over 1024 bytes and was ignored")
            continue
        if key == "expires":
            parsed = parse_cookie_date(attr_value)
            if parsed is None:
                problems.append(f"Expires={_show(attr_value)} is not a date browsers can read; "
                                "it was ignored")
            else:
                expires = parsed
        elif key == "max-age":
            if re.fullmatch(r"-?[0-9]+", attr_value):
                digits = attr_value.lstrip("-").lstrip("0") or "0"
                number = int(digits) if len(digits) <= 18 else _MAX_AGE_CAP
                max_age = -number if attr_value.startswith("-") else number
            else:
                problems.append(f"Max-Age={_show(attr_value)} is not a whole number; "
                                "it was ignored")
        elif key == "domain":
            has_domain = True
            domain = attr_value[1:] if attr_value.startswith(".") else attr_value
            domain = domain.lower() or None
        elif key == "path":
            has_path = True
            path = attr_value if attr_value.startswith("/") else None
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            enforcement = {"none": "None", "strict": "Strict", "lax": "Lax"}.get(
                attr_value.lower(), "Default")
            if enforcement == "Default":
                problems.append(f"SameSite={_show(attr_value)} is not Strict, Lax or None; "
                                "browsers treat it as if SameSite were absent")
            same_site = enforcement

    if rejected is None:
        lowered = name.lower()
        if same_site == "None" and not secure:
            rejected = "SameSite=None requires the Secure attribute"
        elif lowered.startswith("__secure-") and not secure:
            rejected = "a __Secure- cookie requires the Secure attribute"
        elif lowered.startswith("__host-") and not (
                secure and not has_domain and has_path and path == "/"):
            rejected = "a __Host- cookie requires Secure, Path=/ and no Domain attribute"
    return Cookie(
        name=name,
        secure=secure,
        http_only=http_only,
        same_site=same_site,
        domain=domain,
        path=path,
        has_expires=expires is not None,
        has_max_age=max_age is not None,
        max_age=max_age,
        expires=expires,
        value_length=len(cookie_value),
        rejected=rejected,
        problems=tuple(problems),
    )


# -- Referrer-Policy ----------------------------------------------------------------------

REFERRER_POLICIES = (
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url",
)
DEFAULT_REFERRER_POLICY = "strict-origin-when-cross-origin"  # Fetch's default policy
_LEAKY = ("unsafe-url", "no-referrer-when-downgrade")
_PRIVATE = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")


@dataclass(frozen=True)
class ReferrerPolicy:
    policy: str | None  # the policy browsers apply, or None when no token is recognised
    tokens: tuple[str, ...] = ()  # every token, as written
    unrecognised: tuple[str, ...] = ()

    @property
    def effective(self) -> str:
        """What browsers use: the header's policy, else their default."""
        return self.policy or DEFAULT_REFERRER_POLICY

    @property
    def leaks_full_url_cross_origin(self) -> bool:
        """unsafe-url and no-referrer-when-downgrade send the full address (path and query)
        to other sites; every other policy sends at most the origin."""
        return self.effective in _LEAKY

    @property
    def result(self) -> str:
        """The HTTP Observatory's result key (which also counts origin and
        origin-when-cross-origin as unsafe)."""
        if self.policy is None:
            return "referrer-policy-header-invalid"
        if self.policy in _PRIVATE:
            return "referrer-policy-private"
        return "referrer-policy-unsafe"

    def to_json(self) -> dict:
        return {
            "policy": self.policy,
            "effective": self.effective,
            "tokens": list(self.tokens),
            "unrecognised": list(self.unrecognised),
            "leaks_full_url_cross_origin": self.leaks_full_url_cross_origin,
        }


def parse_referrer_policy(value: str) -> ReferrerPolicy:
    """Parse a Referrer-Policy value: the last recognised token wins (Referrer Policy §8.1).

    Give a ``<meta name="referrer">`` content after the header values, joined by ", ": it
    comes later, so it wins, as in the Observatory.
    """
    value = _check(value, "Referrer-Policy")
    tokens = tuple(token for token in split_header_list(value) if token)
    policy: str | None = None
    unrecognised: list[str] = []
    for token in tokens:
        lowered = token.lower()
        if lowered in REFERRER_POLICIES:
            policy = lowered
        else:
            unrecognised.append(token)
    return ReferrerPolicy(policy, tokens, tuple(unrecognised))


# -- X-Frame-Options ----------------------------------------------------------------------


@dataclass(frozen=True)
class XFrameOptions:
    mode: str | None  # "deny" or "sameorigin" as browsers enforce it; None: no protection
    tokens: tuple[str, ...] = ()  # the distinct values, lower case, in order
    allow_from: bool = False  # an obsolete ALLOW-FROM value, which browsers ignore
    problems: tuple[str, ...] = ()

    @property
    def protects(self) -> bool:
        return self.mode is not None

    @property
    def result(self) -> str:
        """The Observatory's result key (it still accepts ALLOW-FROM, which browsers
        ignore; ``protects`` is False for it)."""
        if self.mode is not None:
            return "x-frame-options-sameorigin-or-deny"
        if self.allow_from:
            return "x-frame-options-allow-from-origin"
        return "x-frame-options-header-invalid"

    def to_json(self) -> dict:
        return {"mode": self.mode, "tokens": list(self.tokens), "allow_from": self.allow_from,
                "problems": list(self.problems)}


def parse_x_frame_options(value: str) -> XFrameOptions:
    """Parse an X-Frame-Options value as HTML's "check a navigation response's adherence
    to X-Frame-Options" does (a frame-ancestors CSP directive overrides it; see csp.py)."""
    value = _check(value, "X-Frame-Options")
    tokens = tuple(dict.fromkeys(token.lower() for token in split_header_list(value)))
    allow_from = any(token.startswith("allow-from") for token in tokens)
    problems: list[str] = []
    mode: str | None = None
    if len(tokens) > 1:
        if any(token in ("deny", "allowall", "sameorigin") for token in tokens):
            mode = "deny"
            problems.append("conflicting values: browsers refuse all framing")
        else:
            problems.append("several values, none of them DENY or SAMEORIGIN; browsers "
                            "ignore the header")
    elif tokens and tokens[0] in ("deny", "sameorigin"):
        mode = tokens[0]
    elif allow_from:
        problems.append("ALLOW-FROM is obsolete and ignored by browsers; use the CSP "
                        "frame-ancestors directive")
    else:
        problems.append(f"{_show(value)} is not DENY or SAMEORIGIN; browsers ignore it")
    return XFrameOptions(mode, tokens, allow_from, tuple(problems))


# -- X-Content-Type-Options ---------------------------------------------------------------


def nosniff(value: str | None) -> bool:
    """Fetch's "determine nosniff": the first X-Content-Type-Options value is ``nosniff``
    (any case).  ``None`` (no header) is False."""
    if value is None:
        return False
    value = _check(value, "X-Content-Type-Options")
    return split_header_list(value)[0].lower() == "nosniff"
