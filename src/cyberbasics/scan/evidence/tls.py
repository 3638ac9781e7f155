"""The website's TLS (passive): one full handshake for the certificate and the best version,
and a few hand-built ClientHellos: one per old protocol version and one per class of weak
suites. With --deep, SSLyze enumerates every suite instead of the per-class hellos.

The host is the domain, or www. when the domain has no address or refuses HTTPS: the same
rule web.https follows. Every probe goes to one checked address; its results are shared
across a batch, as many small businesses' sites share a host.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field, replace
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ...net import tls
from ...net.connect import client_tls_context, open_checked
from ...net.guard import TargetRefused, refusal_reason
from ...net.tls_probe import HelloProbe, hello_probe
from ...protocols import tls_hello
from ...protocols.tls_suites import (
    PRE_TLS12_SUITES,
    SSL3_SUITES,
    WEAK_CLASSES,
    suite_name,
    suites_of_class,
)
from ..gather import DomainContext, collector

HTTPS_PORT = 443
OLD_VERSIONS = (("SSLv3", tls_hello.SSL3, SSL3_SUITES), ("TLSv1", tls_hello.TLS10,
                                                          PRE_TLS12_SUITES),
                ("TLSv1.1", tls_hello.TLS11, PRE_TLS12_SUITES))


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    key_type: str  # "RSA", "EC", "DSA", "Ed25519", "Ed448", or the class name
    key_bits: int | None
    signature_hash: str | None  # "sha256", ...; None for Ed25519/Ed448 (no separate hash)

    def to_json(self) -> dict:
        return {"subject": self.subject, "issuer": self.issuer, "names": list(self.names),
                "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
                "key_type": self.key_type, "key_bits": self.key_bits,
                "signature_hash": self.signature_hash}


@dataclass(frozen=True)
class ProbeResult:
    """One question to the server: accepted (True/False), or None with the reason."""

    accepted: bool | None
    version: str | None = None  # what the server chose, when it accepted
    suite: str | None = None
    error: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class DeepSuites:
    """SSLyze's enumeration: every suite accepted, per protocol version."""

    accepted: dict[str, tuple[str, ...]]  # "TLSv1.2" -> IANA names
    errors: dict[str, str] = field(default_factory=dict)  # version -> why it was not known

    def to_json(self) -> dict:
        return {"accepted": {k: list(v) for k, v in self.accepted.items()},
                "errors": dict(self.errors)}


@dataclass(frozen=True)
class TlsView:
    host: str | None  # the name the site is served on; None when neither name has an address
    address: str | None
    protocol: str | None = None  # best version negotiated by a modern client
    cipher: str | None = None
    certificate_error: str | None = None  # OpenSSL's reason; None when it verified
    certificate: CertificateFacts | None = None
    versions: dict[str, ProbeResult] = field(default_factory=dict)  # "SSLv3" etc.
    weak: dict[str, ProbeResult] = field(default_factory=dict)  # class -> probe
    deep: DeepSuites | None = None
    error: str | None = None  # no handshake at all, and why
    definite: bool = False  # the error means "no HTTPS site" rather than "could not check"
    checked_at: float = 0.0  # the scan clock at the handshake (dates are judged by it)

    @property
    def handshake_done(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        data = {"host": self.host, "address": self.address, "protocol": self.protocol,
                "cipher": self.cipher, "certificate_error": self.certificate_error,
                "certificate": self.certificate.to_json() if self.certificate else None,
                "versions": {k: v.to_json() for k, v in self.versions.items()},
                "weak_classes": {k: v.to_json() for k, v in self.weak.items()}}
        if self.deep is not None:
            data["deep"] = self.deep.to_json()
        if self.error:
            data["error"] = self.error
        return data


@collector("tls")
async def tls_evidence(ctx: DomainContext) -> TlsView:
    hosts = (ctx.domain, f"www.{ctx.domain}")
    lookups = [asyncio.ensure_future(ctx.dns.addresses(host)) for host in hosts]
    reasons = []
    definite = True
    refused: TlsView | None = None
    for host, lookup in zip(hosts, lookups, strict=True):
        addresses, failure = await lookup
        if not addresses:
            reasons.append(f"{host}: {failure or 'no address'}")
            definite = definite and failure is None
            continue
        allowed = [a for a in addresses if refusal_reason(a, lab=ctx.config.lab) is None]
        if not allowed:
            reasons.append(f"{host}: {refusal_reason(addresses[0], lab=ctx.config.lab)}")
            definite = False
            continue
        address = sorted(allowed, key=lambda a: ":" in a)[0]  # IPv4 first, as web fetches
        view = await ctx.session.memo(f"tls:{host}:{address}",
                                      lambda h=host, a=address: _examine(ctx, h, a))
        if view.handshake_done or not view.definite:
            return view
        reasons.append(f"{host}: {view.error}")
        refused = refused or view
    if refused is not None:  # a host has an address but no HTTPS server: no HTTPS site
        return replace(refused, error="; ".join(reasons), definite=definite)
    return TlsView(None, None, error="; ".join(reasons), definite=definite)


async def _examine(ctx: DomainContext, host: str, address: str) -> TlsView:
    checked_at = ctx.config.clock()
    # The probes need only the address: they go out with the first handshake, not after it
    # (one round trip less), and are dropped if that handshake shows there is no TLS site.
    probes = asyncio.ensure_future(asyncio.gather(
        _old_versions(ctx, host, address), _weak_classes(ctx, host, address)))
    # A failed verification stops OpenSSL before it hands over the certificate (and, before
    # TLS 1.3, before it names the version), so an unverified handshake goes out alongside:
    # one connection more, but no round trips more for a site with a bad certificate.
    unverified = asyncio.ensure_future(_full_handshake(ctx, host, address, verify=False))
    main = await _full_handshake(ctx, host, address, verify=True)
    if isinstance(main, TlsView):
        for task in (probes, unverified):
            task.cancel()
        await asyncio.gather(probes, unverified, return_exceptions=True)
        return main
    deep = asyncio.ensure_future(_deep(ctx, host, address))
    protocol, der = main.protocol, main.certificate_der
    if main.certificate_error is None:
        unverified.cancel()
        await asyncio.gather(unverified, return_exceptions=True)
    else:
        again = await unverified
        if not isinstance(again, TlsView):
            protocol, der = protocol or again.protocol, der or again.certificate_der
    (versions, weak), deep = await probes, await deep
    if deep is not None and "all" in deep.errors:
        weak = await _weak_classes(ctx, host, address, deep_failed=True)  # never a blank
    return TlsView(host, address, protocol, main.cipher, main.certificate_error,
                   _certificate_facts(der), versions, weak, deep,
                   checked_at=checked_at)


async def _full_handshake(ctx: DomainContext, host: str, address: str, *,
                          verify: bool) -> tls.Handshake | TlsView:
    writer = None
    stage = "connect"
    try:
        reader, writer = await open_checked(ctx.config, address, HTTPS_PORT,
                                            limiter=ctx.session.limiter)
        stage = "handshake"
        context = client_tls_context(ctx.config.ca_file, verify=verify)
        return await tls.handshake(reader, writer, context, host, ctx.config.timeout)
    except TargetRefused as exc:
        return TlsView(host, address, error=str(exc))
    except ConnectionRefusedError:
        return TlsView(host, address, error=f"nothing listens on port {HTTPS_PORT}",
                       definite=True)
    except TimeoutError:
        return TlsView(host, address,
                       error=f"no answer within {ctx.config.timeout:g} s during {stage}")
    except (OSError, ssl.SSLError, EOFError, ValueError) as exc:
        text = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
        return TlsView(host, address, error=f"{stage} failed: {text}")
    finally:
        if writer is not None:
            writer.close()


async def _old_versions(ctx, host, address) -> dict[str, ProbeResult]:
    probes = await asyncio.gather(*(
        hello_probe(ctx.config, address, HTTPS_PORT, host, code, suites,
                    limiter=ctx.session.limiter)
        for _, code, suites in OLD_VERSIONS))
    results = {}
    for (name, code, _), probe in zip(OLD_VERSIONS, probes, strict=True):
        result = _result(probe)
        if result.accepted and probe.answer.version != code:
            # A server answering a lower hello with a higher version is broken, not old.
            result = ProbeResult(False, result.version, result.suite)
        results[name] = result
    return results


async def _weak_classes(ctx, host, address, *, deep_failed=False) -> dict[str, ProbeResult]:
    if ctx.config.deep and not deep_failed:
        return {}  # SSLyze's enumeration answers these
    names = list(WEAK_CLASSES)
    probes = await asyncio.gather(*(
        hello_probe(ctx.config, address, HTTPS_PORT, host, tls_hello.TLS12,
                    suites_of_class(name), limiter=ctx.session.limiter) for name in names))
    return {name: _result(probe) for name, probe in zip(names, probes, strict=True)}


def _result(probe: HelloProbe) -> ProbeResult:
    accepted = probe.accepted
    if accepted is None:
        reason = probe.error or (probe.answer.detail if probe.answer else None)
        return ProbeResult(None, error=reason or "no usable answer")
    if not accepted:
        return ProbeResult(False)
    answer = probe.answer
    return ProbeResult(True, tls_hello.VERSION_NAMES.get(answer.version, f"{answer.version:#06x}"),
                       suite_name(answer.cipher))


async def _deep(ctx, host, address) -> DeepSuites | None:
    if not ctx.config.deep:
        return None
    from .tls_deep import enumerate_suites

    return await enumerate_suites(ctx.config, host, address, HTTPS_PORT)


def _certificate_facts(der: bytes | None) -> CertificateFacts | None:
    if not der:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    key = cert.public_key()
    key_type, bits = _key_kind(key)
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name if algorithm is not None else None
    except Exception:  # an algorithm cryptography does not know is reported as unknown
        signature_hash = "unknown"
    try:
        names = tuple(cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
    except (x509.ExtensionNotFound, ValueError):
        names = ()
    return CertificateFacts(_common_name(cert.subject), _common_name(cert.issuer), names,
                            cert.not_valid_before_utc, cert.not_valid_after_utc, key_type, bits,
                            signature_hash)


def _key_kind(key) -> tuple[str, int | None]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return key.__class__.__name__, None


def _common_name(name: x509.Name) -> str:
    try:
        values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if values:
            return str(values[0].value)
        return name.rfc4514_string()
    except ValueError:
        return "(unreadable name)"
