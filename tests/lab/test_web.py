"""The lab web server, through real clients: raw sockets, ssl and httpx."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest
from cryptography import x509

from cyberbasics.lab.ca import WRONG_NAME
from cyberbasics.lab.web import LabWebServer, Response, Site, normalise_host

POLICY = b"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"
MTA_STS = "mta-sts.example.com"


pytestmark = pytest.mark.usefixtures("no_leftover_tasks")


def sites() -> dict[str, Site]:
    return {
        "www.example.com": Site(
            routes={
                "/": Response.text("home of www\n", content_type="text/html"),
                "/robots.txt": Response.text("User-agent: *\n"),
            }
        ),
        MTA_STS: Site(
            routes={
                "/.well-known/mta-sts.txt": Response(
                    headers=(("Content-Type", "text/plain"),), body=POLICY
                )
            }
        ),
        "example.com": Site(redirect_to="https://www.example.com"),
        "expired.example.com": Site(cert_kind="expired", routes={"/": Response.text("old\n")}),
        "wrong.example.com": Site(cert_kind="wrong_name"),
        "self.example.com": Site(cert_kind="self_signed"),
        "*.wild.example.com": Site(routes={"/": Response.text("wildcard\n")}),
    }


async def exchange(server: LabWebServer, data: bytes, *, sni: str | None = None, ca=None) -> bytes:
    """Send raw bytes, read until the server closes."""
    context = ca.client_context() if ca is not None else None
    reader, writer = await asyncio.open_connection(
        server.host, server.port, ssl=context, server_hostname=sni if context else None
    )
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=3)
    finally:
        writer.close()
        await writer.wait_closed()


def get(host: str, path: str = "/", *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def header_of(response: bytes, name: str) -> str | None:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return value.strip()
    return None


def body_of(response: bytes) -> bytes:
    return response.split(b"\r\n\r\n", 1)[1]


async def test_mta_sts_policy_over_https_with_httpx(ca):
    async with LabWebServer(sites(), tls=ca) as server:
        async with httpx.AsyncClient(verify=ca.client_context()) as client:
            response = await client.get(
                server.url("/.well-known/mta-sts.txt"),
                headers={"Host": MTA_STS},
                extensions={"sni_hostname": MTA_STS},
            )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain"
        assert response.content == POLICY
        assert server.requests[-1].site == MTA_STS
        assert server.requests[-1].sni == MTA_STS
        assert server.errors == []


async def test_httpx_keeps_the_connection_alive(ca):
    async with LabWebServer(sites(), tls=ca) as server:
        async with httpx.AsyncClient(verify=ca.client_context()) as client:
            for path, status in [("/", 200), ("/robots.txt", 200), ("/missing", 404)]:
                response = await client.get(
                    server.url(path),
                    headers={"Host": "www.example.com"},
                    extensions={"sni_hostname": "www.example.com"},
                )
                assert response.status_code == status
        assert server.connections_accepted == 1


async def test_sni_picks_each_sites_certificate(ca):
    async with LabWebServer(sites(), tls=ca) as server:
        response = await exchange(server, get("www.example.com"), sni="www.example.com", ca=ca)
        assert status_of(response) == 200 and body_of(response) == b"home of www\n"

        expected_codes = {
            "expired.example.com": 10,  # certificate has expired
            "wrong.example.com": 62,  # hostname mismatch
            "self.example.com": 18,  # self-signed certificate
        }
        for name, code in expected_codes.items():
            with pytest.raises(ssl.SSLCertVerificationError) as caught:
                await exchange(server, get(name), sni=name, ca=ca)
            assert caught.value.verify_code == code, name
        assert server.errors == []


async def peer_certificate(server: LabWebServer, sni: str | None) -> x509.Certificate:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _reader, writer = await asyncio.open_connection(
        server.host, server.port, ssl=context, server_hostname=sni
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der)
    finally:
        writer.close()
        await writer.wait_closed()


def san_names(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return ext.get_values_for_type(x509.DNSName)


async def test_unknown_or_missing_sni_gets_the_default_certificate(ca):
    async with LabWebServer(sites(), tls=ca, default_site="www.example.com") as server:
        assert san_names(await peer_certificate(server, "nobody.example.org")) == [
            "www.example.com"
        ]
        assert san_names(await peer_certificate(server, None)) == ["www.example.com"]
        assert san_names(await peer_certificate(server, "wrong.example.com")) == [WRONG_NAME]
        assert san_names(await peer_certificate(server, "a.wild.example.com")) == [
            "*.wild.example.com"
        ]
        assert server.certificate_for("EXPIRED.example.com.").kind == "expired"


async def test_wildcard_site_validates_and_routes(ca):
    async with LabWebServer(sites(), tls=ca) as server:
        response = await exchange(
            server, get("a.wild.example.com"), sni="a.wild.example.com", ca=ca
        )
        assert body_of(response) == b"wildcard\n"


async def test_routing_by_host_header_over_plain_http():
    async with LabWebServer(sites(), default_site="www.example.com") as server:
        assert server.url("/x") == f"http://127.0.0.1:{server.port}/x"
        response = await exchange(server, get("WWW.Example.COM.:8080", "/robots.txt"))
        assert body_of(response) == b"User-agent: *\n"
        assert header_of(response, "Content-Type") == "text/plain"
        assert header_of(response, "Content-Length") == "14"
        assert header_of(response, "Connection") == "close"

        # An unknown host is served by the default site.
        assert body_of(await exchange(server, get("unknown.example.net"))) == b"home of www\n"
        # The query string does not take part in routing.
        assert status_of(await exchange(server, get("www.example.com", "/robots.txt?x=1"))) == 200
        assert status_of(await exchange(server, get("www.example.com", "/nope"))) == 404
        # The absolute form names the host itself.
        absolute = get("ignored.example", f"http://{MTA_STS}/.well-known/mta-sts.txt")
        assert body_of(await exchange(server, absolute)) == POLICY


async def test_redirect_keeps_path_and_query():
    async with LabWebServer(sites()) as server:
        response = await exchange(server, get("example.com", "/a/b?c=d"))
        assert status_of(response) == 301
        assert header_of(response, "Location") == "https://www.example.com/a/b?c=d"


async def test_head_and_methods():
    async with LabWebServer(sites()) as server:
        head = await exchange(
            server, b"HEAD / HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n"
        )
        assert status_of(head) == 200 and body_of(head) == b""
        assert header_of(head, "Content-Length") == str(len(b"home of www\n"))
        post = await exchange(
            server,
            b"POST / HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 3\r\n"
            b"Connection: close\r\n\r\nabc",
        )
        assert status_of(post) == 405 and header_of(post, "Allow") == "GET, HEAD"


async def test_keep_alive_then_close_on_one_connection():
    async with LabWebServer(sites()) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            writer.write(b"GET /robots.txt HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            writer.write(get("www.example.com", "/nope"))
            data = await asyncio.wait_for(reader.read(), timeout=3)
        finally:
            writer.close()
            await writer.wait_closed()
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert data.count(b"HTTP/1.1 404 Not Found") == 1
        assert data.count(b"Connection: keep-alive") == 2
        assert server.connections_accepted == 1


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"garbage\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        (b"GET nothing HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 20000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: a", 400),  # cut short
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)), 400),  # TLS to HTTP
    ],
)
async def test_bad_requests_get_an_error_and_the_server_carries_on(request_bytes, status):
    async with LabWebServer(sites()) as server:
        context_reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(request_bytes)
            if not request_bytes.endswith(b"\r\n\r\n"):
                writer.write_eof()
            response = await asyncio.wait_for(context_reader.read(), timeout=3)
        finally:
            writer.close()
            await writer.wait_closed()
        assert status_of(response) == status
        assert header_of(response, "Connection") == "close"
        assert status_of(await exchange(server, get("www.example.com"))) == 200
        assert server.errors == []


async def test_idle_connections_are_closed():
    async with LabWebServer(sites(), idle_timeout=0.2) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            assert await asyncio.wait_for(reader.read(), timeout=2) == b""
        finally:
            writer.close()
            await writer.wait_closed()


async def test_closing_the_server_ends_open_connections():
    server = LabWebServer(sites())
    await server.start()
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET / HTTP/1.1\r\n")  # an unfinished request, server waiting for more
    await writer.drain()
    await asyncio.sleep(0.05)
    assert server.active_connections == 1
    await server.close()
    assert server.active_connections == 0
    assert await asyncio.wait_for(reader.read(), timeout=2) == b""
    writer.close()
    await writer.wait_closed()
    with pytest.raises(OSError):
        await asyncio.open_connection(server.host, server.port)


async def test_connection_limit():
    async with LabWebServer(sites(), max_connections=1) as server:
        first = await asyncio.open_connection(server.host, server.port)
        await asyncio.sleep(0.05)
        second_reader, second_writer = await asyncio.open_connection(server.host, server.port)
        try:
            assert await asyncio.wait_for(second_reader.read(), timeout=2) == b""
        finally:
            for writer in (second_writer, first[1]):
                writer.close()
                await writer.wait_closed()
        assert server.connections_refused == 1


async def test_tls_version_passthrough(ca):
    async with LabWebServer(sites(), tls=ca, max_tls_version=ssl.TLSVersion.TLSv1_2) as server:
        _reader, writer = await asyncio.open_connection(
            server.host, server.port, ssl=ca.client_context(), server_hostname="www.example.com"
        )
        assert writer.get_extra_info("ssl_object").version() == "TLSv1.2"
        writer.close()
        await writer.wait_closed()
    async with LabWebServer(sites(), tls=ca, min_tls_version=ssl.TLSVersion.TLSv1_3) as server:
        client = ca.client_context()
        client.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await asyncio.open_connection(
                server.host, server.port, ssl=client, server_hostname="www.example.com"
            )


async def test_another_loopback_address():
    async with LabWebServer(sites(), host="127.0.0.7") as server:
        assert server.address[0] == "127.0.0.7"
        assert status_of(await exchange(server, get("www.example.com"))) == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost", "::1", "example.com"])
def test_only_loopback_addresses(host):
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        LabWebServer(sites(), host=host)


def test_configuration_errors(ca):
    with pytest.raises(ValueError, match="default_site"):
        LabWebServer(sites(), default_site="nope.example.com")
    with pytest.raises(ValueError, match="at least one site"):
        LabWebServer({}, tls=ca)
    with pytest.raises(ValueError, match="kind"):
        Site(cert_kind="bogus")
    with pytest.raises(ValueError, match="route"):
        Site(routes={"no-slash": Response()})
    with pytest.raises(ValueError, match="header"):
        Response(headers=(("X-Evil", "a\r\nSet-Cookie: b"),))


def test_normalise_host():
    assert normalise_host("Example.COM.:8443") == "example.com"
    assert normalise_host("[::1]:80") == "[::1]"
    assert normalise_host("example.com") == "example.com"
