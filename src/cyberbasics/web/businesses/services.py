"""Registering businesses, adding and removing their domains, proving ownership. Views call
these; they hold the rules and write the audit log."""

from __future__ import annotations

import asyncio
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ...protocols.psl import organisational_domain
from ...scan.targets import InvalidTarget, parse_target
from ..audit.services import record
from ..scanning import ScanSetupError, lab_mode, scan_config
from .models import Business, Domain, Membership
from .verification import Outcome, Problem, check_ownership

logger = logging.getLogger(__name__)

MAX_DOMAINS = 10
# Names that are never a business's domain on the internet: special-use names (RFC 6761,
# 6762, 7686, 8375, 9476) and the top-level names home and office networks use.
RESERVED_TOP = frozenset({"localhost", "local", "test", "invalid", "example", "onion",
                          "internal", "arpa", "alt", "lan", "home", "corp", "intranet",
                          "private", "localdomain"})
RESERVED_NAMES = frozenset({"example.com", "example.net", "example.org"})
# The lab's demo businesses live under .example (and its tests under .test).
LAB_TOP = frozenset({"example", "test"})


class DomainError(ValueError):
    """A domain cannot be added; the message says why, in the reader's language."""


@transaction.atomic
def register_business(user, *, name: str, country: str, time_zone: str, profile: dict,
                      request=None) -> Business:
    business = Business.objects.create(name=name, country=country, time_zone=time_zone,
                                       profile=profile)
    Membership.objects.create(business=business, user=user, role=Membership.Role.OWNER)
    record("business.created", request=request, actor=user if request is None else None,
           business=business, name=name, country=country)
    return business


def normalise_domain(text: str) -> tuple[str, bool]:
    """(the domain in ASCII, lower case; whether it differs from what was typed), or
    `DomainError` with the reason."""
    shown = text.strip()[:100]
    try:
        target = parse_target(text)
    except InvalidTarget as exc:
        if exc.code == "ip_address":
            raise DomainError(_("%(input)s is an IP address. Enter the business's domain name "
                                "instead, for example mybakery.co.uk.") % {"input": shown}) \
                from None
        raise DomainError(_("“%(input)s” is not a domain name. Enter a name such as "
                            "mybakery.co.uk.") % {"input": shown}) from None
    domain = target.domain
    top = domain.rsplit(".", 1)[-1]
    reserved = top in RESERVED_TOP or any(domain == name or domain.endswith("." + name)
                                          for name in RESERVED_NAMES)
    if reserved and not (top in LAB_TOP and lab_mode()):
        raise DomainError(_("%(domain)s is a private or reserved name that does not exist on "
                            "the internet, so it cannot be checked. Enter the business's "
                            "public domain.") % {"domain": domain})
    if organisational_domain(domain) is None:
        raise DomainError(_("%(domain)s is shared by many owners (like co.uk), not a "
                            "business's own domain. Enter the full name, for example "
                            "mybakery.%(domain)s.") % {"domain": domain})
    return domain, domain != shown.lower().rstrip(".")


def add_domain(business: Business, text: str, *, request=None) -> tuple[Domain, bool]:
    """The new domain, and whether its name was taken from what was typed (a web address,
    an e-mail address, www.)."""
    name, changed = normalise_domain(text)
    with transaction.atomic():
        # Lock the business's row where the database can, so two requests cannot both add
        # the tenth domain.
        Business.objects.select_for_update().filter(pk=business.pk).first()
        if business.domains.filter(name=name).exists():
            raise DomainError(_("%(domain)s is already one of this business's domains.")
                              % {"domain": name})
        if business.domains.count() >= MAX_DOMAINS:
            raise DomainError(_("A business can have at most %(count)d domains. Remove one "
                                "first.") % {"count": MAX_DOMAINS})
        try:
            domain = Domain.objects.create(business=business, name=name)
        except IntegrityError:
            raise DomainError(_("%(domain)s is already one of this business's domains.")
                              % {"domain": name}) from None
        record("domain.added", request=request, business=business, domain=name)
    return domain, changed


@transaction.atomic
def remove_domain(domain: Domain, *, request=None) -> None:
    name, business = domain.name, domain.business
    domain.delete()
    record("domain.removed", request=request, business=business, domain=name)


def problem_text(problem: Problem) -> str:
    """One method's failure in plain words."""
    d = problem.detail
    texts = {
        "dns_missing": _("DNS: there is no TXT record at %(name)s yet. If you have just added "
                         "it, wait a few minutes (sometimes up to an hour) and check again."),
        "dns_wrong": _("DNS: the TXT record at %(name)s holds “%(found)s”, not this domain's "
                       "code. Copy the value shown here exactly."),
        "dns_error": _("DNS: we could not ask about %(name)s just now (%(error)s). Try again "
                       "in a few minutes."),
        "file_missing": _("File: %(url)s does not exist (the website answered “not found”)."),
        "file_wrong": _("File: %(url)s exists but does not hold this domain's code. Put the "
                        "line shown here in it, exactly."),
        "file_status": _("File: the website answered %(url)s with an error (HTTP "
                         "%(status)s)."),
        "file_redirects": _("File: the website redirected too many times (last: %(url)s)."),
        "file_unreachable": _("File: we could not reach %(url)s (%(error)s)."),
    }
    template = texts.get(problem.code)
    if template is None:
        return problem.code
    return template % {key: value for key, value in d.items()}


def _record_check(domain: Domain, outcome: Outcome | None, error: str, *, request) -> None:
    now = timezone.now()
    domain.last_checked_at = now
    if outcome is not None and outcome.verified:
        domain.verified_at, domain.verified_by, domain.last_check_error = now, outcome.method, ""
        domain.save(update_fields=["last_checked_at", "verified_at", "verified_by",
                                   "last_check_error"])
        record("domain.verified", request=request, business=domain.business,
               domain=domain.name, method=outcome.method)
        return
    domain.last_check_error = error
    domain.save(update_fields=["last_checked_at", "last_check_error"])


def check_domain(domain: Domain, *, request=None, config=None) -> Outcome | None:
    """Look for the TXT record and the file now; record the result on the domain (verified,
    or why not in plain words). None when the site cannot check at all (not set up)."""
    try:
        config = config or scan_config()
    except ScanSetupError as exc:
        logger.error("ownership check of %s: %s", domain.name, exc.detail)
        _record_check(domain, None, str(exc), request=request)
        return None
    outcome = asyncio.run(check_ownership(domain.name, domain.token, config))
    error = "\n".join(problem_text(p) for p in outcome.problems)
    _record_check(domain, outcome, error, request=request)
    return outcome


@transaction.atomic
def record_consent(domain: Domain, consent: str, *, request=None) -> None:
    """An advisor records the owner's written consent instead of a technical proof."""
    now = timezone.now()
    domain.verified_at, domain.verified_by, domain.consent_note = now, Domain.Method.CONSENT, \
        consent
    domain.last_check_error = ""
    domain.save(update_fields=["verified_at", "verified_by", "consent_note",
                               "last_check_error"])
    record("domain.consent_recorded", request=request, business=domain.business,
           domain=domain.name, consent=consent)


def start_review(business: Business, *, request):
    from ..reviews.services import start_review as start

    return start(business, user=request.user, request=request)
