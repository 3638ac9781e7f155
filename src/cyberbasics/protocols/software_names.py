"""Which software, and which version, a header, a page's generator tag or a service banner
names: ``Apache/2.4.49 (Unix)``, ``PHP/8.1.2-1ubuntu2.14``, ``WordPress 6.4.2``,
``SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6``, ``220 mail.example ESMTP Exim 4.92``.

This is the one table of names: the passive collectors and the active scan's banner
parsers (`banners`) both read products and versions here, so they never disagree. Pure
functions that never raise. Product ids are those of ``scan.software.PRODUCTS``. A
version is only what the text shows, never completed: ``Apache/2.4`` gives "2.4" (the
comparison treats it as imprecise), ``Drupal 7`` gives "7", ``Apache`` gives None. The text
kept with each name is the evidence, and tells (`distribution_build`) when a Linux
distribution built the package: those keep the upstream version number while carrying the
distribution's security fixes, so the number alone cannot say the software is vulnerable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 400  # longer header values and banners are cut before reading

# A version as products print it: numbers with dots, and an optional short letter suffix
# that is part of the release (OpenSSH 8.9p1, ProFTPD 1.3.5a, 1.3.6rc2).
_VERSION = re.compile(r"\d{1,9}(?:\.\d{1,9}){0,5}(?:[a-z]{1,3}\d{0,4})?(?!\w|\.\w)")
_PRODUCT_TOKEN = re.compile(r"([A-Za-z][A-Za-z0-9._!-]{0,40})(?:/([^\s,;()]{1,60}))?")
_COMMENT = re.compile(r"\([^()]{0,200}\)")

# Names in Server and X-Powered-By headers (product tokens, RFC 9110 §10.2.4), lower case.
_HEADER_PRODUCTS = {
    "apache": "apache-httpd",
    "nginx": "nginx",
    "microsoft-iis": "microsoft-iis",
    "litespeed": "litespeed",
    "php": "php",
}

_GENERATORS = (
    (re.compile(r"^\s*WordPress(?:\s+(\S+))?", re.I), "wordpress"),
    (re.compile(r"^\s*Joomla!?(?:\s+(\S+))?", re.I), "joomla"),
    (re.compile(r"^\s*Drupal(?:\s+(\S+))?", re.I), "drupal"),
)

# Greetings and banners. A name and its version are on one line: `[ \t]`, not `\s`, so the
# next line of a multi-line reply ("220-ProFTPD\r\n220 ready") is never read as a version.
_SMTP = (
    (re.compile(r"\bExim[ \t]+(\S+)", re.I), "exim"),
    (re.compile(r"\bExim\b", re.I), "exim"),
    (re.compile(r"\bPostfix\b", re.I), "postfix"),
    (re.compile(r"\bMicrosoft ESMTP MAIL Service\b", re.I), "microsoft-exchange"),
)
_MAIL = (  # POP3 and IMAP greetings (Dovecot says its name, not its version)
    (re.compile(r"\bDovecot\b", re.I), "dovecot"),
)
# OpenSSH builds numbered their own way and supported by their vendor: the upstream
# version ranges and support periods do not apply, so they are not read as OpenSSH.
_SSH_VENDOR_BUILDS = (
    (re.compile(r"^SSH-\d\.\d{1,2}-OpenSSH_for_Windows", re.I),
     "Microsoft's build of OpenSSH, supported and updated with Windows"),
)
_SSH = (
    *((pattern, None) for pattern, _ in _SSH_VENDOR_BUILDS),
    (re.compile(r"^SSH-\d\.\d{1,2}-OpenSSH_(\S+)", re.I), "openssh"),
    (re.compile(r"^SSH-\d\.\d{1,2}-OpenSSH(?![A-Za-z0-9])", re.I), "openssh"),
    (re.compile(r"^SSH-\d\.\d{1,2}-dropbear(?:_(\S+))?", re.I), "dropbear"),
)
_FTP = (
    (re.compile(r"\bProFTPD[ \t]+(\S+)", re.I), "proftpd"),
    (re.compile(r"\bProFTPD\b", re.I), "proftpd"),
    (re.compile(r"\bvsFTPd[ \t]+(\S+)", re.I), "vsftpd"),
    (re.compile(r"\bvsFTPd\b", re.I), "vsftpd"),
    (re.compile(r"\bPure-FTPd\b", re.I), "pure-ftpd"),
    (re.compile(r"\bFileZilla Server(?:[ \t]+version)?[ \t]+(\S+)", re.I), "filezilla-server"),
    (re.compile(r"\bFileZilla Server\b", re.I), "filezilla-server"),
)
_EXCHANGE_BUILD = re.compile(r"\s*(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)\s*")

_DISTRIBUTIONS = (
    (re.compile(r"ubuntu", re.I), "Ubuntu"),
    (re.compile(r"raspbian", re.I), "Raspbian"),
    (re.compile(r"debian|\+deb\d|deb\d{1,2}u\d", re.I), "Debian"),
    (re.compile(r"red ?hat|rhel|\.el\d{1,2}\b|\bel\d{1,2}(?:_\d+)?\b", re.I), "Red Hat"),
    (re.compile(r"centos", re.I), "CentOS"),
    (re.compile(r"almalinux", re.I), "AlmaLinux"),
    (re.compile(r"rocky", re.I), "Rocky Linux"),
    (re.compile(r"fedora|\.fc\d{2}\b", re.I), "Fedora"),
    (re.compile(r"suse", re.I), "SUSE"),
    (re.compile(r"amazon ?linux|\.amzn\d", re.I), "Amazon Linux"),
)


@dataclass(frozen=True)
class Named:
    product: str
    version: str | None
    text: str  # what it was read from (trimmed)


def version_from(text: str | None) -> str | None:
    """The version at the start of `text`, or None when it does not start with one."""
    if not text:
        return None
    match = _VERSION.match(text)
    return match.group(0) if match else None


def _clean(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text.strip()[:MAX_TEXT]


def from_product_header(value: object) -> list[Named]:
    """Server or X-Powered-By: every product token we know, with its version."""
    text = _clean(value)
    found: list[Named] = []
    uncommented = _COMMENT.sub(" ", text)
    for match in _PRODUCT_TOKEN.finditer(uncommented):
        product = _HEADER_PRODUCTS.get(match.group(1).lower())
        if product is None:
            continue
        # A token inside a longer name ("X-Apache") is another product.
        start = match.start(1)
        if start and uncommented[start - 1] not in " ,;":
            continue
        found.append(Named(product, version_from(match.group(2)), text))
    return _unique(found)


def from_generator(value: object) -> list[Named]:
    """A page's <meta name="generator">: WordPress, Joomla!, Drupal."""
    text = _clean(value)
    for pattern, product in _GENERATORS:
        match = pattern.match(text)
        if match:
            return [Named(product, version_from(match.group(1)), text)]
    return []


def from_owa_version(value: object) -> list[Named]:
    """Exchange's X-OWA-Version header: a full build number such as 15.1.2242.4."""
    text = _clean(value)
    match = _EXCHANGE_BUILD.fullmatch(text)
    return [Named("microsoft-exchange", match.group(1), text)] if match else []


def _first(patterns, text: str) -> list[Named]:
    for pattern, product in patterns:
        match = pattern.search(text)
        if match:
            if product is None:
                return []
            version = version_from(match.group(1)) if match.groups() else None
            return [Named(product, version, text)]
    return []


def from_smtp_banner(value: object) -> list[Named]:
    """An SMTP greeting (the text after the 220 code, or with it)."""
    return _first(_SMTP, _clean(value))


def from_ssh_banner(value: object) -> list[Named]:
    """An SSH identification string (RFC 4253 §4.2): SSH-2.0-OpenSSH_8.9p1 Ubuntu-3.
    A vendor's own build (`ssh_vendor_build`) gives nothing: its number is not upstream's."""
    return _first(_SSH, _clean(value))


def ssh_vendor_build(value: object) -> str | None:
    """Whose build an SSH identification string names, when a vendor builds, numbers and
    supports it its own way (``SSH-2.0-OpenSSH_for_Windows_7.7``: Microsoft's); else None."""
    text = _clean(value)
    return next((who for pattern, who in _SSH_VENDOR_BUILDS if pattern.search(text)), None)


def from_mail_banner(value: object) -> list[Named]:
    """A POP3 or IMAP greeting: Dovecot."""
    return _first(_MAIL, _clean(value))


def from_ftp_banner(value: object) -> list[Named]:
    """An FTP greeting: ProFTPD, vsFTPd, Pure-FTPd, FileZilla Server."""
    return _first(_FTP, _clean(value))


def distribution_build(text: object) -> str | None:
    """The Linux distribution whose package the text shows ("Ubuntu" for
    ``Apache/2.4.52 (Ubuntu)`` or ``OpenSSH_8.9p1 Ubuntu-3ubuntu0.6``), or None."""
    cleaned = _clean(text)
    for pattern, name in _DISTRIBUTIONS:
        if pattern.search(cleaned):
            return name
    return None


def _unique(found: list[Named]) -> list[Named]:
    return list(dict.fromkeys(found))
