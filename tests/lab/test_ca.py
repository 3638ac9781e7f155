"""The lab CA: what it writes, what it issues, and how Python's TLS verification judges it."""

from __future__ import annotations

import asyncio
import ssl
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cyberbasics.lab.ca import CA_NAME, WRONG_NAME, LabCA, leaf_key

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def fixed_ca(tmp_path_factory):
    return LabCA.create(tmp_path_factory.mktemp("fixed-ca"), now=NOW)


pytestmark = pytest.mark.usefixtures("no_leftover_tasks")


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in ext]


def test_root_is_written_and_is_a_ca(ca):
    root = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    assert ca.cert_path.name == "ca.pem"
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_NAME
    assert root.subject == root.issuer
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp256r1"
    root.verify_directly_issued_by(root)
    key_mode = stat.S_IMODE((ca.directory / "ca-key.pem").stat().st_mode)
    assert key_mode == 0o600


def test_create_loads_the_cached_ca(ca):
    again = LabCA.create(ca.directory)
    assert again.certificate == ca.certificate
    assert again.cert_path.read_bytes() == ca.cert_path.read_bytes()


def test_a_ca_that_no_longer_covers_now_is_replaced(tmp_path):
    first = LabCA.create(tmp_path, now=NOW)
    later = LabCA.create(tmp_path, now=NOW + timedelta(days=365 * 20))
    assert later.certificate != first.certificate
    assert LabCA.create(tmp_path, now=NOW + timedelta(days=365 * 20)).certificate == (
        later.certificate
    )


def test_a_damaged_ca_is_replaced(tmp_path):
    first = LabCA.create(tmp_path, now=NOW)
    (tmp_path / "ca-key.pem").write_text("not a key")
    assert LabCA.create(tmp_path, now=NOW).certificate != first.certificate


def test_no_directory_means_a_private_temporary_one():
    ca = LabCA.create()
    assert ca.cert_path.is_file()
    assert ca.issue(["www.example.com"]).fullchain_path.is_file()


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("good", -1, 90),
        ("expiring_soon", -83, 7),
        ("expired", -120, -30),
        ("not_yet_valid", 30, 120),
        ("wrong_name", -1, 90),
        ("self_signed", -1, 90),
    ],
)
def test_validity_follows_the_injected_clock(fixed_ca, kind, start, end):
    issued = fixed_ca.issue(["www.example.com"], kind=kind)
    assert issued.not_before == NOW + timedelta(days=start)
    assert issued.not_after == NOW + timedelta(days=end)


def test_per_issue_clock_override(fixed_ca):
    other = NOW + timedelta(days=10)
    issued = fixed_ca.issue(["www.example.com"], now=other)
    assert issued.not_before == other - timedelta(days=1)


def test_good_leaf_names_chain_and_files(ca):
    issued = ca.issue(["www.example.com", "example.com", "127.0.0.9"])
    cert = x509.load_pem_x509_certificate(issued.cert_pem)
    assert sans(cert) == ["www.example.com", "example.com", "127.0.0.9"]
    assert cert.issuer == ca.certificate.subject
    cert.verify_directly_issued_by(ca.certificate)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert issued.chain_pem == ca.cert_pem
    assert issued.cert_path.read_bytes() == issued.cert_pem
    assert issued.chain_path is not None and issued.chain_path.read_bytes() == ca.cert_pem
    assert issued.fullchain_path.read_bytes() == issued.cert_pem + ca.cert_pem
    assert issued.key_path.read_bytes() == issued.key_pem
    assert stat.S_IMODE(issued.key_path.stat().st_mode) == 0o600


def test_wrong_name_and_self_signed(ca):
    wrong = ca.issue(["www.example.com"], kind="wrong_name")
    assert sans(wrong.certificate) == [WRONG_NAME]
    assert wrong.hostnames == ("www.example.com",)

    own = ca.issue(["www.example.com"], kind="self_signed")
    assert own.certificate.issuer == own.certificate.subject
    own.certificate.verify_directly_issued_by(own.certificate)
    assert own.chain_pem == b"" and own.chain_path is None
    assert own.fullchain_path.read_bytes() == own.cert_pem


@pytest.mark.parametrize(
    ("key", "key_class", "bits"),
    [
        ("ec256", ec.EllipticCurvePublicKey, 256),
        ("rsa2048", rsa.RSAPublicKey, 2048),
        ("rsa1024", rsa.RSAPublicKey, 1024),
    ],
)
def test_key_types(ca, key, key_class, bits):
    issued = ca.issue(["www.example.com"], key=key)
    public = issued.certificate.public_key()
    assert isinstance(public, key_class)
    assert public.key_size == bits


def test_issuing_is_cached(ca):
    first = ca.issue(["Cached.Example.com."])
    assert ca.issue(["cached.example.com"]) is first
    assert ca.issue(["cached.example.com"], kind="expired") is not first
    # Leaf keys are generated once per process and type.
    other = ca.issue(["other.example.com"], key="rsa2048")
    assert other.key_pem == ca.issue(["third.example.com"], key="rsa2048").key_pem
    assert leaf_key("rsa2048") is leaf_key("rsa2048")


def test_bad_arguments(ca):
    with pytest.raises(ValueError, match="kind"):
        ca.issue(["www.example.com"], kind="revoked")
    with pytest.raises(ValueError, match="key"):
        ca.issue(["www.example.com"], key="dsa")
    with pytest.raises(ValueError, match="hostname"):
        ca.issue([])
    with pytest.raises(ValueError, match="timezone"):
        LabCA.create(ca.directory, now=datetime(2026, 1, 1))


async def handshake(
    issued, client: ssl.SSLContext, server_hostname: str, **server_options
) -> ssl.SSLObject:
    """A real TLS handshake on loopback; returns the client's SSL object."""
    context = issued.ssl_context(**server_options)

    async def serve(reader, writer):
        try:
            await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        port = server.sockets[0].getsockname()[1]
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname=server_hostname),
            timeout=5,
        )
        ssl_object = writer.get_extra_info("ssl_object")
        writer.close()
        await writer.wait_closed()
        return ssl_object
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("kind", "key", "verify_code"),
    [
        ("good", "ec256", None),
        ("good", "rsa2048", None),
        ("expiring_soon", "ec256", None),
        ("expired", "ec256", 10),  # X509_V_ERR_CERT_HAS_EXPIRED
        ("not_yet_valid", "ec256", 9),  # X509_V_ERR_CERT_NOT_YET_VALID
        ("wrong_name", "ec256", 62),  # X509_V_ERR_HOSTNAME_MISMATCH
        ("self_signed", "ec256", 18),  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        ("good", "rsa1024", 66),  # X509_V_ERR_EE_KEY_TOO_SMALL, at the default security level
    ],
)
async def test_python_verification_outcome(ca, kind, key, verify_code):
    issued = ca.issue(["www.example.com"], kind=kind, key=key)
    if verify_code is None:
        ssl_object = await handshake(issued, ca.client_context(), "www.example.com")
        assert ssl_object.getpeercert()["subject"] == ((("commonName", "www.example.com"),),)
    else:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            await handshake(issued, ca.client_context(), "www.example.com")
        assert caught.value.verify_code == verify_code


async def test_ca_file_is_what_a_client_trusts(ca):
    client = ssl.create_default_context(cafile=str(ca.cert_path))
    ssl_object = await handshake(ca.issue(["www.example.com"]), client, "www.example.com")
    assert ssl_object.version() == "TLSv1.3"
    stranger = LabCA.create().client_context()  # another lab CA: not the issuer
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        await handshake(ca.issue(["www.example.com"]), stranger, "www.example.com")
    # The server sends leaf + lab root, so an outsider sees a self-signed root in the chain.
    assert caught.value.verify_code == 19  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN


async def test_tls_version_passthrough(ca):
    issued = ca.issue(["www.example.com"])
    ssl_object = await handshake(
        issued, ca.client_context(), "www.example.com", maximum_version=ssl.TLSVersion.TLSv1_2
    )
    assert ssl_object.version() == "TLSv1.2"
    client = ca.client_context()
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    # The server refuses; depending on timing the client sees its alert or just a reset.
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        await handshake(issued, client, "www.example.com", minimum_version=ssl.TLSVersion.TLSv1_3)
