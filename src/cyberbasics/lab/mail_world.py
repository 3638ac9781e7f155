"""The lab's email world: sender domains with SPF, DKIM and DMARC records, and messages
built, signed, forwarded and delivered the way real mail is, for the email checker's tests.

The recipient is the florist of the demo world (florist.example), receiving on
mx1.florist.example. Senders are genuine businesses (a supplier, a bank, a newsletter
sender), a mailing list and a forwarder that ARC-seal, an attacker who spoofs them from its
own server and registers lookalike domains with valid authentication of their own, and a few
domains whose records are broken on purpose (a broken, a revoked and a missing DKIM key, an
SPF permerror, DNS that fails).

Every message is the message AS DELIVERED: the sender's headers and body, DKIM-signed where
the story says, possibly changed and ARC-sealed on the way, then the Received line that
mx1.florist.example added and a Return-Path (the envelope sender) on top. Keys are made
once per process and never written anywhere; names are .example, addresses 127.0.0.0/8.
"""

from __future__ import annotations

import base64
import email.utils
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from .world import txt
from .zones import ZoneSpec

RECIPIENT_DOMAIN = "florist.example"
RECIPIENT_MX = "mx1.florist.example"
RECIPIENT = "Orders <orders@florist.example>"
OPTIONS = {"own_domains": (RECIPIENT_DOMAIN,), "mx_hosts": (RECIPIENT_MX,),
           "trusted_authserv_ids": (RECIPIENT_MX,)}
VERDICTS = ("authentic", "suspicious", "forged", "unknown")
CRLF = b"\r\n"

# Sending servers (HELO name, address). The attacker's server sends for every spoof.
SUPPLIER_IP, BANK_IP, NEWS_IP, NODMARC_IP = "127.0.30.1", "127.0.30.2", "127.0.30.3", "127.0.30.4"
SOFTFAIL_IP, LISTS_IP, FORWARD_IP, ESP_IP = "127.0.30.5", "127.0.30.6", "127.0.30.7", "127.0.30.8"
PERMERROR_IP, BROKENKEY_IP, STRICT_IP, TEMP_IP = ("127.0.30.9", "127.0.30.10", "127.0.30.11",
                                                 "127.0.30.12")
FREEMAIL_IP, ATTACKER_IP = "127.0.30.13", "127.0.66.6"
ATTACKER_HELO = "mail.attacker.example"

# A lookalike written with a Cyrillic "і" (U+0456) for the Latin "i" of supplier.example.
IDN_SUPPLIER = "suppl\u0456er.example".encode("idna").decode("ascii")
IDN_FLORIST = "fl\u03bfrist.example".encode("idna").decode("ascii")  # Greek omicron for "o"

# Faults the lab DNS server must inject (LabDnsServer(faults=...)) for the temperror stories.
MAIL_DNS_FAULTS = {"_dmarc.tempdmarc.example/TXT": "servfail",
                   "tempspf.example/TXT": "servfail",
                   "t1._domainkey.tempkey.example/TXT": "servfail"}

_DKIM_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to",
                 b"mime-version", b"content-type")
_ARC_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                b"content-type", b"list-id")


# Keys: one RSA key per name and size, made once per process.


@cache
def _rsa_key(name: str, bits: int = 2048):
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(name: str, bits: int = 2048) -> bytes:
    """The PEM (PKCS#8) private key dkimpy signs with."""
    from cryptography.hazmat.primitives import serialization

    return _rsa_key(name, bits).private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())


def public_b64(name: str, bits: int = 2048) -> str:
    """The base64 SubjectPublicKeyInfo a DKIM key record publishes (p=)."""
    from cryptography.hazmat.primitives import serialization

    der = _rsa_key(name, bits).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _dkim_record(key: str, bits: int = 2048) -> str:
    return f"v=DKIM1; k=rsa; p={public_b64(key, bits)}"


# Zones


@dataclass(frozen=True)
class SenderDomain:
    domain: str
    ip: str | None  # the sending server mail.<domain>, None: no server of its own
    spf: str | None
    dmarc: str | None
    dkim: dict[str, str] = field(default_factory=dict)  # selector -> record text
    story: str = ""

    def records(self) -> dict[str, list[tuple[str, str]]]:
        records: dict[str, list[tuple[str, str]]] = {
            f"ns1.{self.domain}": [("A", "127.0.0.1")],
            f"ns2.{self.domain}": [("A", "127.0.0.1")]}
        apex: list[tuple[str, str]] = []
        if self.ip:
            mail = f"mail.{self.domain}"
            apex.append(("MX", f"10 {mail}."))
            # HELO identity checks (null Return-Path) need an SPF record on the host too.
            records[mail] = [("A", self.ip), txt("v=spf1 a -all")]
        if self.spf:
            apex.append(txt(self.spf))
        records[self.domain] = apex
        if self.dmarc:
            records[f"_dmarc.{self.domain}"] = [txt(self.dmarc)]
        for selector, record in self.dkim.items():
            records[f"{selector}._domainkey.{self.domain}"] = [txt(record)]
        return records


def _attacker_domain(domain: str, story: str) -> SenderDomain:
    """A domain the attacker registered and set up properly: valid for ITSELF."""
    return SenderDomain(domain, None, f"v=spf1 ip4:{ATTACKER_IP} -all", "v=DMARC1; p=reject",
                        {"a1": _dkim_record("attacker")}, story)


@cache
def sender_domains() -> tuple[SenderDomain, ...]:
    def spf(ip: str, qualifier: str = "-") -> str:
        return f"v=spf1 ip4:{ip} {qualifier}all"

    return (
        SenderDomain("supplier.example", SUPPLIER_IP,
                     f"v=spf1 ip4:{SUPPLIER_IP} include:_spf.esp.example -all",
                     "v=DMARC1; p=reject; rua=mailto:dmarc@supplier.example",
                     {"s1": _dkim_record("supplier"), "s1024": _dkim_record("supplier", 1024),
                      "old": "v=DKIM1; k=rsa; p="},
                     "the florist's flower supplier: strict SPF, DKIM, DMARC p=reject"),
        SenderDomain("bank.example", BANK_IP, spf(BANK_IP), "v=DMARC1; p=reject",
                     {"b1": _dkim_record("bank")}, "the florist's bank: p=reject"),
        SenderDomain("newsletter-sender.example", NEWS_IP, spf(NEWS_IP),
                     "v=DMARC1; p=none; rua=mailto:dmarc@newsletter-sender.example",
                     {"n1": _dkim_record("newsletter")}, "a newsletter: monitoring-only DMARC"),
        SenderDomain("nodmarc.example", NODMARC_IP, spf(NODMARC_IP), None,
                     {"k1": _dkim_record("nodmarc")}, "SPF and DKIM, no DMARC record"),
        SenderDomain("softfail.example", SOFTFAIL_IP, spf(SOFTFAIL_IP, "~"),
                     "v=DMARC1; p=quarantine", {"q1": _dkim_record("softfail")},
                     "SPF ~all and DMARC p=quarantine"),
        SenderDomain("lists.example", LISTS_IP, spf(LISTS_IP), "v=DMARC1; p=none",
                     {"l1": _dkim_record("lists"), "arc1": _dkim_record("lists-arc")},
                     "a mailing-list server: adds [team] to subjects, a footer, seals ARC"),
        SenderDomain("forward.example", FORWARD_IP, spf(FORWARD_IP), "v=DMARC1; p=none",
                     {"arc1": _dkim_record("forward-arc")},
                     "a forwarding service: keeps the envelope sender, seals ARC"),
        SenderDomain("esp.example", ESP_IP, spf(ESP_IP), "v=DMARC1; p=none", {},
                     "an email service provider sending for others (its own bounce domain)"),
        SenderDomain("freemail.example", FREEMAIL_IP, spf(FREEMAIL_IP), "v=DMARC1; p=none",
                     {"f1": _dkim_record("freemail")}, "free webmail anyone can sign up to"),
        SenderDomain("permerror.example", PERMERROR_IP,
                     f"v=spf1 ip4:{PERMERROR_IP} frobnicate:bad -all", "v=DMARC1; p=none",
                     {"p1": _dkim_record("permerror")}, "an SPF record with an unknown "
                     "mechanism: SPF permerror"),
        SenderDomain("brokenkey.example", BROKENKEY_IP, spf(BROKENKEY_IP), "v=DMARC1; p=none",
                     {"bk": "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAn"
                            "oT-a-key!!"},
                     "a DKIM key record that was cut when pasted: not a key"),
        SenderDomain("strict.example", STRICT_IP, spf(STRICT_IP),
                     "v=DMARC1; p=reject; adkim=s; aspf=s", {"st": _dkim_record("strict")},
                     "strict DMARC alignment (adkim=s, aspf=s)"),
        SenderDomain("tempdmarc.example", TEMP_IP, spf(TEMP_IP), "v=DMARC1; p=reject",
                     {"t1": _dkim_record("tempdmarc")}, "its DMARC record lookup fails"),
        SenderDomain("tempspf.example", TEMP_IP, spf(TEMP_IP), "v=DMARC1; p=reject",
                     {"t1": _dkim_record("tempspf")}, "its SPF record lookup fails"),
        SenderDomain("tempkey.example", TEMP_IP, spf(TEMP_IP), "v=DMARC1; p=reject",
                     {"t1": _dkim_record("tempkey")}, "its DKIM key lookup fails"),
        SenderDomain("attacker.example", ATTACKER_IP, f"v=spf1 ip4:{ATTACKER_IP} -all",
                     "v=DMARC1; p=none", {"a1": _dkim_record("attacker"),
                                          "arc1": _dkim_record("attacker-arc")},
                     "the attacker's own sending domain"),
        _attacker_domain("supp1ier.example", "a lookalike of supplier.example (1 for l)"),
        _attacker_domain(IDN_SUPPLIER, "an IDN lookalike of supplier.example (Cyrillic i)"),
        _attacker_domain("flroist.example", "a typo lookalike of florist.example"),
        _attacker_domain(IDN_FLORIST, "an IDN lookalike of florist.example (Greek o)"),
        _attacker_domain("florist-secure.example", "florist.example plus a word"),
    )


def _esp_zone_records() -> dict:
    return {"_spf.esp.example": [txt(f"v=spf1 ip4:{ESP_IP} -all")]}


def mail_zone_specs(*, with_parent: bool = True) -> list[ZoneSpec]:
    """One unsigned zone per sender domain (none overlaps the demo world's zones).

    DMARC discovery walks up the tree to _dmarc.example, so a server with only these zones
    also needs an (empty) `example` zone to say NXDOMAIN instead of REFUSED; the demo world
    has its own `example` zone, so merge with ``with_parent=False`` there."""
    specs = [ZoneSpec("example", {})] if with_parent else []
    for sender in sender_domains():
        records = sender.records()
        if sender.domain == "esp.example":
            records.update(_esp_zone_records())
        specs.append(ZoneSpec(sender.domain, records))
    return specs


def lab_txt(name: bytes | str, timeout: float = 5) -> bytes | None:
    """A TXT record of the mail zones, straight from the data (dkimpy's `dnsfunc` shape),
    for checking the corpus offline; None when there is none or the lab fails it."""
    wanted = (name.decode() if isinstance(name, bytes) else name).lower().rstrip(".")
    if wanted in MAIL_DNS_FAULTS or f"{wanted}/txt" in {k.lower() for k in MAIL_DNS_FAULTS}:
        return None  # the lab server fails this lookup: no key to be had here either
    for spec in mail_zone_specs(with_parent=False):
        for owner, rrs in spec.records.items():
            if owner.lower() != wanted:
                continue
            for rdtype, text in rrs:
                if rdtype == "TXT":
                    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text)).encode()
    return None


# Building messages


@dataclass(frozen=True)
class LabMessage:
    name: str
    story: str
    data: bytes
    options: dict
    expected: str
    expected_reasons: tuple[str, ...] = ()
    absent_reasons: tuple[str, ...] = ()


def _date(minute: int) -> str:
    return f"Wed, 18 Nov 2026 09:{minute % 60:02d}:00 +0000"


def compose(sender: str, subject: str, body: str, *, to: str = RECIPIENT,
            extra: Sequence[tuple[str, str]] = (), html: bool = False, minute: int = 0,
            message_id: str | None = None) -> bytes:
    """A message as the sender's mail program writes it (CRLF, 7-bit)."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2]
    headers = [("From", sender), ("To", to), *extra, ("Subject", subject),
               ("Date", _date(minute)),
               ("Message-ID", message_id or f"<{zlib.crc32(subject.encode())}.{minute}@{domain}>"),
               ("MIME-Version", "1.0"),
               ("Content-Type", f"text/{'html' if html else 'plain'}; charset=us-ascii"),
               ("Content-Transfer-Encoding", "7bit")]
    head = CRLF.join(f"{n}: {v}".encode() for n, v in headers)
    lines = body.strip("\n").split("\n")
    return head + CRLF + CRLF + CRLF.join(line.encode() for line in lines) + CRLF


def submitted(data: bytes, host: str, minute: int = 0) -> bytes:
    """The sender's own server took it from the mail program (a Received of its own)."""
    return (f"Received: from localhost (localhost [127.0.0.1]) by {host} with ESMTPSA id "
            f"S{minute:04d}; {_date(minute)}").encode() + CRLF + data


def dkim_sign(data: bytes, domain: str, selector: str, key: str, *, bits: int = 2048,
              canonicalize: tuple[bytes, bytes] = (b"relaxed", b"relaxed"),
              length: bool = False) -> bytes:
    import dkim

    signature = dkim.sign(data, selector.encode(), domain.encode(), private_pem(key, bits),
                          canonicalize=canonicalize, include_headers=list(_DKIM_HEADERS),
                          length=length)
    return signature + data


def relayed(data: bytes, *, helo: str, ip: str, by: str, minute: int = 0) -> bytes:
    return (f"Received: from {helo} ({helo} [{ip}]) by {by} with ESMTPS id R{minute:04d}; "
            f"{_date(minute)}").encode() + CRLF + data


def arc_seal(data: bytes, domain: str, key: str, results: str, *,
             selector: str = "arc1") -> bytes:
    """The sealer records what it saw (its Authentication-Results) and seals with ARC."""
    import dkim

    with_results = f"Authentication-Results: {domain}; {results}".encode() + CRLF + data
    arc_set = dkim.arc_sign(with_results, selector.encode(), domain.encode(), private_pem(key),
                            domain.encode(), include_headers=list(_ARC_HEADERS))
    if not arc_set:
        raise ValueError("dkimpy made no ARC set (no Authentication-Results of the sealer)")
    return b"".join(arc_set) + with_results


def delivered(data: bytes, *, helo: str, ip: str, return_path: str | None,
              auth_results: str | None = None, minute: int = 0, by: str = RECIPIENT_MX) -> bytes:
    """What mx1.florist.example stores: its Received, maybe its A-R, the Return-Path."""
    top = relayed(data, helo=helo, ip=ip, by=by, minute=minute + 1)
    if auth_results is not None:
        top = f"Authentication-Results: {auth_results}".encode() + CRLF + top
    if return_path is not None:
        top = f"Return-Path: <{return_path}>".encode() + CRLF + top
    return top


def headers_only(data: bytes) -> bytes:
    return data.partition(CRLF + CRLF)[0] + CRLF


def replace_body(data: bytes, old: bytes, new: bytes) -> bytes:
    head, sep, body = data.partition(CRLF + CRLF)
    if old not in body:
        raise ValueError(f"{old!r} is not in the body")
    return head + sep + body.replace(old, new)


def replace_header(data: bytes, old: bytes, new: bytes) -> bytes:
    head, sep, body = data.partition(CRLF + CRLF)
    if old not in head:
        raise ValueError(f"{old!r} is not in the headers")
    return head.replace(old, new, 1) + sep + body


def break_arc_seal(data: bytes) -> bytes:
    """Change one character inside the newest ARC-Seal's b= value."""
    match = re.search(rb"ARC-Seal:.*?\bb=([^;]*)", data, re.DOTALL)
    if match is None:
        raise ValueError("no ARC-Seal to break")
    start = match.start(1) + len(match.group(1)) // 2
    while not data[start:start + 1].isalnum():
        start += 1
    flipped = b"A" if data[start:start + 1] != b"A" else b"B"
    return data[:start] + flipped + data[start + 1:]


# The corpus

_INVOICE = """Hello,

please find our invoice 2026-114 for the roses delivered on Monday.
Payment as usual within 14 days to the account you have on file.

Kind regards,
Marta, Supplier Example Ltd
"""
_BANK = """Dear customer,

your monthly statement is ready in online banking.

Bank Example
"""
_NEWS = """This week: spring bulbs, new pots and a workshop on dried flowers.
"""
_FOOTER = "\n--\nteam mailing list - unsubscribe: https://lists.example/team\n"
_FORWARD_NOTE = "\n[This message was forwarded by forward.example]\n"
_GOOD = "spf=pass smtp.mailfrom={env}; dkim=pass header.d={d}; dmarc=pass header.from={d}"


class _Corpus:
    """Collects LabMessages; `add` keeps each story next to its expectation."""

    def __init__(self):
        self.messages: list[LabMessage] = []

    def add(self, name: str, story: str, data: bytes, expected: str,
            reasons: Sequence[str] = (), absent: Sequence[str] = (), **options) -> None:
        if expected not in VERDICTS:
            raise ValueError(f"{name}: unknown verdict {expected!r}")
        if any(m.name == name for m in self.messages):
            raise ValueError(f"{name}: two messages with one name")
        self.messages.append(LabMessage(name, story, data, {**OPTIONS, **options}, expected,
                                        tuple(reasons), tuple(absent)))


NO_FAILURE = ("dkim_fail", "spf_fail", "dmarc_fail", "dmarc_fail_enforced")
DECEPTION = ("lookalike_domain", "display_name_address", "display_name_domain",
             "reply_to_other_domain", "link_text_mismatch")


def _supplier_signed(subject: str = "Invoice 2026-114", body: str = _INVOICE, *,
                     minute: int = 0, **kwargs) -> bytes:
    data = submitted(compose("Marta <marta@supplier.example>", subject, body, minute=minute,
                             **kwargs), "mail.supplier.example", minute)
    return dkim_sign(data, "supplier.example", "s1", "supplier")


def _from_supplier(data: bytes, minute: int = 0, **kwargs) -> bytes:
    return delivered(data, helo="mail.supplier.example", ip=SUPPLIER_IP,
                     return_path="marta@supplier.example", minute=minute, **kwargs)


def _from_attacker(data: bytes, return_path: str | None, minute: int = 0, **kwargs) -> bytes:
    return delivered(data, helo=ATTACKER_HELO, ip=ATTACKER_IP, return_path=return_path,
                     minute=minute, **kwargs)


def _via_esp(data: bytes, minute: int = 0, **kwargs) -> bytes:
    return delivered(data, helo="mail.esp.example", ip=ESP_IP,
                     return_path=f"bounce-{minute}@esp.example", minute=minute, **kwargs)


def _genuine(c: _Corpus) -> None:
    c.add("genuine-spf-and-dkim", "the supplier's invoice from its own server: SPF and DKIM "
          "pass, both aligned", _from_supplier(_supplier_signed()), "authentic",
          ["dmarc_pass", "dkim_pass", "spf_pass"], [*NO_FAILURE, *DECEPTION])
    data = dkim_sign(compose("Marta <marta@supplier.example>", "Delivery note", _INVOICE,
                             minute=2), "supplier.example", "s1", "supplier")
    c.add("genuine-dkim-only-via-esp", "sent through an email service provider: SPF passes "
          "for the provider's bounce domain (not aligned), DKIM d=supplier.example passes",
          _via_esp(data, 2), "authentic", ["dmarc_pass", "dkim_pass"],
          ["dkim_fail", "dmarc_fail", "dmarc_fail_enforced"])
    data = compose("Bank Example <service@bank.example>", "Your statement", _BANK, minute=3)
    c.add("genuine-spf-only", "the bank's unsigned statement from its own server: SPF pass "
          "aligned is enough for DMARC", delivered(data, helo="mail.bank.example", ip=BANK_IP,
                                                   return_path="service@bank.example",
                                                   minute=3),
          "authentic", ["dmarc_pass", "spf_pass"], ["spf_fail", "dmarc_fail_enforced"])
    data = dkim_sign(compose("Ola <ola@nodmarc.example>", "Order 88", "Two boxes of tulips.",
                             minute=4), "nodmarc.example", "k1", "nodmarc")
    c.add("genuine-no-dmarc-record-aligned", "a domain without DMARC: aligned SPF and DKIM "
          "pass, so authentic with the reason that no policy is published",
          delivered(data, helo="mail.nodmarc.example", ip=NODMARC_IP,
                    return_path="ola@nodmarc.example", minute=4),
          "authentic", ["dmarc_aligned_no_policy", "dkim_pass", "spf_pass"], NO_FAILURE)
    c.add("genuine-default-boundary", "the supplier's invoice checked with no --mx-host: the "
          "topmost Received is the boundary", _from_supplier(_supplier_signed(minute=5), 5),
          "authentic", ["dmarc_pass", "dkim_pass", "spf_pass"], NO_FAILURE, mx_hosts=())
    data = dkim_sign(compose("News <news@newsletter-sender.example>", "Spring news", _NEWS,
                             minute=6), "newsletter-sender.example", "n1", "newsletter")
    c.add("genuine-p-none-pass", "a newsletter under p=none that passes: DMARC pass is "
          "DMARC pass, whatever the policy", delivered(
              data, helo="mail.newsletter-sender.example", ip=NEWS_IP,
              return_path="news@newsletter-sender.example", minute=6),
          "authentic", ["dmarc_pass", "dkim_pass", "spf_pass"], NO_FAILURE)


def _spoofs(c: _Corpus) -> None:
    data = compose("Bank Example <service@bank.example>", "Urgent: confirm your login",
                   _BANK, minute=10)
    c.add("spoof-reject-domain", "an attacker writes From: service@bank.example (p=reject) on "
          "its own server; the envelope names bank.example too: SPF fail, no DKIM",
          _from_attacker(data, "service@bank.example", 10), "forged",
          ["dmarc_fail_enforced", "spf_fail"], ["dmarc_pass", "dkim_pass"])
    c.add("spoof-reject-own-envelope", "the same spoof with the attacker's own envelope: SPF "
          "passes for attacker.example, which is not aligned with bank.example",
          _from_attacker(data, "bounce@attacker.example", 11), "forged",
          ["dmarc_fail_enforced"], ["dmarc_pass"])
    data = compose("News <news@newsletter-sender.example>", "You won a prize", _NEWS, minute=12)
    c.add("spoof-p-none-domain", "a spoof of a p=none newsletter domain: DMARC fails but the "
          "owner asked for no enforcement, so not proof: unknown",
          _from_attacker(data, "news@newsletter-sender.example", 12), "unknown",
          ["dmarc_fail", "spf_fail"], ["dmarc_pass", "dmarc_fail_enforced"])
    data = compose("Shop <shop@softfail.example>", "Order cancelled", "See attached.", minute=13)
    c.add("spoof-quarantine-softfail", "a spoof of a p=quarantine domain whose SPF ends in "
          "~all: SPF softfail, DMARC fail, quarantine is enforcement",
          _from_attacker(data, "shop@softfail.example", 13), "forged",
          ["dmarc_fail_enforced", "spf_softfail"], ["dmarc_pass"])
    data = compose("Ola <ola@nodmarc.example>", "New bank details", "Please pay to the new "
                   "account.", minute=14)
    c.add("spoof-no-dmarc-spf-hardfail", "a spoof of a domain without DMARC from a server its "
          "SPF (-all) does not list: no policy to call it forged, the hard fail is suspicious",
          _from_attacker(data, "ola@nodmarc.example", 14), "suspicious",
          ["spf_fail"], ["dmarc_pass", "dmarc_aligned_no_policy"])
    data = compose("Bank Example <service@bank.example>", "Security alert", _BANK, minute=15)
    c.add("forged-auth-results-below-boundary", "the spoof carries its own "
          "Authentication-Results claiming dmarc=pass, written below the florist's Received: "
          "ignored", _from_attacker(
              f"Authentication-Results: {RECIPIENT_MX}; spf=pass smtp.mailfrom=bank.example; "
              f"dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example"
              .encode() + CRLF + data, "service@bank.example", 15),
          "forged", ["auth_ignored_below_boundary", "dmarc_fail_enforced"], ["dmarc_pass"])
    c.add("auth-results-untrusted-id", "an Authentication-Results above the boundary from an "
          "authserv-id the florist did not name: ignored; our own check finds the spoof",
          _from_attacker(data, "service@bank.example", 16, auth_results=(
              "mx-old.florist.example; dmarc=pass header.from=bank.example")),
          "forged", ["auth_ignored_untrusted_id", "dmarc_fail_enforced"], ["dmarc_pass"])


def _lookalikes(c: _Corpus) -> None:
    thread = [("In-Reply-To", "<order-77.1@supplier.example>"),
              ("References", "<order-77.1@supplier.example>")]
    for minute, (name, domain, story) in enumerate((
            ("lookalike-digit-supp1ier", "supp1ier.example", "supp1ier.example (digit 1 for "
             "l), replying in a thread with the real supplier"),
            ("lookalike-idn-supplier", IDN_SUPPLIER, f"{IDN_SUPPLIER} (a Cyrillic i), in a "
             "thread with the real supplier"),
    ), start=20):
        data = dkim_sign(compose(f"Marta <marta@{domain}>", "Re: Order 77 - new bank details",
                                 "Our bank changed, please use the new account.", extra=thread,
                                 minute=minute), domain, "a1", "attacker")
        c.add(name, f"{story}: valid SPF, DKIM and DMARC for the lookalike itself, still a "
              "lookalike of a contact", _from_attacker(data, f"marta@{domain}", minute),
              "suspicious", ["lookalike_domain", "dmarc_pass"], [])
    for minute, (name, domain, story) in enumerate((
            ("lookalike-own-typo", "flroist.example", "flroist.example (two letters swapped)"),
            ("lookalike-own-idn", IDN_FLORIST, f"{IDN_FLORIST} (a Greek omicron)"),
            ("lookalike-own-added-word", "florist-secure.example", "florist-secure.example"),
    ), start=22):
        data = dkim_sign(compose(f"IT desk <it@{domain}>", "Password expires today",
                                 "Keep your password: log in within 24 hours.", minute=minute),
                         domain, "a1", "attacker")
        c.add(name, f"{story} looks like the florist's own domain; authentic for itself",
              _from_attacker(data, f"it@{domain}", minute), "suspicious",
              ["lookalike_domain"], [])


def _deception(c: _Corpus) -> None:
    data = dkim_sign(compose('"accounts@supplier.example" <marta.k1@freemail.example>',
                             "Invoice overdue", _INVOICE, minute=30),
                     "freemail.example", "f1", "freemail")
    c.add("display-name-address", "free webmail (authentic for freemail.example) whose display "
          "name is the supplier's address", delivered(
              data, helo="mail.freemail.example", ip=FREEMAIL_IP,
              return_path="marta.k1@freemail.example", minute=30),
          "suspicious", ["display_name_address"], [])
    data = dkim_sign(compose('"florist.example IT" <helpdesk77@freemail.example>',
                             "Mailbox full", "Click to keep your mail.", minute=31),
                     "freemail.example", "f1", "freemail")
    c.add("display-name-domain", "a display name naming the florist's own domain on a webmail "
          "address", delivered(data, helo="mail.freemail.example", ip=FREEMAIL_IP,
                               return_path="helpdesk77@freemail.example", minute=31),
          "suspicious", ["display_name_domain"], [])
    c.add("reply-to-other-domain", "the supplier's genuine, signed mail (a hacked mailbox) with "
          "Reply-To at free webmail", _from_supplier(_supplier_signed(
              "Change of bank details", minute=32,
              extra=[("Reply-To", "marta.payments@freemail.example")]), 32),
          "suspicious", ["reply_to_other_domain", "dmarc_pass"], [])
    body = ('<p>Your invoice is ready: <a href="https://invoice-view.example/d/7">'
            'https://supplier.example/invoices/114</a></p>')
    c.add("link-text-mismatch", "the supplier's genuine mail whose link text shows "
          "supplier.example but goes elsewhere", _from_supplier(_supplier_signed(
              "Invoice ready", body, minute=33, html=True), 33),
          "suspicious", ["link_text_mismatch", "dmarc_pass"], [])


def _tampered(c: _Corpus) -> None:
    signed = _supplier_signed(minute=40)
    changed = replace_body(signed, b"to the account you have on file",
                           b"to our NEW account PL61 1090 1014")
    c.add("body-tampered-after-signing", "a captured invoice with the payment text changed, "
          "replayed from the attacker's server: body hash fails",
          _from_attacker(changed, "marta@supplier.example", 40), "forged",
          ["dkim_fail", "dmarc_fail_enforced"], ["dkim_pass", "dmarc_pass"])
    changed = replace_header(signed, b"Subject: Invoice 2026-114",
                             b"Subject: Invoice 2026-114 - URGENT, pay today")
    c.add("subject-tampered-after-signing", "the signed Subject was changed: signature fails",
          _from_attacker(changed, "marta@supplier.example", 41), "forged",
          ["dkim_fail", "dmarc_fail_enforced"], ["dkim_pass", "dmarc_pass"])
    data = dkim_sign(compose("Shop <shop@softfail.example>", "Your order", "Thanks!",
                             minute=42), "softfail.example", "q1", "softfail")
    changed = replace_header(data, b"Subject: Your order", b"Subject: Your order - refund")
    c.add("quarantine-subject-tampered", "p=quarantine domain, Subject changed after signing, "
          "sent from a server SPF ~all does not list", _from_attacker(
              changed, "shop@softfail.example", 42), "forged",
          ["dkim_fail", "spf_softfail", "dmarc_fail_enforced"], ["dmarc_pass"])


def _keys(c: _Corpus) -> None:
    data = submitted(compose("Marta <marta@supplier.example>", "Invoice 2026-120", _INVOICE,
                             minute=50), "mail.supplier.example", 50)
    wrong = dkim_sign(data, "supplier.example", "s1", "thief")
    c.add("dkim-wrong-key", "signed as supplier.example s1 with a key that is not the "
          "published one, from the attacker's server", _from_attacker(
              wrong, "marta@supplier.example", 50), "forged",
          ["dkim_fail", "dmarc_fail_enforced"], ["dkim_pass", "dmarc_pass"])
    revoked = dkim_sign(data, "supplier.example", "old", "supplier-old")
    c.add("dkim-revoked-key", "signed with the supplier's old key, revoked (p= empty) after it "
          "leaked, sent by the thief", _from_attacker(revoked, "marta@supplier.example", 51),
          "forged", ["dkim_fail", "dmarc_fail_enforced"], ["dkim_pass", "dmarc_pass"])
    missing = dkim_sign(data, "supplier.example", "gone", "supplier")
    c.add("dkim-missing-key-record", "a selector with no key record, but sent from the "
          "supplier's own server: aligned SPF pass carries DMARC", _from_supplier(missing, 52),
          "authentic", ["dkim_key_missing", "spf_pass", "dmarc_pass"], ["dmarc_fail_enforced"])
    weak = dkim_sign(data, "supplier.example", "s1024", "supplier", bits=1024)
    c.add("dkim-1024-bit-key", "signed with a 1024-bit key (still accepted) through the ESP",
          _via_esp(weak, 53), "authentic", ["dkim_pass", "dmarc_pass"], ["dkim_fail"])
    data = dkim_sign(compose("Info <info@brokenkey.example>", "Opening hours", "Open 8-16.",
                             minute=54), "brokenkey.example", "bk", "brokenkey")
    c.add("dkim-broken-key-record", "the key record is cut short (not a key) and the mail goes "
          "through the ESP: nothing aligned passes, p=none", _via_esp(data, 54), "unknown",
          ["dkim_fail", "dmarc_fail"], ["dkim_pass", "dmarc_pass"])


def _canonicalisation(c: _Corpus) -> None:
    data = submitted(compose("Marta <marta@supplier.example>", "Weekly price list", _INVOICE,
                             minute=56), "mail.supplier.example", 56)
    signed = dkim_sign(data, "supplier.example", "s1", "supplier", length=True)
    c.add("dkim-body-length-intact", "a signature with l= (body length) and the body as "
          "signed", _via_esp(signed, 56), "authentic", ["dkim_pass", "dmarc_pass"], [])
    html = compose("Marta <marta@supplier.example>", "Pay here", "<p>Invoice 2026-130.</p>",
                   html=True, minute=57)
    signed = dkim_sign(html, "supplier.example", "s1", "supplier", length=True)
    appended = signed + (b'<p><a href="https://pay-now.example/x">https://supplier.example/pay'
                         b'</a></p>' + CRLF)
    c.add("dkim-body-length-appended-link", "l= covers only the signed part; the attacker "
          "appended a link whose text shows supplier.example: DKIM still passes, the link is "
          "the tell (ideally the checker also flags text beyond l=)",
          _from_attacker(appended, "bounce@attacker.example", 57), "suspicious",
          ["link_text_mismatch"], [])
    relaxed = dkim_sign(compose("News <news@newsletter-sender.example>", "Autumn news", _NEWS,
                                minute=58), "newsletter-sender.example", "n1", "newsletter")
    refolded = replace_header(relaxed, b"Subject: Autumn news", b"Subject:   Autumn\r\n\t news")
    c.add("dkim-relaxed-survives-refolding", "relaxed/relaxed: a relay refolded the Subject; "
          "the signature still verifies", _via_esp(refolded, 58), "authentic",
          ["dkim_pass", "dmarc_pass"], ["dkim_fail"])
    simple = dkim_sign(compose("News <news@newsletter-sender.example>", "Winter news", _NEWS,
                               minute=59), "newsletter-sender.example", "n1", "newsletter",
                       canonicalize=(b"simple", b"simple"))
    c.add("dkim-simple-intact", "simple/simple, delivered unchanged", _via_esp(simple, 59),
          "authentic", ["dkim_pass", "dmarc_pass"], ["dkim_fail"])
    refolded = replace_header(simple, b"Subject: Winter news", b"Subject:   Winter\r\n\t news")
    c.add("dkim-simple-broken-by-refolding", "simple/simple and a relay refolded the Subject: "
          "the signature fails; p=none, so unknown", _via_esp(refolded, 60), "unknown",
          ["dkim_fail", "dmarc_fail"], ["dkim_pass", "dmarc_pass"])


def _alignment(c: _Corpus) -> None:
    data = dkim_sign(compose("Billing <billing@accounts.supplier.example>", "Statement",
                             _INVOICE, minute=1), "supplier.example", "s1", "supplier")
    c.add("subdomain-relaxed-alignment", "From a subdomain (accounts.supplier.example) with "
          "DKIM d=supplier.example: relaxed alignment passes, the policy comes from the "
          "organisational domain", _via_esp(data, 61), "authentic",
          ["dkim_pass", "dmarc_pass"], ["dmarc_fail", "dmarc_fail_enforced"])
    data = dkim_sign(compose("Shop <shop@shop.strict.example>", "Order shipped", "On its way.",
                             minute=2), "strict.example", "st", "strict")
    c.add("subdomain-strict-alignment", "From shop.strict.example, DKIM d=strict.example and "
          "envelope at strict.example, but adkim=s and aspf=s demand the exact domain; "
          "p=reject", delivered(data, helo="mail.strict.example", ip=STRICT_IP,
                                return_path="bounce@strict.example", minute=62),
          "forged", ["dkim_pass", "spf_pass", "dmarc_fail_enforced"], ["dmarc_pass"])


def _forwarded_and_lists(c: _Corpus) -> None:
    def at_forwarder(data: bytes, minute: int) -> bytes:
        return relayed(data, helo="mail.supplier.example", ip=SUPPLIER_IP,
                       by="mail.forward.example", minute=minute)

    def from_forwarder(data: bytes, minute: int) -> bytes:
        return delivered(data, helo="mail.forward.example", ip=FORWARD_IP,
                         return_path="marta@supplier.example", minute=minute)

    seen = _GOOD.format(env="supplier.example", d="supplier.example")
    signed = at_forwarder(_supplier_signed("Invoice 2026-140", minute=3), 3)
    c.add("forwarded-no-arc-dkim-intact", "forwarded unchanged by a forwarder that keeps the "
          "envelope: SPF fails at the florist, the supplier's DKIM still passes",
          from_forwarder(signed, 63), "authentic", ["dkim_pass", "spf_fail", "dmarc_pass"], [])
    footer = replace_body(signed, b"Kind regards,", _FORWARD_NOTE.encode().replace(
        b"\n", CRLF) + b"Kind regards,")
    c.add("forwarded-no-arc-body-changed", "forwarded with a note added to the body and no "
          "ARC: SPF fails, DKIM fails, p=reject: forged (a real receiver rejects it too)",
          from_forwarder(footer, 64), "forged", ["dkim_fail", "spf_fail",
                                                 "dmarc_fail_enforced"], ["dmarc_pass"])
    sealed = arc_seal(signed, "forward.example", "forward-arc", seen)
    c.add("forwarded-arc-dkim-intact", "forwarded unchanged and ARC-sealed: DKIM passes anyway",
          from_forwarder(sealed, 65), "authentic", ["dkim_pass", "dmarc_pass", "arc_valid"],
          ["arc_invalid"])
    sealed = arc_seal(footer, "forward.example", "forward-arc", seen)
    c.add("forwarded-arc-body-changed", "forwarded with a note (DKIM broken) and a valid ARC "
          "chain from forward.example that recorded the original pass: never forged",
          from_forwarder(sealed, 66), "unknown", ["arc_valid", "arc_forwarded", "dkim_fail"],
          ["arc_invalid", "dmarc_pass"], trusted_arc_sealers=("forward.example",))
    c.add("forwarded-arc-untrusted-sealer", "the same forward, but the florist has not said it "
          "trusts forward.example: an intact chain from anyone proves nothing, so suspicious "
          "(never forged)", from_forwarder(sealed, 75), "suspicious",
          ["arc_valid", "arc_untrusted_sealer"], ["arc_forwarded", "dmarc_pass"])
    c.add("forwarded-arc-broken-seal", "the same, but the ARC-Seal was altered: a failed chain "
          "counts as none, so DMARC fail under p=reject is forged",
          from_forwarder(break_arc_seal(sealed), 67), "forged",
          ["arc_invalid", "dmarc_fail_enforced"], ["arc_valid", "arc_forwarded"],
          trusted_arc_sealers=("forward.example",))
    spoof = compose("Bank Example <service@bank.example>", "Card blocked", _BANK, minute=16)
    self_sealed = arc_seal(spoof, "attacker.example", "attacker-arc",
                           _GOOD.format(env="bank.example", d="bank.example"))
    c.add("spoof-self-sealed-arc", "a spoof of bank.example (p=reject) that the attacker sealed "
          "with an ARC chain of its own, claiming it passed: the chain is intact but vouches "
          "for nothing", _from_attacker(self_sealed, "bounce@attacker.example", 76),
          "suspicious", ["arc_valid", "arc_untrusted_sealer", "dmarc_fail_enforced"],
          ["arc_forwarded", "dmarc_pass"])
    _mailing_list(c, seen)


def _mailing_list(c: _Corpus, seen: str) -> None:
    original = relayed(_supplier_signed("Price list for members", minute=8),
                       helo="mail.supplier.example", ip=SUPPLIER_IP, by="mail.lists.example",
                       minute=8)
    changed = replace_header(original, b"Subject: Price list",
                             b"List-Id: Team <team.lists.example>\r\nSubject: [team] Price list")
    changed = changed.rstrip(CRLF) + CRLF + _FOOTER.encode().replace(b"\n", CRLF)
    changed = dkim_sign(changed, "lists.example", "l1", "lists")
    sealed = arc_seal(changed, "lists.example", "lists-arc", seen)

    def from_list(data: bytes, minute: int) -> bytes:
        return delivered(data, helo="mail.lists.example", ip=LISTS_IP,
                         return_path="team-bounces@lists.example", minute=minute)

    c.add("mailing-list-arc", "a list added [team] and a footer (the supplier's DKIM breaks), "
          "signed as lists.example and sealed ARC: DMARC fails for supplier.example (p=reject) "
          "but the valid chain from a list the florist trusts keeps it out of forged",
          from_list(sealed, 68), "unknown", ["arc_valid", "arc_forwarded", "dkim_fail"],
          ["arc_invalid", "dmarc_pass"], trusted_arc_sealers=("lists.example",))
    c.add("mailing-list-no-arc", "the same list message without the ARC headers (an older "
          "list server): nothing aligned passes and p=reject: forged",
          from_list(changed, 69), "forged", ["dkim_fail", "dmarc_fail_enforced"],
          ["dmarc_pass", "arc_valid"])


def _envelope_and_trust(c: _Corpus) -> None:
    genuine = _supplier_signed("Delivery confirmation", minute=10)
    c.add("trusted-auth-results", "the florist's own server wrote Authentication-Results "
          "(trusted id, above the boundary) agreeing with our checks",
          _from_supplier(genuine, 70, auth_results=f"{RECIPIENT_MX}; " + _GOOD.format(
              env="supplier.example", d="supplier.example")),
          "authentic", ["dmarc_pass"], ["auth_ignored_untrusted_id",
                                        "auth_ignored_below_boundary"])
    data = dkim_sign(compose("Marta <marta@supplier.example>", "Order 91", _INVOICE,
                             minute=11), "supplier.example", "s1", "supplier")
    c.add("headers-only-trusted-auth-results", "headers only (DKIM cannot be checked), sent "
          "through the ESP, with the florist's trusted Authentication-Results saying dmarc=pass",
          headers_only(_via_esp(data, 71, auth_results=f"{RECIPIENT_MX}; " + _GOOD.format(
              env="esp.example", d="supplier.example"))),
          "authentic", ["dmarc_pass"], ["dkim_pass", "dkim_fail"])
    c.add("headers-only-spf-aligned", "headers only, from the supplier's own server: aligned "
          "SPF pass is DMARC pass without the body", headers_only(_from_supplier(genuine, 72)),
          "authentic", ["spf_pass", "dmarc_pass"], ["dkim_pass", "dkim_fail"])
    spoof = compose("Bank Example <service@bank.example>", "Card blocked", _BANK, minute=13)
    c.add("headers-only-spoof-unsigned", "headers only of an unsigned spoof of bank.example: "
          "no DKIM-Signature exists and SPF fails, so DMARC fails whatever the body",
          headers_only(_from_attacker(spoof, "service@bank.example", 73)), "forged",
          ["spf_fail", "dmarc_fail_enforced"], ["dmarc_pass"])
    c.add("headers-only-signed-forwarded", "headers only of a signed message that came through "
          "the forwarder: SPF fails, DKIM cannot be checked without the body, so DMARC cannot "
          "fail for certain: unknown (not forged on what we cannot see)",
          headers_only(delivered(relayed(genuine, helo="mail.supplier.example",
                                         ip=SUPPLIER_IP, by="mail.forward.example", minute=14),
                                 helo="mail.forward.example", ip=FORWARD_IP,
                                 return_path="marta@supplier.example", minute=74)),
          "unknown", ["spf_fail"], ["dmarc_pass", "dkim_pass", "dkim_fail"])
    bounce = submitted(compose("Mail Delivery System <mailer-daemon@mail.supplier.example>",
                               "Undelivered Mail Returned to Sender",
                               "Your message could not be delivered.", minute=15),
                       "mail.supplier.example", 15)
    c.add("null-return-path-helo", "a bounce with Return-Path <>: SPF checks the HELO "
          "(postmaster@mail.supplier.example), which passes and aligns with the From domain",
          delivered(bounce, helo="mail.supplier.example", ip=SUPPLIER_IP, return_path="",
                    minute=75), "authentic", ["spf_pass", "dmarc_pass"], ["spf_no_envelope"])
    unsigned = submitted(compose("Marta <marta@supplier.example>", "Call me", "About Friday.",
                                 minute=16), "mail.supplier.example", 16)
    c.add("no-return-path-unsigned", "no Return-Path (exported from a mail program): SPF "
          "cannot be checked and there is no signature: unknown, never forged on that",
          delivered(unsigned, helo="mail.supplier.example", ip=SUPPLIER_IP, return_path=None,
                    minute=76), "unknown", ["spf_no_envelope"],
          ["dmarc_pass", "spf_pass", "spf_fail"])
    c.add("no-return-path-signed", "no Return-Path but an aligned DKIM pass: authentic",
          delivered(genuine, helo="mail.supplier.example", ip=SUPPLIER_IP, return_path=None,
                    minute=77), "authentic", ["spf_no_envelope", "dkim_pass", "dmarc_pass"], [])


def _broken_dns(c: _Corpus) -> None:
    data = dkim_sign(compose("Info <info@permerror.example>", "Catalogue", "New catalogue.",
                             minute=20), "permerror.example", "p1", "permerror")
    c.add("spf-permerror-dkim-pass", "the sender's SPF record is broken (permerror) but its "
          "DKIM passes aligned", delivered(data, helo="mail.permerror.example",
                                           ip=PERMERROR_IP, return_path="info@permerror.example",
                                           minute=80),
          "authentic", ["dkim_pass", "dmarc_pass"], ["spf_pass"])
    data = compose("Info <info@permerror.example>", "Price change", "Prices go up.", minute=21)
    c.add("spf-permerror-unsigned", "SPF permerror and no signature, p=none: unknown",
          delivered(data, helo="mail.permerror.example", ip=PERMERROR_IP,
                    return_path="info@permerror.example", minute=81),
          "unknown", ["dmarc_fail"], ["spf_pass", "dmarc_pass"])
    data = compose("Info <info@tempdmarc.example>", "Pay now", "Pay the invoice now.",
                   minute=22)
    c.add("dns-temperror-dmarc-spoof", "an unsigned message from the attacker's server while "
          "the DMARC record lookup fails (SERVFAIL): SPF fails, but the policy is unknown, so "
          "not forged on it", _from_attacker(data, "info@tempdmarc.example", 82), "unknown",
          ["dns_temperror", "spf_fail"], ["dmarc_pass", "dmarc_fail_enforced"])
    data = compose("Info <info@tempspf.example>", "Pay now", "Pay the invoice now.", minute=23)
    c.add("dns-temperror-spf-spoof", "an unsigned message from the attacker's server while "
          "the SPF lookup fails (SERVFAIL): p=reject, but SPF could not be evaluated: unknown, "
          "not forged", _from_attacker(data, "info@tempspf.example", 83), "unknown",
          ["dns_temperror"], ["dmarc_pass", "dmarc_fail_enforced"])
    data = dkim_sign(compose("Info <info@tempkey.example>", "Newsletter", _NEWS, minute=24),
                     "tempkey.example", "t1", "tempkey")
    c.add("dns-temperror-dkim-key", "signed by tempkey.example (p=reject) and sent through "
          "the ESP, but the key lookup fails (SERVFAIL): the only aligned proof cannot be "
          "checked, so neither authentic nor forged", _via_esp(data, 84), "unknown",
          ["dns_temperror"], ["dmarc_pass", "dmarc_fail_enforced", "dkim_pass"])


@cache
def _corpus() -> tuple[LabMessage, ...]:
    corpus = _Corpus()
    for part in (_genuine, _spoofs, _lookalikes, _deception, _tampered, _keys,
                 _canonicalisation, _alignment, _forwarded_and_lists, _envelope_and_trust,
                 _broken_dns):
        part(corpus)
    return tuple(corpus.messages)


def build_corpus() -> list[LabMessage]:
    """Every lab message with its expected verdict (built once per process)."""
    return list(_corpus())


# Serving the mail zones from a thread, for synchronous callers (Hypothesis tests, demos).


@contextmanager
def mail_dns_in_thread(delay: float = 0.0) -> Iterator[tuple[str, int]]:
    """Start the lab DNS server with the mail zones (and faults) on its own event loop in a
    thread; yield its (host, port). `delay` (seconds) is added to every answer."""
    import asyncio

    from .dns_server import LabDnsServer
    from .zones import LabZoneSet

    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict = {}

    async def start() -> None:
        holder["server"] = await LabDnsServer(LabZoneSet(mail_zone_specs()), delay=delay,
                                              faults=MAIL_DNS_FAULTS).start()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # reported to the caller below
            holder["error"] = exc
        started.set()
        if "server" in holder:
            loop.run_forever()

    thread = threading.Thread(target=run, name="lab-mail-dns", daemon=True)
    thread.start()
    started.wait(30)
    if "server" not in holder:
        raise RuntimeError(f"the lab mail DNS server did not start: {holder.get('error')}")
    try:
        yield holder["server"].address
    finally:
        asyncio.run_coroutine_threadsafe(holder["server"].stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def write_corpus(directory) -> list[str]:
    """Each message as <name>.eml plus expected.json (verdicts, reasons, options, stories)."""
    import json
    from pathlib import Path

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for message in build_corpus():
        (folder / f"{message.name}.eml").write_bytes(message.data)
        manifest.append({"file": f"{message.name}.eml", "story": message.story,
                         "verdict": message.expected,
                         "reasons": list(message.expected_reasons),
                         "absent_reasons": list(message.absent_reasons),
                         "options": {k: list(v) for k, v in message.options.items()}})
    (folder / "expected.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                          encoding="utf-8")
    return [m["file"] for m in manifest]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m cyberbasics.lab.mail_world DIR`: write the corpus to DIR and serve the
    mail zones on loopback until interrupted, printing a command to try."""
    import sys
    import time

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m cyberbasics.lab.mail_world DIRECTORY", file=sys.stderr)
        return 2
    files = write_corpus(args[0])
    with mail_dns_in_thread() as (host, port):
        print(f"{len(files)} messages in {args[0]} (expected verdicts in expected.json); "
              f"lab DNS on {host}:{port}. Try:\n"
              f"  cyberbasics email check {args[0]}/{files[0]} --nameserver {host}:{port} "
              f"--own-domain {RECIPIENT_DOMAIN} --mx-host {RECIPIENT_MX} "
              f"--trusted-authserv-id {RECIPIENT_MX}\nCtrl-C stops.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
