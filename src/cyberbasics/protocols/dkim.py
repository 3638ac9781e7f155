"""DKIM key records (RFC 6376 §3.6.1, Ed25519 keys per RFC 8463) and common selectors.

A key record is a tag-list (RFC 6376 §3.2): tag names are case-sensitive, a
repeated tag makes the whole record invalid, unknown tags are ignored.

* ``v=`` is optional; if present it must be the first tag and be ``DKIM1``.
* ``k=`` key type, default ``rsa``; ``ed25519`` per RFC 8463.
* ``p=`` base64 public key, required; empty means the key was revoked.
  Whitespace inside the value is allowed and ignored.  RSA keys are a DER
  SubjectPublicKeyInfo; a bare PKCS#1 RSAPublicKey is also accepted, as some
  providers publish one.  Ed25519 keys are the raw 32 bytes.
* ``h=`` acceptable hash algorithms, ``s=`` service types (default ``*``),
  ``t=`` flags (``y`` testing, ``s`` no subdomains in i=), ``n=`` notes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from cyberbasics.protocols.tagvalue import TagListError, split_tag_list

__all__ = ["COMMON_SELECTORS", "DkimKey", "DkimKeyError", "parse_key_record"]

# Selectors worth trying when a domain's selectors are unknown, one or two per
# provider small businesses commonly use.  Kept short: each costs a DNS query.
COMMON_SELECTORS: tuple[str, ...] = (
    "selector1",  # Microsoft 365 / Exchange Online
    "selector2",  # Microsoft 365 / Exchange Online (rotation key)
    "google",  # Google Workspace
    "k1",  # Mailchimp / Mandrill
    "k2",  # Mailchimp (CNAME-delegated keys)
    "k3",  # Mailchimp (CNAME-delegated keys)
    "mandrill",  # Mailchimp Transactional (Mandrill)
    "s1",  # SendGrid (Twilio)
    "s2",  # SendGrid (Twilio)
    "default",  # cPanel and many shared web hosts
    "dkim",  # generic default (Plesk, many hosts)
    "mail",  # generic default
    "smtp",  # Mailgun (older default) and generic
    "mxvault",  # MXVault hosted email
    "zoho",  # Zoho Mail
    "zmail",  # Zoho Mail (newer default)
    "everlytickey1",  # Everlytic
    "everlytickey2",  # Everlytic
    "fm1",  # Fastmail
    "protonmail",  # Proton Mail
    "sig1",  # iCloud+ custom email domains
    "ctct1",  # Constant Contact
    "kl",  # Klaviyo
    "mailjet",  # Mailjet
    "cm",  # Campaign Monitor
    "zendesk1",  # Zendesk
)

# RFC 4648 alphabet with padding; checked before decoding so odd input never reaches binascii.
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_WHITESPACE = re.compile(r"[ \t\r\n]+")
_RSA_OID_DER = bytes.fromhex("300d06092a864886f70d0101010500")  # AlgorithmIdentifier rsaEncryption


class DkimKeyError(ValueError):
    """The text is not a readable DKIM key record; the message names the tag at fault."""


@dataclass(frozen=True)
class DkimKey:
    raw: str
    key_type: str = "rsa"  # k=, as published (compared case-insensitively)
    public_key: str = ""  # p= without whitespace; "" when revoked
    version: str | None = None  # "DKIM1" when v= is present
    hash_algorithms: tuple[str, ...] | None = None  # h=; None means all
    service_types: tuple[str, ...] = ("*",)  # s=
    flags: tuple[str, ...] = ()  # t=
    notes: str | None = None  # n=
    key_bits: int | None = None
    key_format: str | None = None  # "spki" | "pkcs1" | "raw" (Ed25519)
    problems: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def revoked(self) -> bool:
        return self.public_key == ""

    @property
    def testing(self) -> bool:
        """t=y: the domain is testing DKIM; verifiers must not treat failures differently."""
        return "y" in self.flags

    @property
    def strict_subdomains(self) -> bool:
        """t=s: the i= domain of signatures must equal d=, not a subdomain."""
        return "s" in self.flags

    @property
    def usable_for_email(self) -> bool:
        return "*" in self.service_types or "email" in self.service_types

    @property
    def strength(self) -> str:
        """ "revoked" | "invalid" | "weak" (RSA < 1024) | "acceptable" (1024-2047) | "strong"."""
        if self.revoked:
            return "revoked"
        if self.key_bits is None:
            return "invalid"
        if self.key_type.lower() == "ed25519":
            return "strong"
        if self.key_bits < 1024:
            return "weak"
        if self.key_bits < 2048:
            return "acceptable"
        return "strong"

    def to_json(self) -> dict:
        return {
            "raw": self.raw,
            "version": self.version,
            "key_type": self.key_type,
            "public_key": self.public_key,
            "hash_algorithms": None if self.hash_algorithms is None else list(self.hash_algorithms),
            "service_types": list(self.service_types),
            "flags": list(self.flags),
            "notes": self.notes,
            "key_bits": self.key_bits,
            "key_format": self.key_format,
            "revoked": self.revoked,
            "testing": self.testing,
            "strength": self.strength,
            "problems": list(self.problems),
        }


def _colon_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip(" \t\r\n") for item in value.split(":") if item.strip(" \t\r\n"))


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _spki_from_pkcs1(der: bytes) -> bytes:
    """Wrap a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo so cryptography can load it."""
    bit_string = b"\x03" + _der_length(len(der) + 1) + b"\x00" + der
    body = _RSA_OID_DER + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_shape(der: bytes) -> str:
    """ "pkcs1" when the outer SEQUENCE starts with an INTEGER (RSAPublicKey), else "spki"."""
    if len(der) < 3 or der[0] != 0x30:
        return "spki"
    header = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    return "pkcs1" if len(der) > header and der[header] == 0x02 else "spki"


def _load_rsa(der: bytes) -> tuple[int | None, str | None, str | None]:
    """(bits, format, problem) for an RSA key in DER."""
    key_format = _der_shape(der)
    candidates = [der, _spki_from_pkcs1(der)] if key_format == "pkcs1" else [der]
    for candidate in candidates:
        try:
            key = serialization.load_der_public_key(candidate)
        except Exception:  # cryptography raises ValueError and others on odd DER
            continue
        if not isinstance(key, rsa.RSAPublicKey):
            return None, None, "p= holds a public key that is not RSA although k=rsa"
        return key.key_size, key_format, None
    return None, None, "p= is not an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1)"


def _load_ed25519(der: bytes) -> tuple[int | None, str | None, str | None]:
    if len(der) == 32:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(der)
        except Exception:
            return None, None, "p= is not a valid Ed25519 public key"
        return 256, "raw", None
    try:
        key = serialization.load_der_public_key(der)
    except Exception:
        key = None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None, None, ("p= holds an Ed25519 key wrapped in SubjectPublicKeyInfo; RFC 8463 "
                            "requires the raw 32-byte key, so verifiers will fail")
    return None, None, f"p= is {len(der)} bytes; an Ed25519 key is exactly 32 bytes"


def parse_key_record(text: str) -> DkimKey:
    """Parse a DKIM key TXT record (``<selector>._domainkey.<domain>``).

    Raises :class:`DkimKeyError` for a bad tag-list, a wrong or misplaced
    ``v=``, or a missing ``p=``.  A key that cannot be loaded does not raise:
    it comes back with ``strength == "invalid"`` and a problem saying why.
    """
    if not isinstance(text, str):
        raise DkimKeyError("a DKIM key record must be text")
    try:
        tag_list = split_tag_list(text)
    except TagListError as exc:
        raise DkimKeyError(f"DKIM key record: {exc}") from None
    names = tag_list.names()
    if "v" in tag_list:
        if names[0] != "v":
            raise DkimKeyError("v= must be the first tag of a DKIM key record")
        if tag_list.get("v") != "DKIM1":
            raise DkimKeyError(f"v={(tag_list.get('v') or '')[:20]!r} is not DKIM1")
    p = tag_list.get("p")
    if p is None:
        raise DkimKeyError("the p= tag (the public key) is missing")

    problems: list[str] = []
    key_type = tag_list.get("k") or "rsa"
    if tag_list.get("k") == "":
        problems.append("k= is empty; the default rsa was assumed")
    hash_algorithms = None
    if "h" in tag_list:
        hash_algorithms = _colon_list(tag_list.get("h") or "")
        known = [alg for alg in hash_algorithms if alg in ("sha1", "sha256")]
        if not known:
            problems.append(f"h={tag_list.get('h')!r} names no known hash algorithm")
        elif "sha256" not in known:
            problems.append("h= allows only sha1, which RFC 8301 forbids for signing")
    service_types = _colon_list(tag_list.get("s") or "*") if "s" in tag_list else ("*",)
    if "*" not in service_types and "email" not in service_types:
        problems.append(f"s={tag_list.get('s')!r} does not include email, so mail verifiers "
                        "must not use this key")
    flags = _colon_list(tag_list.get("t") or "")

    public_key = _WHITESPACE.sub("", p)
    key_bits = key_format = None
    if public_key:
        if not _BASE64.fullmatch(public_key) or len(public_key) % 4:
            problems.append("p= is not valid base64")
        else:
            try:
                der = base64.b64decode(public_key, validate=True)
            except (binascii.Error, ValueError):
                der = None
                problems.append("p= is not valid base64")
            if der is not None:
                kind = key_type.lower()
                if kind == "rsa":
                    key_bits, key_format, problem = _load_rsa(der)
                elif kind == "ed25519":
                    key_bits, key_format, problem = _load_ed25519(der)
                else:
                    problem = f"k={key_type[:20]!r} is not a key type verifiers know (rsa, ed25519)"
                if problem:
                    problems.append(problem)
    return DkimKey(
        raw=text,
        key_type=key_type,
        public_key=public_key,
        version=tag_list.get("v"),
        hash_algorithms=hash_algorithms,
        service_types=service_types,
        flags=flags,
        notes=tag_list.get("n"),
        key_bits=key_bits,
        key_format=key_format,
        problems=tuple(problems),
        tags=tuple((tag.name, tag.value) for tag in tag_list.tags),
    )
