"""Version strings as software shows them, compared without guessing.

A version is read as a sequence of numbers and words: ``8.9p1`` is 8, 9, p, 1; FortiOS
``7.2.3``, Exchange ``15.01.2176.012``, NetScaler ``13.1-49.13``, Ivanti ``9.0R3.4`` and
PAN-OS ``10.2.9-h1`` read the same way ('.', '-', '_', '+', '~' only separate). Numbers
compare as numbers, words case-insensitively; a word after the common part makes a version
later (``8.9p1`` > ``8.9``) unless it marks a pre-release (``2.4.0-rc1`` < ``2.4.0``);
zeros that end a run of numbers do not count (``7.0`` = ``7``, ``2.4.0rc1`` = ``2.4rc1``).

What a scan sees is often less precise than a bound: ``Apache/2.4`` could be 2.4.0 or 2.4.62.
`compare_seen` therefore answers None ("cannot tell") when the version seen is a proper
prefix of the bound (``2.4`` against ``2.4.49``), and `AffectedRange.contains` answers None
when either end cannot be told. None is never reported as vulnerable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

MAX_VERSION_CHARS = 64
MAX_TOKENS = 16
MAX_NUMBER_DIGITS = 18
# Words that mark a pre-release. Single letters are not among them: ProFTPD 1.3.5a and
# OpenSSL 1.1.1k come after 1.3.5 and 1.1.1.
PRERELEASE_WORDS = frozenset({"alpha", "beta", "rc", "pre", "preview", "dev"})

_TOKEN = re.compile(r"\d+|[A-Za-z]+")
_ALLOWED = re.compile(r"[0-9A-Za-z.\-_+~]+")

Token = int | str


class VersionError(ValueError):
    """The text is not a version this module can compare."""


def _key(token: Token | None) -> tuple:
    """Sort key of one token; None is the end of a version."""
    if token is None:
        return (1,)
    if isinstance(token, int):
        return (3, token)
    return (0, token) if token in PRERELEASE_WORDS else (2, token)


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    text: str
    tokens: tuple[Token, ...]  # words in lower case

    @property
    def _significant(self) -> tuple[Token, ...]:
        """The tokens without zeros that end a run of numbers before a word or the end:
        2.4.0 is 2.4 and 2.4.0rc1 is 2.4rc1, so trailing zeros never change the order."""
        kept: list[Token] = []
        for index, token in enumerate(self.tokens):
            if token == 0:
                rest = self.tokens[index:]
                run_end = next((i for i, t in enumerate(rest) if t != 0), len(rest))
                if run_end == len(rest) or isinstance(rest[run_end], str):
                    continue
            kept.append(token)
        return tuple(kept)

    def _cmp(self, other: Version) -> int:
        mine, theirs = self._significant, other._significant
        for index in range(max(len(mine), len(theirs))):
            a = _key(mine[index] if index < len(mine) else None)
            b = _key(theirs[index] if index < len(theirs) else None)
            if a != b:
                return -1 if a < b else 1
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._cmp(other) == 0

    def __lt__(self, other: Version) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash(self._significant)

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version:
    """Read a version; raises VersionError for text that is not one (it must start with a
    number, use only letters, digits and separators, and be short)."""
    if not isinstance(text, str):
        raise VersionError("a version is text")
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_VERSION_CHARS:
        raise VersionError(f"not a version: {text[:80]!r}")
    if not _ALLOWED.fullmatch(stripped) or not stripped[0].isdigit():
        raise VersionError(f"not a version: {text[:80]!r}")
    tokens: list[Token] = []
    for part in _TOKEN.findall(stripped):
        if part.isdigit():
            if len(part.lstrip("0")) > MAX_NUMBER_DIGITS:
                raise VersionError(f"number too long in version {text[:80]!r}")
            tokens.append(int(part))
        else:
            tokens.append(part.lower())
    if len(tokens) > MAX_TOKENS:
        raise VersionError(f"too many parts in version {text[:80]!r}")
    return Version(stripped, tuple(tokens))


def try_parse(text: str | None) -> Version | None:
    if text is None:
        return None
    try:
        return parse_version(text)
    except VersionError:
        return None


def compare(a: Version, b: Version) -> int:
    """-1, 0 or 1: the total order described above."""
    return a._cmp(b)


def compare_seen(seen: Version, bound: Version) -> int | None:
    """Like `compare`, but None when the version seen may be less precise than the bound:
    it is a proper prefix of the bound and the rest of the bound is not just zeros."""
    s, b = seen.tokens, bound.tokens
    if len(s) < len(b) and all(_key(x) == _key(y) for x, y in zip(s, b, strict=False)) \
            and any(token != 0 for token in b[len(s):]):
        return None
    return compare(seen, bound)


@dataclass(frozen=True)
class AffectedRange:
    """Versions from `introduced` (inclusive) up to `fixed` (exclusive) or `last_affected`
    (inclusive), as OSV writes them; no upper bound means every later version."""

    introduced: str = "0"
    fixed: str | None = None
    last_affected: str | None = None

    def __post_init__(self):
        if self.fixed is not None and self.last_affected is not None:
            raise VersionError("a range has either fixed or last_affected, not both")
        low = parse_version(self.introduced)
        high = self.fixed if self.fixed is not None else self.last_affected
        if high is not None:
            top = parse_version(high)
            if top < low or (self.fixed is not None and top == low):
                raise VersionError(f"empty range {self.describe()}")

    def contains(self, version: str | Version) -> bool | None:
        """True when the version is in the range, False when it is not, None when the
        version seen is too imprecise (or not a version at all) to tell."""
        seen = version if isinstance(version, Version) else try_parse(version)
        if seen is None:
            return None
        answers = [_at_least(seen, parse_version(self.introduced))]
        if self.fixed is not None:
            answers.append(_below(seen, parse_version(self.fixed), inclusive=False))
        elif self.last_affected is not None:
            answers.append(_below(seen, parse_version(self.last_affected), inclusive=True))
        if False in answers:
            return False
        if None in answers:
            return None
        return True

    def describe(self) -> str:
        """In words: "2.4.49 only", "from 2.4.0, before 2.4.49", "up to 4.91"."""
        low = "" if self.introduced == "0" else self.introduced
        if self.last_affected is not None:
            if low and parse_version(low) == parse_version(self.last_affected):
                return f"{self.last_affected} only"
            return f"from {low} to {self.last_affected}" if low else \
                f"up to {self.last_affected}"
        if self.fixed is not None:
            return f"from {low}, before {self.fixed}" if low else f"before {self.fixed}"
        return f"from {low} on" if low else "every version"

    def to_json(self) -> dict:
        data = {"introduced": self.introduced}
        if self.fixed is not None:
            data["fixed"] = self.fixed
        if self.last_affected is not None:
            data["last_affected"] = self.last_affected
        return data


def _at_least(seen: Version, bound: Version) -> bool | None:
    answer = compare_seen(seen, bound)
    return None if answer is None else answer >= 0


def _below(seen: Version, bound: Version, *, inclusive: bool) -> bool | None:
    answer = compare_seen(seen, bound)
    if answer is None:
        return None
    return answer <= 0 if inclusive else answer < 0
