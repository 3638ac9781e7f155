"""Email transport: does each mail server offer STARTTLS, and is its certificate good?"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, replace

from ...net import tls
from ...net.connect import client_tls_context, open_checked
from ...net.guard import TargetRefused, refusal_reason
from ..gather import DomainContext, collector
from .dns_basic import MxHost

MAX_MX_PROBED = 5
SMTP_PORT = 25
_MAX_REPLY_LINES = 100
_EHLO_NAME = "scanner.cyberbasics.invalid"


@dataclass(frozen=True)
class StarttlsProbe:
    host: str
    address: str | None
    banner: str | None = None
    starttls_offered: bool | None = None  # None: could not tell
    tls_version: str | None = None
    cipher: str | None = None
    certificate_valid: bool | None = None
    certificate_error: str | None = None
    error: str | None = None  # could not check, and why
    stage: str | None = None  # where it stopped: connect, banner, ehlo, starttls, handshake

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@collector("starttls")
async def starttls(ctx: DomainContext) -> tuple[StarttlsProbe, ...]:
    view = await ctx.get("mx")
    hosts = [h for h in view.hosts if h.name][:MAX_MX_PROBED] if view.receives_mail else []
    return tuple(await asyncio.gather(*(_probe_host(ctx, h) for h in hosts)))


async def _probe_host(ctx: DomainContext, host: MxHost) -> StarttlsProbe:
    if not host.addresses:
        return StarttlsProbe(host.name, None, error=host.error or "the name has no address",
                             stage="resolve")
    allowed = [a for a in host.addresses if refusal_reason(a, lab=ctx.config.lab) is None]
    if not allowed:
        return StarttlsProbe(host.name, host.addresses[0], stage="connect",
                             error=refusal_reason(host.addresses[0], lab=ctx.config.lab))
    address = sorted(allowed, key=lambda a: ":" in a)[0]

    async def probe() -> StarttlsProbe:
        result = await _smtp_session(ctx, host.name, address, verify=True)
        if result.certificate_valid is False and result.tls_version is None:
            # Rare: a bad certificate and a legacy suite hide the version; ask once more.
            unverified = await _smtp_session(ctx, host.name, address, verify=False)
            result = replace(result, tls_version=unverified.tls_version)
        return result

    # Many domains share a provider's mail servers: probe each (name, address) once a batch.
    return await ctx.session.memo(f"starttls:{host.name}:{address}", probe)


async def _smtp_session(ctx: DomainContext, name: str, address: str, *,
                        verify: bool) -> StarttlsProbe:
    timeout = ctx.config.timeout
    stage = "connect"
    writer = None
    try:
        reader, writer = await open_checked(ctx.config, address, SMTP_PORT,
                                            limiter=ctx.session.limiter)
        stage = "banner"
        code, banner = await asyncio.wait_for(_read_reply(reader), timeout)
        if code != 220:
            return StarttlsProbe(name, address, banner, error=f"greeting was {code} {banner}",
                                 stage=stage)
        stage = "ehlo"
        writer.write(f"EHLO {_EHLO_NAME}\r\n".encode())
        code, text = await asyncio.wait_for(_read_reply(reader), timeout)
        if code != 250:
            return StarttlsProbe(name, address, banner, error=f"EHLO answered {code} {text}",
                                 stage=stage)
        extensions = {line.split()[0].upper() for line in text.splitlines()[1:] if line.split()}
        if "STARTTLS" not in extensions:
            return StarttlsProbe(name, address, banner, starttls_offered=False)
        stage = "starttls"
        writer.write(b"STARTTLS\r\n")
        code, text = await asyncio.wait_for(_read_reply(reader), timeout)
        if code != 220:
            return StarttlsProbe(name, address, banner, starttls_offered=True, stage=stage,
                                 error=f"STARTTLS answered {code} {text}")
        stage = "handshake"
        context = client_tls_context(ctx.config.ca_file, verify=verify)
        shake = await tls.handshake(reader, writer, context, name, timeout)
        return StarttlsProbe(name, address, banner, starttls_offered=True,
                             tls_version=shake.protocol, cipher=shake.cipher,
                             certificate_valid=shake.certificate_valid if verify else None,
                             certificate_error=shake.certificate_error)
    except TargetRefused as exc:
        return StarttlsProbe(name, address, error=str(exc), stage=stage)
    except TimeoutError:
        return StarttlsProbe(name, address, stage=stage,
                             error=f"no answer within {timeout:g} s during {stage}")
    except (OSError, ssl.SSLError, EOFError, ValueError) as exc:
        return StarttlsProbe(name, address, stage=stage,
                             error=f"{exc.__class__.__name__}: {exc}" if str(exc)
                             else exc.__class__.__name__)
    finally:
        if writer is not None:
            writer.close()


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, str]:
    """One SMTP reply (RFC 5321 §4.2), multi-line included: (code, text lines)."""
    lines = []
    for _ in range(_MAX_REPLY_LINES):
        raw = await reader.readline()
        if not raw:
            raise EOFError("the server closed the connection")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 3 or not line[:3].isdigit():
            raise ValueError(f"not an SMTP reply: {line[:80]!r}")
        lines.append(line[4:])
        if len(line) == 3 or line[3] != "-":
            return int(line[:3]), "\n".join(lines)
    raise ValueError("SMTP reply too long")
