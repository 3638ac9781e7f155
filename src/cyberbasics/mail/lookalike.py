"""Does a sender's domain imitate a domain the business knows (its own or a contact's)?

Kinds: `homoglyph` (characters that look alike, incl. Cyrillic/Greek letters and
rn→m, vv→w, 0→o, 1→l), `idn` (an internationalised name written like a known ASCII one),
`typo` (one letter changed, added, dropped or two swapped), `tld_swap` (same name, other
suffix), `added_words` (the known name plus words, e.g. acme-secure.com).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from ..protocols.psl import organisational_domain

# Letters from other scripts that render like Latin ones, and ASCII look-alike pairs.
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ѵ": "v", "ь": "b",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    "à": "a", "á": "a", "â": "a", "ã": "a", "ä": "a", "å": "a", "ą": "a", "ç": "c", "ć": "c",
    "è": "e", "é": "e", "ê": "e", "ë": "e", "ę": "e", "ì": "i", "í": "i", "î": "i", "ï": "i",
    "ı": "i", "ł": "l", "ñ": "n", "ń": "n", "ò": "o", "ó": "o", "ô": "o", "õ": "o", "ö": "o",
    "ø": "o", "ś": "s", "ș": "s", "ş": "s", "ț": "t", "ţ": "t", "ù": "u", "ú": "u", "û": "u",
    "ü": "u", "ý": "y", "ÿ": "y", "ź": "z", "ż": "z", "ă": "a",
    "0": "o", "1": "l", "|": "l",
}
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("i", "l"))
_WORDS = ("secure", "security", "login", "verify", "support", "service", "account",
          "online", "mail", "billing", "invoice", "payment", "team", "help", "update", "info",
          "admin", "portal", "group", "bank", "pay", "app", "web", "my", "auth")


@dataclass(frozen=True)
class Lookalike:
    domain: str  # the sender's organisational domain (A-label form)
    looks_like: str  # the known domain it imitates
    kind: str
    shown: str  # the sender's domain as a person sees it (Unicode)

    def to_dict(self) -> dict:
        return {"domain": self.domain, "looks_like": self.looks_like, "kind": self.kind,
                "shown": self.shown}


def to_unicode(domain: str) -> str:
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(Exception):
                import idna

                label = idna.decode(label)
        labels.append(label)
    return ".".join(labels)


def skeleton(text: str) -> str:
    out = "".join(_CONFUSABLES.get(c, c) for c in text.lower())
    for seq, repl in _SEQUENCES:
        out = out.replace(seq, repl)
    return out


def _one_edit(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance exactly 1 (substitution, insertion, deletion, swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _split(org: str) -> tuple[str, str]:
    name, _, suffix = org.partition(".")
    return name, suffix


def find_lookalike(sender_domain: str, known: Iterable[str]) -> Lookalike | None:
    """The first known domain that `sender_domain` imitates (never one it belongs to)."""
    sender_org = organisational_domain(sender_domain) or sender_domain
    shown = to_unicode(sender_org)
    s_name, s_suffix = _split(shown)
    known_orgs = {organisational_domain(k) or k for k in known if k}
    if sender_org in known_orgs:
        return None
    for target in sorted(known_orgs):
        t_shown = to_unicode(target)
        t_name, t_suffix = _split(t_shown)
        if len(t_name) < 3 or not s_name:
            continue
        idn = sender_org != shown or any(ord(c) > 127 for c in shown)
        if skeleton(shown) == skeleton(t_shown) or (
                skeleton(s_name) == skeleton(t_name) and s_suffix == t_suffix):
            return Lookalike(sender_org, target, "idn" if idn else "homoglyph", shown)
        if s_suffix == t_suffix and len(t_name) >= 4 and _one_edit(s_name, t_name):
            return Lookalike(sender_org, target, "typo", shown)
        if s_name == t_name and s_suffix != t_suffix:
            return Lookalike(sender_org, target, "tld_swap", shown)
        if skeleton(s_name) == skeleton(t_name):
            return Lookalike(sender_org, target, "idn" if idn else "homoglyph", shown)
        if len(t_name) >= 4 and t_name in s_name and s_name != t_name:
            rest = s_name.replace(t_name, " ").replace("-", " ").split()
            if rest and all(word in _WORDS for word in rest):
                return Lookalike(sender_org, target, "added_words", shown)
    return None
