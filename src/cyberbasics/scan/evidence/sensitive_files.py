"""Sensitive files on the website (active scans only): can anyone download the site's Git
repository, its environment file, a configuration backup, a password file, a database dump
or a backup archive from a well-known address?

The site is the one the passive website evidence reached (the HTTPS home page's host, on
the domain or www.; else the plain-HTTP site, on the host that answered: the domain, or
www. when the domain itself has no address), reached at the address the scan's DNS client
already gave for it, after the guard, under the target lock and the rate limit. Each path
is one GET (HTTP/1.0, one connection, the certificate not verified: whoever downloads such a
file does not care about it), read up to `MAX_BYTES`; redirects are not followed (a
redirect is not the file).

A file counts as readable only when the answer is 200 (or 206) AND its content looks like
that kind of file (a Git HEAD line, KEY=VALUE lines, an archive's magic bytes, PHP source,
SQL, ...) AND it differs from what the site answers for a made-up address: many sites
answer every address with an HTML page ("soft 404"), which must not be reported. The
evidence names what was recognised, never the file's secrets.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ...net.guard import refusal_reason
from ...net.target_lock import TargetLockError
from ..gather import DomainContext, Unavailable, collector
from .services import lock_wait, rate_limiter, target_locks
from .services_http import NotOpen, http_get
from .services_targets import in_domain

MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class SensitivePath:
    path: str  # "{domain}" is replaced by the domain
    kind: str  # which content check applies (see RECOGNISERS)
    what: str  # what it is, for people


PATHS = (
    SensitivePath("/.git/HEAD", "git-head", "the site's Git repository (source code, history)"),
    SensitivePath("/.git/config", "git-config", "the site's Git repository configuration"),
    SensitivePath("/.env", "env", "an environment file (passwords and keys)"),
    SensitivePath("/wp-config.php.bak", "php-source", "a backup of the WordPress configuration"),
    SensitivePath("/.htpasswd", "htpasswd", "a password file"),
    SensitivePath("/backup.zip", "archive", "a backup archive"),
    SensitivePath("/backup.tar.gz", "archive", "a backup archive"),
    SensitivePath("/{domain}.zip", "archive", "a backup archive"),
    SensitivePath("/dump.sql", "sql", "a database dump"),
    SensitivePath("/backup.sql", "sql", "a database dump"),
    SensitivePath("/.DS_Store", "ds-store", "a macOS folder index (it lists the folder's files)"),
)


@dataclass(frozen=True)
class PathProbe:
    path: str
    what: str
    status: int | None = None
    content_type: str | None = None
    size: int | None = None  # bytes read (at most MAX_BYTES)
    readable: bool = False
    found: str | None = None  # what the content was recognised as (never its secrets)
    note: str | None = None  # why an answer 200 did not count
    error: str | None = None  # could not check this path

    @property
    def checked(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and v is not False}


@dataclass(frozen=True)
class SensitiveFilesView:
    site: str | None  # "https://www.example.com"
    address: str | None
    probes: tuple[PathProbe, ...] = ()
    control: PathProbe | None = None  # the answer for a made-up address
    no_website: bool = False
    other_host: str | None = None  # the site lives on another domain's host: not probed
    error: str | None = None  # nothing could be checked, and why

    @property
    def readable(self) -> tuple[PathProbe, ...]:
        return tuple(p for p in self.probes if p.readable)

    def to_json(self) -> dict:
        data: dict = {"site": self.site, "address": self.address,
                      "paths": [p.to_json() for p in self.probes]}
        if self.control is not None:
            data["control"] = self.control.to_json()
        if self.other_host:
            data["other_host"] = self.other_host
        if self.error:
            data["error"] = self.error
        return data


# --- what the content must look like ------------------------------------------------------------


def looks_like_html(body: bytes) -> bool:
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(b"<") or any(tag in start for tag in (b"<html", b"<!doctype",
                                                                  b"<head", b"<body"))


def _text(body: bytes) -> str | None:
    if b"\x00" in body[:MAX_BYTES] or looks_like_html(body):
        return None
    return body[:MAX_BYTES].decode("utf-8", "replace")


def _git_head(body: bytes) -> str | None:
    text = _text(body)
    if text is None or len(body) > 512:
        return None
    line = text.strip()
    if re.fullmatch(r"ref: refs/[\x21-\x7e]{1,200}", line):
        return line
    if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", line):
        return "a commit id (detached HEAD)"
    return None


def _git_config(body: bytes) -> str | None:
    text = _text(body)
    if text and re.search(r"^\[core\]\s*$", text, re.M) and "repositoryformatversion" in text:
        return "a Git configuration ([core] section)"
    return None


_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")


def _env(body: bytes) -> str | None:
    text = _text(body)
    if text is None:
        return None
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    keys = [m[1] for line in lines if (m := _ENV_LINE.match(line))]
    if len(keys) >= 2 and len(keys) >= 0.8 * len(lines):
        shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        return f"{len(keys)} KEY=VALUE settings ({shown})"
    return None


_ARCHIVES = ((b"PK\x03\x04", "a ZIP archive"), (b"PK\x05\x06", "a ZIP archive (empty)"),
             (b"\x1f\x8b\x08", "a gzip archive"), (b"BZh", "a bzip2 archive"),
             (b"\xfd7zXZ\x00", "an xz archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
             (b"Rar!\x1a\x07", "a RAR archive"))


def _archive(body: bytes) -> str | None:
    for magic, name in _ARCHIVES:
        if body.startswith(magic) and (magic != b"BZh" or body[3:4].isdigit()):
            return name
    if body[257:262] == b"ustar":
        return "a tar archive"
    return None


def _php_source(body: bytes) -> str | None:
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?php"):
        return "PHP source code" + (" with database settings" if b"DB_PASSWORD" in body
                                    else "")
    return None


_HTPASSWD = re.compile(r"[^:\s]{1,64}:(\$apr1\$|\$2[abyx]?\$|\{SHA\}|\$[156]\$|"
                       r"[./0-9A-Za-z]{13}$)")


def _htpasswd(body: bytes) -> str | None:
    text = _text(body)
    if text is None:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(_HTPASSWD.match(line) for line in lines):
        return f"{len(lines)} user:password-hash line{'s' if len(lines) != 1 else ''}"
    return None


_SQL = re.compile(r"^(?:-- MySQL dump|-- MariaDB dump|-- PostgreSQL database dump|"
                  r"CREATE TABLE|INSERT INTO|DROP TABLE)", re.I | re.M)


def _sql(body: bytes) -> str | None:
    text = _text(body)
    if text and _SQL.search(text):
        return "SQL statements (a database dump)"
    return None


def _ds_store(body: bytes) -> str | None:
    return "a .DS_Store index" if body[:8] == b"\x00\x00\x00\x01Bud1" else None


RECOGNISERS = {"git-head": _git_head, "git-config": _git_config, "env": _env,
               "archive": _archive, "php-source": _php_source, "htpasswd": _htpasswd,
               "sql": _sql, "ds-store": _ds_store}


def recognise(kind: str, body: bytes) -> str | None:
    """What the content is, when it looks like a file of this kind; None otherwise."""
    return RECOGNISERS[kind](body)


# --- the collector ----------------------------------------------------------------------------


def site_to_probe(domain: str, web) -> tuple[str, str] | SensitiveFilesView:
    """(scheme, host) of the site to probe, or a view saying why there is none."""
    if isinstance(web, Unavailable):
        return SensitiveFilesView(None, None, error=f"the website: {web.reason}")
    page = web.https if web.https is not None and web.https.reached else None
    if page is not None:
        url = urlsplit(page.final.url)
        host = (url.hostname or "").lower()
        if not in_domain(host, domain):
            return SensitiveFilesView(page.final.url, None, other_host=host)
        return url.scheme.lower(), host
    http = web.http
    if http is not None and http.answered and http.status not in (301, 302, 303, 307, 308):
        # The plain-HTTP answer came from http://<domain>/, or from http://www.<domain>/
        # when the domain itself has no address: probe the host that answered.
        host = (urlsplit(http.url).hostname or domain).lower()
        if not in_domain(host, domain):
            return SensitiveFilesView(http.url, None, other_host=host)
        return "http", host
    # No address, or nothing listening on the web ports: definitely no website to probe.
    absent = all(t.final.kind in ("no_address", "refused") for t in web.tried) and (
        http is None or http.kind in ("no_address", "refused"))
    if absent:
        return SensitiveFilesView(None, None, no_website=True)
    reason = next((t.final.error for t in web.tried if t.final.error), None) or (
        http.error if http is not None and http.error else "no page answered")
    return SensitiveFilesView(None, None, error=f"the website could not be reached ({reason})")


@collector("sensitive_files")
async def sensitive_files(ctx: DomainContext) -> SensitiveFilesView:
    try:
        web = await ctx.get("web")
    except Exception as exc:
        web = Unavailable(f"{exc.__class__.__name__}: {exc}")
    site = site_to_probe(ctx.domain, web)
    if isinstance(site, SensitiveFilesView):
        return site
    scheme, host = site
    base = f"{scheme}://{host}"
    # The same lookup the website fetch used (the batch's DNS client keeps it), so these
    # requests go to the address that was checked, whatever DNS answers later.
    found, error = await ctx.dns.addresses(host)
    if not found:
        return SensitiveFilesView(base, None, error=f"{host} has no address"
                                  + (f" ({error})" if error else ""))
    allowed = [a for a in sorted(found, key=lambda a: ":" in a)
               if refusal_reason(a, lab=ctx.config.lab) is None]
    if not allowed:
        return SensitiveFilesView(base, found[0],
                                  error=refusal_reason(found[0], lab=ctx.config.lab))
    address = allowed[0]
    limiter = await rate_limiter(ctx)
    locks = await target_locks(ctx)
    port = 443 if scheme == "https" else 80
    tls = scheme == "https"

    async def get(path: str, what: str) -> tuple[PathProbe, bytes | None]:
        try:
            fetch = await http_get(ctx.config, limiter, address, port, path, host=host,
                                   tls=tls, limit=MAX_BYTES)
        except NotOpen as exc:
            return PathProbe(path, what, error=exc.error or f"the port is {exc.state}"), None
        answer = fetch.answer
        if answer is None:
            return PathProbe(path, what, error=fetch.error or "no answer"), None
        probe = PathProbe(path, what, answer.status, answer.content_type, len(answer.body))
        if answer.status >= 500 or answer.status == 429:
            return _replace(probe, error=f"the site answered HTTP {answer.status}"), None
        return probe, answer.body

    paths = [(p.path.replace("{domain}", ctx.domain), p) for p in PATHS]
    try:
        async with locks.hold(address, wait=lock_wait(ctx.config)):
            control_path = f"/.cyberbasics-check-{secrets.token_hex(8)}"
            results = await asyncio.gather(get(control_path, "a made-up address"),
                                           *(get(path, p.what) for path, p in paths))
    except TargetLockError as exc:
        return SensitiveFilesView(base, address, error=str(exc))
    (control, control_body), *answers = results
    probes = [_judge(probe, body, spec.kind, control, control_body)
              for (probe, body), (_, spec) in zip(answers, paths, strict=True)]
    return SensitiveFilesView(base, address, tuple(probes), control)


def _judge(probe: PathProbe, body: bytes | None, kind: str, control: PathProbe,
           control_body: bytes | None) -> PathProbe:
    if body is None or probe.status not in (200, 206):
        return probe
    found = recognise(kind, body)
    if found is None:
        note = ("an HTML page, not the file (the site's \u201cnot found\u201d page?)"
                if looks_like_html(body) else "the content is not that kind of file")
        return _replace(probe, note=note)
    if control_body is not None and control.status in (200, 206) and body == control_body:
        return _replace(probe, note="the same answer as for a made-up address")
    return _replace(probe, readable=True, found=found)


def _replace(probe: PathProbe, **changes) -> PathProbe:
    return replace(probe, **changes)
