"""Content Security Policy: parsing (CSP Level 3) and an assessment in the manner of the
Mozilla/MDN HTTP Observatory.

Parsing follows CSP3 (W3C Working Draft, https://www.w3.org/TR/CSP3/):

* §2.2.2 "Parse a response's Content Security Policies": a ``Content-Security-Policy``
  header value is a comma-separated list (``serialized-policy-list = 1#serialized-policy``);
  every policy in it is enforced, and a policy whose directive set ends up empty is dropped.
* §2.2.1 "Parse a serialized CSP": the policy is strictly split on ``;``; each token is
  stripped of ASCII whitespace and skipped when empty or not ASCII; the directive name is
  everything up to the first ASCII whitespace, lower-cased ("directive names are
  case-insensitive"); a directive whose name was already seen is ignored ("first occurrence
  wins"); the value is the rest of the token split on ASCII whitespace.
* §2.3.1 "Source Lists": the source-expression grammar (keywords, nonces, hashes, schemes,
  hosts).  Sources are kept as written; keywords and schemes compare case-insensitively.
* §3.3 "The ``<meta>`` element" (and HTML's ``http-equiv`` "Content security policy" state):
  a ``<meta http-equiv="Content-Security-Policy">`` value is parsed as one policy (no comma
  split), and ``report-uri``, ``frame-ancestors`` and ``sandbox`` are removed from it.  The
  caller extracts the ``content`` attribute and calls ``parse_csp(value, source="meta")``.

The assessment (:func:`evaluate`, :func:`assess`) follows the HTTP Observatory's CSP test
(mdn/mdn-http-observatory ``src/analyzer/tests/csp.js`` and its scoring table in
``src/grader/charts.js``) closely and reports its result keys, so an advisor can put our
answer next to the Observatory's:

* the script list is ``script-src``, falling back to ``default-src``, else anything (``*``);
  ``object-src`` and ``style-src`` fall back the same way; ``base-uri``, ``form-action`` and
  ``frame-ancestors`` have no fallback, and ``frame-ancestors`` only counts from a header;
* ``'unsafe-inline'`` is ignored when the list also has a nonce or hash (CSP2 and later
  browsers do that: CSP3 §6.7.3.2 "Does a source list allow all inline behavior for type?");
  with ``'strict-dynamic'`` and a nonce or hash, ``'self'``, ``'unsafe-inline'`` and the broad
  sources are ignored too (CSP3 §8.2 "Usage of 'strict-dynamic'");
* "dangerously broad" sources are ``*``, ``http:``, ``https:``, ``ftp:``, ``http://*``,
  ``https://*`` (and ``*.*`` forms); ``'unsafe-inline'`` and ``data:`` in the script list
  count as inline script;
* the result is the first of: unsafe-inline (script list weak, or ``object-src`` broad),
  insecure-scheme (active content over ``http:``/``ftp:`` on an https site), unsafe-eval,
  insecure-scheme-in-passive-content-only (images/media), unsafe-inline-in-style-src-only,
  then no-unsafe-default-src-none or no-unsafe.

Where this module and the Observatory part ways, on purpose, following the specifications:

* A repeated directive: browsers use the first one (CSP3 §2.2.1); the Observatory grades
  the header ``csp-header-invalid``.  Here it is a finding and, if the policy otherwise
  passes, the result ``csp-implemented-but-duplicate-directives``.
* ``'strict-dynamic'`` without a nonce or hash is valid CSP that blocks every script; the
  Observatory calls it ``csp-header-invalid``.  Here it is a warning finding.
* Several policies are all enforced (CSP3 §8.1 "The effect of multiple policies"), so a
  weakness counts only when every policy has it; the Observatory merges the policies into
  one by intersecting their sources first.  For one policy both give the same answer.
* ``script-src-elem`` and ``script-src-attr`` override ``script-src`` for their kind of
  script (CSP3 §6.1.10, §6.1.11); their ``'unsafe-inline'`` and broad sources count here.
* Only source-list directives are searched for ``http:`` sources (not ``report-uri``).
* A nonce or hash must match the grammar (``'nonce-'`` alone is not one), as browsers
  require; the Observatory accepts any prefix match.

Every differing case met in an input is listed in :attr:`CspAssessment.deviations`.
Everything here is pure, and never raises anything but :class:`CspError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_CSP_CHARS",
    "OBSERVATORY_MODIFIERS",
    "RESULT_TEXTS",
    "Csp",
    "CspAssessment",
    "CspError",
    "CspFinding",
    "Directive",
    "Policy",
    "assess",
    "classify_source",
    "evaluate",
    "parse_csp",
]

# Larger than any header an HTTP client accepts (h11 stops at 16 KiB of headers) or a sane
# <meta> element carries; the limit only bounds the work done on hostile input.
MAX_CSP_CHARS = 64 * 1024

_ASCII_WS = "\t\n\f\r "  # Infra's ASCII whitespace (not VT, unlike str.split())
_SPLIT_WS = re.compile(r"[\t\n\f\r ]+")
_META_REMOVED = ("report-uri", "frame-ancestors", "sandbox")  # CSP3 §3.3, HTML http-equiv
_MAX_WARNINGS = 20  # warnings and names listed; the rest are counted

# Directive names a browser knows (CSP3 §6 and the specifications that extend it); anything
# else is ignored by browsers, and reported here as unknown.
KNOWN_DIRECTIVES = frozenset({
    "child-src", "connect-src", "default-src", "fenced-frame-src", "font-src", "frame-src",
    "img-src", "manifest-src", "media-src", "object-src", "script-src", "script-src-elem",
    "script-src-attr", "style-src", "style-src-elem", "style-src-attr", "worker-src",
    "webrtc", "base-uri", "sandbox", "form-action", "frame-ancestors", "report-uri",
    "report-to", "upgrade-insecure-requests", "block-all-mixed-content",
    "require-trusted-types-for", "trusted-types", "prefetch-src", "navigate-to",
    "plugin-types", "require-sri-for",
})
# Directives whose value is a source list (CSP3 §6.1–§6.3): only these are searched for
# http: sources.
_SOURCE_LIST_DIRECTIVES = frozenset({
    "child-src", "connect-src", "default-src", "fenced-frame-src", "font-src", "frame-src",
    "img-src", "manifest-src", "media-src", "object-src", "script-src", "script-src-elem",
    "script-src-attr", "style-src", "style-src-elem", "style-src-attr", "worker-src",
    "base-uri", "form-action", "frame-ancestors", "prefetch-src", "navigate-to",
})

# The Observatory's lists (src/analyzer/tests/csp.js), compared in lower case.
_BROAD = frozenset({
    "ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*",
})
_UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
_BROAD_OR_INLINE = _BROAD | _UNSAFE_INLINE
_PASSIVE = ("img-src", "media-src")
_NONE = "'none'"

# CSP3 §2.3.1 grammar (ABNF literals are case-insensitive).
_KEYWORDS = frozenset({
    "'self'", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'", "'unsafe-hashes'",
    "'report-sample'", "'unsafe-allow-redirects'", "'wasm-unsafe-eval'",
    "'trusted-types-eval'", "'report-sha256'", "'report-sha384'", "'report-sha512'",
    "'inline-speculation-rules'",
})
_BASE64_VALUE = r"[A-Za-z0-9+/\-_]+={0,2}"
_NONCE = re.compile(rf"'nonce-{_BASE64_VALUE}'", re.IGNORECASE)
_HASH = re.compile(rf"'sha(?:256|384|512)-{_BASE64_VALUE}'", re.IGNORECASE)
_SCHEME_SOURCE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_HOST_SOURCE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://)?"
    r"(?:\*|(?:\*\.)?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.?)"
    r"(?::(?:[0-9]+|\*))?"
    r"(?:/[^;,]*)?"
)

RESULT_TEXTS = {
    "csp-implemented-with-no-unsafe-default-src-none": (
        "A Content Security Policy is in place, blocks everything by default "
        "(default-src 'none') and allows no unsafe script."
    ),
    "csp-implemented-with-no-unsafe": (
        "A Content Security Policy is in place and allows no inline or eval'd script; "
        "setting default-src to 'none' would make it stricter still."
    ),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (
        "A Content Security Policy protects scripts, but lets styles come from anywhere or "
        "inline ('unsafe-inline', data: or broad sources in style-src)."
    ),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": (
        "A Content Security Policy is in place, but lets images or media load over "
        "unencrypted http."
    ),
    "csp-implemented-with-unsafe-eval": (
        "A Content Security Policy is in place, but allows 'unsafe-eval', which lets "
        "injected text run as script through eval()."
    ),
    "csp-implemented-with-insecure-scheme": (
        "A Content Security Policy is in place, but lets scripts or other active content "
        "load over unencrypted http, where anyone on the network can change them."
    ),
    "csp-implemented-with-unsafe-inline": (
        "A Content Security Policy is in place but does not stop injected script: it allows "
        "inline script ('unsafe-inline' or data:), scripts or plugins from almost anywhere, "
        "or does not restrict scripts or plugins at all."
    ),
    "csp-implemented-but-duplicate-directives": (
        "A Content Security Policy is in place and passes, but repeats a directive; browsers "
        "use the first one and ignore the rest."
    ),
    "csp-header-invalid": "The Content Security Policy cannot be read, so browsers ignore it.",
    "csp-not-implemented": (
        "No Content Security Policy: the browser gets no limits on where scripts may come "
        "from, so an injected script runs unhindered."
    ),
    "csp-not-implemented-but-reporting-enabled": (
        "A Content Security Policy is only reported on (Content-Security-Policy-Report-Only), "
        "not enforced, so it blocks nothing."
    ),
}

# The Observatory's score modifiers for these results (src/grader/charts.js).
OBSERVATORY_MODIFIERS = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-but-duplicate-directives": 0,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
}

_PASSING = frozenset({
    "csp-implemented-with-no-unsafe",
    "csp-implemented-with-no-unsafe-default-src-none",
    "csp-implemented-with-unsafe-inline-in-style-src-only",
    "csp-implemented-with-insecure-scheme-in-passive-content-only",
    "csp-implemented-but-duplicate-directives",
})


class CspError(ValueError):
    """The policy cannot be read at all; the message says what is wrong."""


def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def classify_source(source: str) -> str:
    """The kind of a source expression (CSP3 §2.3.1): ``"none"``, ``"keyword"``,
    ``"nonce"``, ``"hash"``, ``"scheme"``, ``"host"``, or ``"invalid"``."""
    lowered = source.lower()
    if lowered == _NONE:
        return "none"
    if lowered in _KEYWORDS:
        return "keyword"
    if _NONCE.fullmatch(source):
        return "nonce"
    if _HASH.fullmatch(source):
        return "hash"
    if _SCHEME_SOURCE.fullmatch(source):
        return "scheme"
    if _HOST_SOURCE.fullmatch(source):
        return "host"
    return "invalid"


@dataclass(frozen=True)
class Directive:
    name: str  # lower case (CSP3 §2.2.1 step 3.4)
    sources: tuple[str, ...]  # the value split on ASCII whitespace, as written

    def to_json(self) -> dict:
        return {"name": self.name, "sources": list(self.sources)}


@dataclass(frozen=True)
class Policy:
    """One serialized policy: its directives in order, first occurrence of each name."""

    raw: str
    source: str  # "header" or "meta"
    directives: tuple[Directive, ...]
    duplicates: tuple[str, ...] = ()  # names of later occurrences, ignored by browsers
    skipped: tuple[str, ...] = ()  # tokens with non-ASCII characters, ignored by browsers
    removed: tuple[str, ...] = ()  # directives a <meta> policy may not carry (CSP3 §3.3)

    def get(self, name: str) -> tuple[str, ...] | None:
        """The source list of directive ``name`` (any case), or None when it is absent."""
        name = name.lower()
        for directive in self.directives:
            if directive.name == name:
                return directive.sources
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(directive.name for directive in self.directives)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(name for name in self.names if name not in KNOWN_DIRECTIVES)

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "source": self.source,
            "directives": [directive.to_json() for directive in self.directives],
            "duplicates": list(self.duplicates),
            "skipped": list(self.skipped),
            "removed": list(self.removed),
            "unknown": list(self.unknown),
        }


@dataclass(frozen=True)
class Csp:
    """Every policy one header field value (or one ``<meta>`` element) delivers."""

    raw: str
    source: str
    policies: tuple[Policy, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "source": self.source,
            "policies": [policy.to_json() for policy in self.policies],
            "warnings": list(self.warnings),
        }


def _parse_policy(text: str, source: str) -> Policy:
    directives: list[Directive] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    skipped: list[str] = []
    for token in text.split(";"):
        token = token.strip(_ASCII_WS)
        if not token:
            continue
        if not token.isascii():
            skipped.append(token[:80])
            continue
        parts = _SPLIT_WS.split(token)
        name = parts[0].lower()
        if name in seen:
            duplicates.append(name)
            continue
        seen.add(name)
        directives.append(Directive(name, tuple(parts[1:])))
    removed: tuple[str, ...] = ()
    if source == "meta":
        removed = tuple(d.name for d in directives if d.name in _META_REMOVED)
        directives = [d for d in directives if d.name not in _META_REMOVED]
    return Policy(text, source, tuple(directives), tuple(duplicates), tuple(skipped), removed)


def parse_csp(header_value: str, *, source: str = "header") -> Csp:
    """Parse one ``Content-Security-Policy`` header value (every comma-separated policy in
    it) or, with ``source="meta"``, one ``<meta http-equiv>`` content value.

    Raises :class:`CspError` when the text has no directive at all, is not text, or is
    longer than :data:`MAX_CSP_CHARS`.
    """
    if source not in ("header", "meta"):
        raise CspError(f"source must be 'header' or 'meta', not {source!r}")
    if not isinstance(header_value, str):
        raise CspError("the policy must be text")
    if len(header_value) > MAX_CSP_CHARS:
        raise CspError(f"the policy is longer than {MAX_CSP_CHARS // 1024} KiB")
    pieces = [header_value] if source == "meta" else header_value.split(",")
    policies: list[Policy] = []
    warnings: list[str] = []
    for number, piece in enumerate(pieces, start=1):
        policy = _parse_policy(piece, source)
        where = f"policy {number}" if len(pieces) > 1 else "the policy"
        for token in policy.skipped:
            warnings.append(f"{where}: {_show(token)} has non-ASCII characters; browsers skip it")
        for name in dict.fromkeys(policy.duplicates):
            warnings.append(f"{where}: {name} appears more than once; browsers use the first")
        for name in policy.unknown:
            warnings.append(f"{where}: {_show(name)} is not a known directive; browsers ignore it")
        for name in policy.removed:
            warnings.append(f"{name} has no effect in a <meta> element; send it as a header")
        if policy.directives or policy.removed:
            policies.append(policy)
        elif len(pieces) > 1:
            warnings.append(f"policy {number} is empty; browsers skip it")
    if source == "meta" and "," in header_value:
        warnings.append(
            "a <meta> element holds one policy: the comma does not start a new one but "
            "becomes part of a source"
        )
    if not policies:
        raise CspError("the policy has no directives")
    if len(warnings) > _MAX_WARNINGS:
        more = len(warnings) - _MAX_WARNINGS
        warnings = [*warnings[:_MAX_WARNINGS], f"... and {more} more warnings"]
    return Csp(header_value, source, tuple(policies), tuple(warnings))


# -- assessment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CspFinding:
    key: str  # stable, e.g. "csp-script-src-unsafe-inline"
    level: str  # "good", "info", "warning" or "problem"
    explanation: str

    def to_json(self) -> dict:
        return {"key": self.key, "level": self.level, "explanation": self.explanation}


@dataclass(frozen=True)
class _View:
    """One policy seen the Observatory's way (the flags of its ``policy`` object)."""

    scripts_missing: bool  # neither script-src nor default-src
    unsafe_inline_scripts: bool
    broad_script_sources: tuple[str, ...]
    unsafe_inline_ignored: bool
    unsafe_eval: bool
    unsafe_objects: bool
    insecure_scheme_active: bool
    insecure_scheme_passive: bool
    unsafe_styles: bool
    default_none: bool
    strict_dynamic: bool
    strict_dynamic_without_nonce: bool
    anti_clickjacking: bool
    insecure_base_uri: bool
    insecure_form_action: bool

    @property
    def scripts_weak(self) -> bool:
        return self.scripts_missing or self.unsafe_inline_scripts or bool(self.broad_script_sources)


def _lowered(sources: tuple[str, ...] | None) -> list[str] | None:
    if sources is None:
        return None
    return [source.lower() for source in sources] or [_NONE]  # an empty list matches nothing


def _has_nonce_or_hash(sources: Iterable[str]) -> bool:
    return any(_NONCE.fullmatch(source) or _HASH.fullmatch(source) for source in sources)


def _script_list(sources: list[str]) -> tuple[list[str], bool, bool, bool]:
    """Apply CSP2/CSP3's rules to a script source list: (effective list, inline ignored,
    strict-dynamic in force, strict-dynamic without a nonce or hash)."""
    nonce_or_hash = _has_nonce_or_hash(sources)
    ignored = nonce_or_hash and "'unsafe-inline'" in sources
    effective = [s for s in sources if not (nonce_or_hash and s == "'unsafe-inline'")]
    if "'strict-dynamic'" in effective and nonce_or_hash:
        effective = [
            s for s in effective
            if s not in ("'self'", "'unsafe-inline'") and not s.startswith(tuple(_BROAD))
        ]
        return effective, ignored, True, False
    return effective, ignored, False, "'strict-dynamic'" in effective


def _view(policy: Policy, secure_origin: bool) -> _View:
    lists = {d.name: _lowered(d.sources) or [_NONE] for d in policy.directives}
    default_src = lists.get("default-src")

    def fetch_list(name: str) -> list[str]:
        return lists.get(name) or default_src or ["*"]

    script_src, inline_ignored, strict_dynamic, strict_without = _script_list(
        fetch_list("script-src")
    )
    style_src = fetch_list("style-src")
    if _has_nonce_or_hash(style_src):
        inline_ignored = inline_ignored or "'unsafe-inline'" in style_src
        style_src = [s for s in style_src if s != "'unsafe-inline'"]
    object_src = fetch_list("object-src")
    base_uri = lists.get("base-uri") or ["*"]
    form_action = lists.get("form-action") or ["*"]
    frame_ancestors = (lists.get("frame-ancestors") if policy.source == "header" else None)

    scripts_missing = "script-src" not in lists and default_src is None
    script_lists = [] if scripts_missing else [script_src]
    for name in ("script-src-elem", "script-src-attr"):
        if name in lists:
            effective, ignored, _, _ = _script_list(lists[name])
            inline_ignored = inline_ignored or ignored
            script_lists.append(effective)
    unsafe_inline_scripts = any("'unsafe-inline'" in lst for lst in script_lists)
    broad = tuple(dict.fromkeys(
        s for lst in script_lists for s in lst if s in _BROAD or s == "data:"
    ))

    active = [
        s for name, lst in lists.items()
        if name in _SOURCE_LIST_DIRECTIVES and name not in _PASSIVE and name != "script-src"
        for s in lst
    ] + script_src
    passive = [s for name in _PASSIVE for s in (lists.get(name) or default_src or [])]

    def insecure(sources: list[str]) -> bool:
        return secure_origin and any(s.startswith(("http:", "ftp:")) for s in sources)

    return _View(
        scripts_missing=scripts_missing,
        unsafe_inline_scripts=unsafe_inline_scripts,
        broad_script_sources=broad,
        unsafe_inline_ignored=inline_ignored,
        unsafe_eval="'unsafe-eval'" in script_src or "'unsafe-eval'" in style_src,
        unsafe_objects=any(s in _BROAD for s in object_src),
        insecure_scheme_active=insecure(active) and not strict_dynamic,
        insecure_scheme_passive=insecure(passive),
        unsafe_styles=any(s in _BROAD_OR_INLINE for s in style_src),
        default_none=default_src is not None and set(default_src) == {_NONE},
        strict_dynamic=strict_dynamic,
        strict_dynamic_without_nonce=strict_without,
        anti_clickjacking=frame_ancestors is not None
        and not any(s in _BROAD for s in frame_ancestors),
        insecure_base_uri=any(s in _BROAD_OR_INLINE for s in base_uri),
        insecure_form_action=any(s in _BROAD for s in form_action),
    )


@dataclass(frozen=True)
class CspAssessment:
    result: str  # the Observatory's result key (see RESULT_TEXTS)
    findings: tuple[CspFinding, ...] = ()
    policy_count: int = 0
    http: bool = False  # a policy came from a header
    meta: bool = False  # a policy came from a <meta> element
    scripts_restricted: bool = False
    unsafe_inline_scripts: bool = False
    unsafe_eval: bool = False
    broad_script_sources: tuple[str, ...] = ()
    objects_restricted: bool = False
    framing_protected: bool = False
    base_uri_restricted: bool = False
    form_action_restricted: bool = False
    default_src_none: bool = False
    strict_dynamic: bool = False
    insecure_scheme_active: bool = False
    insecure_scheme_passive: bool = False
    unsafe_styles: bool = False
    deviations: tuple[str, ...] = ()  # where the Observatory would grade this differently
    errors: tuple[str, ...] = ()  # why a policy could not be read

    @property
    def passed(self) -> bool:
        """The Observatory's ``pass`` for this result."""
        return self.result in _PASSING

    @property
    def explanation(self) -> str:
        return RESULT_TEXTS[self.result]

    @property
    def observatory_modifier(self) -> int:
        return OBSERVATORY_MODIFIERS[self.result]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(finding.key for finding in self.findings)

    def to_json(self) -> dict:
        return {
            "result": self.result,
            "passed": self.passed,
            "explanation": self.explanation,
            "observatory_modifier": self.observatory_modifier,
            "findings": [finding.to_json() for finding in self.findings],
            "policy_count": self.policy_count,
            "http": self.http,
            "meta": self.meta,
            "scripts_restricted": self.scripts_restricted,
            "unsafe_inline_scripts": self.unsafe_inline_scripts,
            "unsafe_eval": self.unsafe_eval,
            "broad_script_sources": list(self.broad_script_sources),
            "objects_restricted": self.objects_restricted,
            "framing_protected": self.framing_protected,
            "base_uri_restricted": self.base_uri_restricted,
            "form_action_restricted": self.form_action_restricted,
            "default_src_none": self.default_src_none,
            "strict_dynamic": self.strict_dynamic,
            "insecure_scheme_active": self.insecure_scheme_active,
            "insecure_scheme_passive": self.insecure_scheme_passive,
            "unsafe_styles": self.unsafe_styles,
            "deviations": list(self.deviations),
            "errors": list(self.errors),
        }


def _flatten(items: Iterable[Csp | Policy], what: str) -> list[Policy]:
    if isinstance(items, Csp | Policy):
        items = [items]
    policies: list[Policy] = []
    try:
        for item in items:
            if isinstance(item, Csp):
                policies.extend(item.policies)
            elif isinstance(item, Policy):
                policies.append(item)
            else:
                raise CspError(f"{what} must be parsed policies (Csp or Policy objects)")
    except TypeError:
        raise CspError(f"{what} must be a list of parsed policies") from None
    return policies


def _finding(key: str, level: str, explanation: str) -> CspFinding:
    return CspFinding(key, level, explanation)


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(_show(name, 40) for name in names[:_MAX_WARNINGS])
    return shown + (f" and {len(names) - _MAX_WARNINGS} more" if len(names) > _MAX_WARNINGS else "")


def evaluate(
    policies: Iterable[Csp | Policy],
    *,
    report_only: Iterable[Csp | Policy] = (),
    secure_origin: bool = True,
) -> CspAssessment:
    """Assess the enforced policies of one response (headers and ``<meta>`` elements).

    ``report_only`` are the ``Content-Security-Policy-Report-Only`` policies, which block
    nothing and only matter when no policy is enforced.  ``secure_origin`` says the page was
    served over https, where ``http:`` sources are a weakness (as in the Observatory).
    """
    enforced = [p for p in _flatten(policies, "policies") if p.directives]
    reporting = [p for p in _flatten(report_only, "report_only") if p.directives]
    if not enforced:
        result = "csp-not-implemented-but-reporting-enabled" if reporting else "csp-not-implemented"
        return CspAssessment(result, (_finding(result, "problem", RESULT_TEXTS[result]),))

    views = [_view(policy, bool(secure_origin)) for policy in enforced]

    def everywhere(flag: str) -> bool:  # a weakness counts only if every policy has it
        return all(getattr(view, flag) for view in views)

    def anywhere(flag: str) -> bool:  # a protection counts if any policy has it
        return any(getattr(view, flag) for view in views)

    # Scripts are open to injection only if every policy lets them in (for one reason or
    # another); the reasons reported are those of any policy.
    scripts_weak = everywhere("scripts_weak")
    unsafe_inline_scripts = everywhere("unsafe_inline_scripts")
    broad = tuple(dict.fromkeys(s for v in views for s in v.broad_script_sources)) if all(
        v.broad_script_sources for v in views) else ()
    unsafe_objects = everywhere("unsafe_objects")
    scripts_restricted = not scripts_weak
    unsafe_inline = scripts_weak or unsafe_objects  # the Observatory's unsafeInline
    insecure_active = everywhere("insecure_scheme_active")
    unsafe_eval = everywhere("unsafe_eval")
    insecure_passive = everywhere("insecure_scheme_passive")
    unsafe_styles = everywhere("unsafe_styles")
    default_none = anywhere("default_none")
    strict_dynamic = anywhere("strict_dynamic")
    framing = anywhere("anti_clickjacking")
    base_uri_restricted = not everywhere("insecure_base_uri")
    form_action_restricted = not everywhere("insecure_form_action")
    duplicates = tuple(dict.fromkeys(name for p in enforced for name in p.duplicates))

    if unsafe_inline:
        result = "csp-implemented-with-unsafe-inline"
    elif insecure_active:
        result = "csp-implemented-with-insecure-scheme"
    elif unsafe_eval:
        result = "csp-implemented-with-unsafe-eval"
    elif insecure_passive:
        result = "csp-implemented-with-insecure-scheme-in-passive-content-only"
    elif unsafe_styles:
        result = "csp-implemented-with-unsafe-inline-in-style-src-only"
    elif default_none:
        result = "csp-implemented-with-no-unsafe-default-src-none"
    else:
        result = "csp-implemented-with-no-unsafe"
    if result in _PASSING and duplicates:
        result = "csp-implemented-but-duplicate-directives"

    findings: list[CspFinding] = []
    add = findings.append
    if scripts_weak and anywhere("scripts_missing"):
        add(_finding("csp-scripts-unrestricted", "problem",
                     "No script-src or default-src directive: scripts may load from anywhere."))
    if scripts_weak and anywhere("unsafe_inline_scripts"):
        add(_finding("csp-script-src-unsafe-inline", "problem",
                     "'unsafe-inline' lets any script written into the page run, which is "
                     "exactly what an attacker injects. Use nonces or hashes instead."))
    script_broad = tuple(dict.fromkeys(s for v in views for s in v.broad_script_sources))
    if scripts_weak and script_broad:
        add(_finding("csp-script-src-broad", "problem",
                     f"Scripts may come from {', '.join(script_broad)}: almost any site (or "
                     "data: URLs an attacker writes), so the policy does not stop injected "
                     "script."))
    if unsafe_eval:
        add(_finding("csp-unsafe-eval", "problem",
                     "'unsafe-eval' lets text be run as script with eval() and similar "
                     "functions."))
    if unsafe_objects:
        add(_finding("csp-object-src-unrestricted", "problem",
                     "Plugins (object-src) are not restricted; set object-src 'none'."))
    if insecure_active:
        add(_finding("csp-insecure-scheme-active", "problem",
                     "Scripts or other active content may load over unencrypted http or ftp."))
    if insecure_passive:
        add(_finding("csp-insecure-scheme-passive", "warning",
                     "Images or media may load over unencrypted http."))
    if unsafe_styles:
        add(_finding("csp-style-src-unsafe", "warning",
                     "Styles may be inline or come from anywhere ('unsafe-inline', data: or "
                     "broad sources in style-src)."))
    if not framing:
        add(_finding("csp-no-frame-ancestors", "warning",
                     "No frame-ancestors directive in a header restricts who may show the site "
                     "in a frame (clickjacking); X-Frame-Options may still do it."))
    if not base_uri_restricted:
        add(_finding("csp-base-uri-unrestricted", "warning",
                     "base-uri is not restricted, so injected markup can change where the "
                     "page's relative links and scripts point; set base-uri 'self' or 'none'."))
    if not form_action_restricted:
        add(_finding("csp-form-action-unrestricted", "warning",
                     "form-action is not restricted, so injected forms may send data "
                     "anywhere; set form-action 'self'."))
    if any(v.strict_dynamic_without_nonce for v in views):
        add(_finding("csp-strict-dynamic-without-nonce", "warning",
                     "'strict-dynamic' without a nonce or hash blocks every script in modern "
                     "browsers, your own included; add the nonce or hash it is meant for."))
    if duplicates:
        add(_finding("csp-duplicate-directives", "info",
                     f"Repeated directive(s) {_names(duplicates)}: browsers use the first "
                     "and ignore the others."))
    unknown = tuple(dict.fromkeys(name for p in enforced for name in p.unknown))
    if unknown:
        add(_finding("csp-unknown-directives", "info",
                     f"Unknown directive(s) {_names(unknown)}: "
                     "browsers ignore them (a typo?)."))
    removed = tuple(dict.fromkeys(name for p in enforced for name in p.removed))
    if removed:
        add(_finding("csp-meta-directives-ignored", "info",
                     f"{', '.join(removed)} in a <meta> element has no effect; send it in the "
                     "Content-Security-Policy header."))
    if any(v.unsafe_inline_ignored for v in views):
        add(_finding("csp-unsafe-inline-ignored", "info",
                     "'unsafe-inline' sits next to a nonce or hash, so current browsers ignore "
                     "it; it only helps very old browsers."))
    if strict_dynamic:
        add(_finding("csp-strict-dynamic", "good",
                     "'strict-dynamic' with a nonce or hash: only scripts the page trusts, and "
                     "those they load, may run."))
    if default_none:
        add(_finding("csp-default-src-none", "good",
                     "default-src 'none' blocks everything not explicitly allowed."))
    if framing:
        add(_finding("csp-frame-ancestors", "good",
                     "frame-ancestors restricts who may show the site in a frame."))

    deviations: list[str] = []
    if any(name not in ("report-uri", "report-to") for name in duplicates):
        deviations.append(
            "the Observatory grades a repeated directive csp-header-invalid; browsers use the "
            "first occurrence (CSP3 §2.2.1), and so does this assessment"
        )
    if any(v.strict_dynamic_without_nonce for v in views):
        deviations.append(
            "the Observatory grades 'strict-dynamic' without a nonce or hash csp-header-invalid; "
            "it is valid CSP (that blocks every script)"
        )
    if any(len(p.raw.replace("\r", "").replace("\n", "").strip()) < 6 for p in enforced):
        deviations.append(
            "the Observatory refuses a policy shorter than six characters as csp-header-invalid"
        )
    if len(enforced) > 1:
        deviations.append(
            "the Observatory merges several policies into one before grading; here each is "
            "enforced on its own and a weakness counts only if every policy has it (CSP3 §8.1)"
        )

    return CspAssessment(
        result=result,
        findings=tuple(findings),
        policy_count=len(enforced),
        http=any(p.source == "header" for p in enforced),
        meta=any(p.source == "meta" for p in enforced),
        scripts_restricted=scripts_restricted,
        unsafe_inline_scripts=unsafe_inline_scripts,
        unsafe_eval=unsafe_eval,
        broad_script_sources=broad,
        objects_restricted=not unsafe_objects,
        framing_protected=framing,
        base_uri_restricted=base_uri_restricted,
        form_action_restricted=form_action_restricted,
        default_src_none=default_none,
        strict_dynamic=strict_dynamic,
        insecure_scheme_active=insecure_active,
        insecure_scheme_passive=insecure_passive,
        unsafe_styles=unsafe_styles,
        deviations=tuple(deviations),
    )


def _as_values(values: Iterable[str] | str, what: str) -> list[str]:
    if isinstance(values, str):
        return [values]
    try:
        values = list(values)
    except TypeError:
        raise CspError(f"{what} must be a list of header values") from None
    if not all(isinstance(value, str) for value in values):
        raise CspError(f"{what} must be text")
    return values


def assess(
    headers: Iterable[str] | str = (),
    *,
    meta: Iterable[str] | str = (),
    report_only: Iterable[str] | str = (),
    secure_origin: bool = True,
) -> CspAssessment:
    """Parse and assess a response's ``Content-Security-Policy`` header values, its
    ``<meta http-equiv>`` values and its ``Content-Security-Policy-Report-Only`` values.

    A value that cannot be parsed makes the result ``csp-header-invalid`` (as in the
    Observatory), with the reason in :attr:`CspAssessment.errors`.
    """
    header_values = _as_values(headers, "headers")
    meta_values = _as_values(meta, "meta")
    report_values = _as_values(report_only, "report_only")
    parsed: list[Csp] = []
    errors: list[str] = []
    for values, source in ((header_values, "header"), (meta_values, "meta")):
        for value in values:
            try:
                parsed.append(parse_csp(value, source=source))
            except CspError as exc:
                errors.append(f"{source} {_show(value, 40)}: {exc}")
    if errors:
        result = "csp-header-invalid"
        return CspAssessment(
            result, (_finding(result, "problem", RESULT_TEXTS[result]),),
            errors=tuple(errors),
        )
    reporting: list[Csp] = []
    for value in report_values:
        try:
            reporting.append(parse_csp(value))
        except CspError:
            continue  # an unreadable report-only policy reports nothing either
    return evaluate(parsed, report_only=reporting, secure_origin=secure_origin)
