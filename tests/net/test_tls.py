"""One handshake tells both the protocol and whether the certificate verifies."""

import asyncio
import ssl

import pytest

from cyberbasics.lab.ca import LabCA
from cyberbasics.net.connect import client_tls_context
from cyberbasics.net.tls import handshake

NAME = "mx.tls.example"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LabCA.create(tmp_path_factory.mktemp("ca"))


async def shake(ca, kind, *, maximum=None, minimum=None, ciphers=None):
    context = ca.issue([NAME], kind=kind).ssl_context(minimum_version=minimum,
                                                      maximum_version=maximum)
    if ciphers:
        context.set_ciphers(ciphers)

    async def serve(reader, writer):
        await reader.read(1)  # hold the connection until the client is done
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await handshake(reader, writer, client_tls_context(ca.cert_path), NAME, 5)
        finally:
            writer.close()
    finally:
        server.close()


async def test_good_certificate(ca):
    result = await shake(ca, "good")
    assert (result.protocol, result.certificate_valid) == ("TLSv1.3", True)
    assert result.certificate_der


@pytest.mark.parametrize(("kind", "reason"), [
    ("expired", "expired"), ("wrong_name", "Hostname mismatch"),
    ("self_signed", "self-signed"), ("not_yet_valid", "not yet valid")])
async def test_bad_certificates_still_show_the_protocol(ca, kind, reason):
    result = await shake(ca, kind)
    assert result.certificate_valid is False
    assert reason in result.certificate_error
    assert result.protocol == "TLSv1.3"


@pytest.mark.parametrize(("minimum", "maximum", "ciphers"), [
    (None, ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256"),
    (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"),
])
async def test_before_tls13_a_bad_certificate_hides_the_protocol(ca, minimum, maximum,
                                                                  ciphers):
    # OpenSSL names the suite only once a TLS 1.2 handshake completes; the caller asks
    # again without verification to learn the version (see scan/evidence/mail_transport).
    result = await shake(ca, "expired", minimum=minimum, maximum=maximum, ciphers=ciphers)
    assert (result.protocol, result.certificate_valid) == (None, False)


async def test_old_protocol_with_a_good_certificate(ca):
    result = await shake(ca, "good", minimum=ssl.TLSVersion.TLSv1,
                         maximum=ssl.TLSVersion.TLSv1_1)
    assert (result.protocol, result.certificate_valid) == ("TLSv1.1", True)
