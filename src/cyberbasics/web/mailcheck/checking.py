"""Running the core's email checker for one web request.

With scanning set up (web/scanning.py) the core checks SPF, DKIM, DMARC and ARC itself
through the site's resolver (`mail.authcheck.check`); without it, or when those checks run
out of time, the page still gets every signal that needs no DNS (`mail.verdict.analyse`)
and says that the authentication was not checked. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ...mail.authcheck import check as authentication_check
from ...mail.message import MessageError, parse_message
from ...mail.verdict import Analysis, Options, analyse
from ...net.dns import DnsClient
from ..scanning import ScanSetupError, scan_config

log = logging.getLogger(__name__)

# The whole check, DNS included, must fit in what a person waits for a page.
CHECK_SECONDS = 15.0


@dataclass(frozen=True)
class Outcome:
    analysis: Analysis
    dns_checked: bool
    not_checked_because: str = ""  # for the page, when dns_checked is False


async def _checked(data: bytes, options: Options, config) -> Analysis:
    dns = DnsClient(config.nameservers, timeout=config.timeout)
    try:
        return await asyncio.wait_for(authentication_check(data, options, dns),
                                      CHECK_SECONDS)
    finally:
        await dns.aclose()


def _offline(data: bytes, options: Options, why: str) -> Outcome:
    return Outcome(analyse(parse_message(data), options), False, why)


def run_check(data: bytes, options: Options) -> Outcome:
    """The analysis of one message; `MessageError` (with a reason for the person) when the
    input is not a message."""
    try:
        config = scan_config()
    except ScanSetupError as exc:
        log.warning("email check without DNS: %s", exc.detail)
        return _offline(data, options, _(
            "Internet lookups are not set up on this site, so the sender's SPF, DKIM and "
            "DMARC records could not be checked: the verdict rests on what your mail server "
            "recorded."))
    try:  # a message that cannot be read fails in `check` before any lookup
        analysis = asyncio.run(_checked(data, options, config))
    except TimeoutError:
        return _offline(data, options, _(
            "Checking the sender's SPF, DKIM and DMARC records took too long, so the verdict "
            "rests on what your mail server recorded."))
    except MessageError:
        raise
    except Exception:  # a fault in our own checks must not cost the person their answer
        log.exception("email check: the DNS checks failed")
        return _offline(data, options, _(
            "Checking the sender's SPF, DKIM and DMARC records failed on our side, so the "
            "verdict rests on what your mail server recorded."))
    return Outcome(analysis, True)
