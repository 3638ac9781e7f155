"""Small helpers that keep check functions short and total."""

from __future__ import annotations

from ...net.dns import DnsAnswer
from ..gather import Unavailable
from ..model import Outcome, Status


def unavailable(value, what: str) -> Outcome | None:
    """An `error` outcome when evidence could not be gathered, else None."""
    if isinstance(value, Unavailable):
        return Outcome(Status.ERROR, "could-not-check",
                       {"unavailable": value.reason}, {"what": what, "reason": value.reason})
    return None


def dns_error(answer: DnsAnswer, what: str) -> Outcome | None:
    """An `error` outcome when a DNS answer is a timeout, SERVFAIL or similar."""
    if not answer.ok:
        reason = answer.error or answer.rcode
        return Outcome(Status.ERROR, "could-not-check", {"dns": answer.to_json()},
                       {"what": what, "reason": reason})
    return None
