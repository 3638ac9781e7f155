"""The lab's certificate authority: a private root CA and the leaf certificates it issues.

Everything here is for the offline lab only. The root ("Cyber Basics Lab CA") is written to
``ca.pem`` in the CA's directory, which the scanner trusts with ``--ca-file``; nothing is ever
added to a system trust store.

Validity is computed from one fixed clock, ``now``, chosen when the CA is created (the current
time by default, or injected by a test), so every certificate of a run has predictable dates.
Leaf kinds:

``good``           valid from ``now - 1 day`` to ``now + 90 days``
``expiring_soon``  valid, but ends ``now + 7 days``
``expired``        ended ``now - 30 days``
``not_yet_valid``  starts ``now + 30 days``
``wrong_name``     valid, but for ``wrong-name.invalid`` instead of the requested names
``self_signed``    valid dates and names, but signed by its own key instead of the CA

Key generation is the slow part: the CA key is cached on disk (in the directory) and leaf keys
are cached per process, one per key type, and shared by every leaf of that type.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import re
import shutil
import ssl
import tempfile
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

try:  # advisory lock so two processes sharing a directory don't both write a CA
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

CA_NAME = "Cyber Basics Lab CA"
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"

CERT_KINDS = ("good", "expiring_soon", "expired", "not_yet_valid", "wrong_name", "self_signed")
KEY_TYPES = ("ec256", "rsa2048", "rsa1024")
WRONG_NAME = "wrong-name.invalid"

# Offsets from the CA's clock, per leaf kind: (not_before, not_after).
_VALIDITY: dict[str, tuple[timedelta, timedelta]] = {
    "good": (timedelta(days=-1), timedelta(days=90)),
    "expiring_soon": (timedelta(days=-83), timedelta(days=7)),
    "expired": (timedelta(days=-120), timedelta(days=-30)),
    "not_yet_valid": (timedelta(days=30), timedelta(days=120)),
    "wrong_name": (timedelta(days=-1), timedelta(days=90)),
    "self_signed": (timedelta(days=-1), timedelta(days=90)),
}
_CA_VALIDITY = (timedelta(days=-365), timedelta(days=3650))
# A cached CA is regenerated when it would not cover this much of the future.
_CA_MIN_REMAINING = timedelta(days=365)

# Python's own server default, with the security level lowered so that weak lab keys (RSA 1024)
# and old protocol versions (TLS 1.0/1.1, which need SHA-1 suites) can be served on purpose.
_WEAK_CIPHERS = "DEFAULT:@SECLEVEL=0"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_key_cache: dict[str, PrivateKey] = {}
_key_lock = threading.Lock()


def generate_key(key: str) -> PrivateKey:
    """A fresh private key of one of :data:`KEY_TYPES`."""
    if key == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if key == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    raise ValueError(f"unknown key type {key!r}; expected one of {', '.join(KEY_TYPES)}")


def leaf_key(key: str) -> PrivateKey:
    """The process-wide leaf key of this type (generated once: RSA generation is slow)."""
    with _key_lock:
        if key not in _key_cache:
            _key_cache[key] = generate_key(key)
        return _key_cache[key]


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC).replace(microsecond=0)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write atomically (temp file + rename), keys readable by the owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(directory / ".lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _below_tls12(version: ssl.TLSVersion | None) -> bool:
    if version is None or version in (
        ssl.TLSVersion.MINIMUM_SUPPORTED,
        ssl.TLSVersion.MAXIMUM_SUPPORTED,
    ):
        return False
    return version < ssl.TLSVersion.TLSv1_2


def _san(hostnames: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(names)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "_", text.lower()).strip("._") or "cert"


@dataclass(frozen=True)
class IssuedCert:
    """A leaf certificate, its key and issuer chain, in memory and as files on disk."""

    hostnames: tuple[str, ...]  # the names asked for (the cert may carry others: wrong_name)
    kind: str
    key_type: str
    cert_pem: bytes  # the leaf alone
    key_pem: bytes  # PKCS#8, unencrypted
    chain_pem: bytes  # the issuer chain (the lab CA); empty for a self-signed leaf
    cert_path: Path  # the leaf alone
    key_path: Path
    chain_path: Path | None  # the issuer chain alone; None for a self-signed leaf
    fullchain_path: Path  # leaf + chain: what a server presents (load_cert_chain's certfile)
    certificate: x509.Certificate = field(compare=False, repr=False)
    # The issuing LabCA: keeps a temporary CA directory (and so these files) alive.
    issuer: object = field(default=None, compare=False, repr=False)

    @property
    def fullchain_pem(self) -> bytes:
        return self.cert_pem + self.chain_pem

    @property
    def not_before(self) -> datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    def ssl_context(
        self,
        *,
        minimum_version: ssl.TLSVersion | None = None,
        maximum_version: ssl.TLSVersion | None = None,
    ) -> ssl.SSLContext:
        """A new server-side context presenting this certificate.

        The security level is lowered only when needed to serve a weak key or a protocol
        version below TLS 1.2 (both deliberate lab misconfigurations).
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if self.key_type == "rsa1024" or _below_tls12(minimum_version):
            context.set_ciphers(_WEAK_CIPHERS)
        if minimum_version is not None:
            context.minimum_version = minimum_version
        if maximum_version is not None:
            context.maximum_version = maximum_version
        context.load_cert_chain(self.fullchain_path, self.key_path)
        return context


class LabCA:
    """A private root CA (ECDSA P-256) that issues lab leaf certificates."""

    def __init__(
        self,
        directory: Path,
        key: ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        now: datetime,
        *,
        temporary: bool = False,
    ) -> None:
        self.directory = directory
        self.key = key
        self.certificate = certificate
        self.now = now
        if temporary:  # a directory=None CA: its files live as long as the object
            weakref.finalize(self, shutil.rmtree, directory, ignore_errors=True)
        self._issued: dict[tuple[tuple[str, ...], str, str, datetime], IssuedCert] = {}
        self._lock = threading.Lock()

    @classmethod
    def create(cls, directory: Path | None = None, *, now: datetime | None = None) -> LabCA:
        """Load the CA kept in ``directory``, or make one there if there is none.

        ``directory=None`` uses a private temporary directory that lives as long as the CA.
        ``now`` is the clock every certificate's validity is computed from (default: the
        current time, fixed at creation). A cached CA that does not cover ``now`` and the
        following year is replaced.
        """
        clock = _utc(now)
        temporary = directory is None
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="cyberbasics-lab-ca-"))
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory):
            loaded = cls._load(directory, clock)
            if loaded is None:
                ca_key, ca_cert = cls._generate(clock)
                _write(directory / CA_KEY_FILE, _key_pem(ca_key), private=True)
                _write(directory / CA_CERT_FILE, _cert_pem(ca_cert))
            else:
                ca_key, ca_cert = loaded
        return cls(directory, ca_key, ca_cert, clock, temporary=temporary)

    @staticmethod
    def _load(
        directory: Path, now: datetime
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
        key_path, cert_path = directory / CA_KEY_FILE, directory / CA_CERT_FILE
        if not (key_path.is_file() and cert_path.is_file()):
            return None
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except ValueError:
            return None  # damaged: make a new one
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            return None
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(
            serialization.Encoding.DER, spki
        ) != cert.public_key().public_bytes(serialization.Encoding.DER, spki):
            return None
        if cert.subject != x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)]):
            return None
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc - _CA_MIN_REMAINING:
            return None
        return key, cert

    @staticmethod
    def _generate(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + _CA_VALIDITY[0])
            .not_valid_after(now + _CA_VALIDITY[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return key, cert

    # --- paths and trust ------------------------------------------------------------------

    @property
    def cert_path(self) -> Path:
        """``ca.pem``: the file to pass to the scanner's ``--ca-file``."""
        return self.directory / CA_CERT_FILE

    @property
    def cert_pem(self) -> bytes:
        return _cert_pem(self.certificate)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the lab CA only (and checks hostnames)."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))

    # --- issuing ----------------------------------------------------------------------------

    def issue(
        self,
        hostnames: list[str],
        *,
        kind: str = "good",
        key: str = "ec256",
        now: datetime | None = None,
    ) -> IssuedCert:
        """Issue (or return the already issued) leaf certificate of ``kind`` for ``hostnames``.

        ``now`` overrides the CA's clock for this certificate only.
        """
        if kind not in CERT_KINDS:
            raise ValueError(f"unknown certificate kind {kind!r}; expected one of {CERT_KINDS}")
        if key not in KEY_TYPES:
            raise ValueError(f"unknown key type {key!r}; expected one of {KEY_TYPES}")
        names = tuple(name.strip().rstrip(".").lower() for name in hostnames)
        if not names or not all(names):
            raise ValueError("at least one non-empty hostname is needed")
        clock = self.now if now is None else _utc(now)
        cache_key = (names, kind, key, clock)
        with self._lock:
            issued = self._issued.get(cache_key)
            if issued is None:
                issued = self._issue(names, kind, key, clock)
                self._issued[cache_key] = issued
            return issued

    def _issue(self, names: tuple[str, ...], kind: str, key_type: str, now: datetime) -> IssuedCert:
        private_key = leaf_key(key_type)
        cert_names = [WRONG_NAME] if kind == "wrong_name" else list(names)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cert_names[0])])
        start, end = _VALIDITY[kind]
        self_signed = kind == "self_signed"
        signing_key: PrivateKey = private_key if self_signed else self.key
        issuer = subject if self_signed else self.certificate.subject
        is_rsa = isinstance(private_key, rsa.RSAPrivateKey)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + start)
            .not_valid_after(now + end)
            .add_extension(_san(cert_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=is_rsa,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()),
                critical=False,
            )
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        cert = builder.sign(signing_key, hashes.SHA256())

        cert_pem = _cert_pem(cert)
        chain_pem = b"" if self_signed else self.cert_pem
        key_pem = _key_pem(private_key)
        digest = hashlib.sha256(
            repr((names, kind, key_type, now.isoformat())).encode()
        ).hexdigest()[:10]
        stem = f"{_slug(names[0])}-{kind}-{key_type}-{digest}"
        leaf_dir = self.directory / "leaves"
        leaf_dir.mkdir(exist_ok=True)
        cert_path = leaf_dir / f"{stem}.pem"
        key_path = leaf_dir / f"{stem}-key.pem"
        chain_path = None if self_signed else leaf_dir / f"{stem}-chain.pem"
        fullchain_path = leaf_dir / f"{stem}-fullchain.pem"
        _write(cert_path, cert_pem)
        _write(key_path, key_pem, private=True)
        if chain_path is not None:
            _write(chain_path, chain_pem)
        _write(fullchain_path, cert_pem + chain_pem)
        return IssuedCert(
            hostnames=names,
            kind=kind,
            key_type=key_type,
            cert_pem=cert_pem,
            key_pem=key_pem,
            chain_pem=chain_pem,
            cert_path=cert_path,
            key_path=key_path,
            chain_path=chain_path,
            fullchain_path=fullchain_path,
            certificate=cert,
            issuer=self,
        )
