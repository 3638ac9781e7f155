"""The Public Suffix List: organisational domains as RFC 7489 §3.2 defines them.

The list itself comes with the `publicsuffixlist` package (offline, dated by its version).
This reader loads it in a few milliseconds, where that package's own parser spends tens of
milliseconds encoding every internationalised rule up front: a cold single-domain scan paid
for that on its critical path. Here names in A-label form are decoded only when a lookup
meets one. `tests/protocols/test_psl.py` checks the answers against `publicsuffixlist`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
from pathlib import Path

_lock = threading.Lock()
_lists: dict[str, _SuffixList] = {}


class _SuffixList:
    def __init__(self, text: str):
        self.rules: set[str] = set()
        self.wildcards: set[str] = set()  # "ck" for the rule "*.ck"
        self.exceptions: set[str] = set()  # "www.ck" for the rule "!www.ck"
        for line in text.lower().splitlines():
            if not line or line[0] == "/":
                continue
            rule = line.split(None, 1)[0] if " " in line or "\t" in line else line
            if rule[0] == "!":
                self.exceptions.add(rule[1:])
            elif rule.startswith("*."):
                self.wildcards.add(rule[2:])
            else:
                self.rules.add(rule)

    def public_suffix_labels(self, labels: list[str]) -> int:
        """How many labels, from the right, form the public suffix (at least one)."""
        count = len(labels)
        suffixes = [".".join(labels[i:]) for i in range(count)]
        for i, suffix in enumerate(suffixes):
            if suffix in self.exceptions:
                return count - i - 1  # an exception rule prevails: drop its leftmost label
        for i, suffix in enumerate(suffixes):  # longest first
            if suffix in self.rules or (i + 1 < count and suffixes[i + 1] in self.wildcards):
                return count - i
        return 1  # the default rule "*": the top-level label is a public suffix


def _suffix_list() -> _SuffixList:
    found = _lists.get("psl")
    if found is None:
        with _lock:
            found = _lists.get("psl")
            if found is None:
                found = _lists["psl"] = _SuffixList(_data_file().read_text(encoding="utf-8"))
    return found


def _data_file() -> Path:
    # Found without importing the package, whose import alone costs what we save here.
    spec = importlib.util.find_spec("publicsuffixlist")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the publicsuffixlist package (which ships the list) is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "public_suffix_list.dat"


def organisational_domain(domain: str) -> str | None:
    """The registrable domain (public suffix plus one label), in the form given (lower
    case, no trailing dot); None when the name is itself a public suffix or unusable."""
    name = domain.strip().rstrip(".").lower() if isinstance(domain, str) else ""
    labels = name.split(".")
    if not name or not all(labels):
        return None
    suffix = _suffix_list().public_suffix_labels(_unicode_labels(labels))
    if len(labels) <= suffix:
        return None
    return ".".join(labels[-(suffix + 1):])


def _unicode_labels(labels: list[str]) -> list[str]:
    """The list writes internationalised rules in Unicode; match A-labels against them."""
    if not any(label.startswith("xn--") for label in labels):
        return labels
    import idna

    decoded = []
    for label in labels:
        if label.startswith("xn--"):
            with contextlib.suppress(idna.IDNAError, UnicodeError):  # else only "*" matches
                label = idna.decode(label)
        decoded.append(label)
    return decoded
