"""The lab SMTP server, through smtplib (in a thread) and a small asyncio client."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl

import pytest

from cyberbasics.lab.smtp import LabSmtpServer

MX = "mx.example.com"


pytestmark = pytest.mark.usefixtures("no_leftover_tasks")


class LabSMTP(smtplib.SMTP):
    """smtplib that connects to the lab port whatever host it is given, so that STARTTLS
    checks the certificate against the real MX name (smtplib uses the host it was given)."""

    def __init__(self, host: str, lab_port: int) -> None:
        self.lab_port = lab_port
        super().__init__(host, 25, timeout=5)

    def _get_socket(self, host, port, timeout):
        return socket.create_connection(("127.0.0.1", self.lab_port), timeout)


class Client:
    """A line-by-line asyncio SMTP client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, server: LabSmtpServer) -> tuple[Client, int, list[str]]:
        client = cls(*await asyncio.open_connection(server.host, server.port))
        code, lines = await client.reply()
        return client, code, lines

    async def reply(self) -> tuple[int, list[str]]:
        lines = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout=3)
            if not line:
                raise EOFError("server closed the connection")
            text = line.decode().rstrip("\r\n")
            lines.append(text[4:])
            if text[3:4] != "-":
                return int(text[:3]), lines

    async def command(self, text: str | bytes) -> tuple[int, list[str]]:
        self.writer.write(text if isinstance(text, bytes) else text.encode() + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), timeout=3) == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


async def test_plain_conversation_with_smtplib():
    async with LabSmtpServer(banner="mx.example.com ESMTP Postfix (Debian)") as server:

        def converse():
            with LabSMTP(MX, server.port) as smtp:
                code, banner = smtp.ehlo("scanner.example.org")
                assert code == 250
                assert smtp.has_extn("size") and smtp.has_extn("8bitmime")
                assert not smtp.has_extn("starttls")  # no certificate given
                assert smtp.noop()[0] == 250
                refused = smtp.sendmail(
                    "a@example.org", ["b@example.com", "c@example.com"], "Subject: hi\r\n\r\nbody"
                )
                assert refused == {}
                assert smtp.rset()[0] == 250
                assert smtp.docmd("VRFY", "postmaster")[0] == 502
                with pytest.raises(smtplib.SMTPNotSupportedError):
                    smtp.starttls()
                return smtp.sock is not None, banner

        connected, banner = await asyncio.to_thread(converse)
        assert connected and banner.startswith(b"mx.example.com greets scanner.example.org")
        session = server.sessions[-1]
        assert session.messages == 1 and session.helo == "scanner.example.org"
        assert session.tls_version is None
        assert server.errors == []


async def test_banner():
    async with LabSmtpServer(banner="custom banner here") as server:
        client, code, lines = await Client.connect(server)
        assert (code, lines) == (220, ["custom banner here"])
        assert await client.command("QUIT") == (221, ["2.0.0 Bye"])
        assert await client.closed()
        await client.close()
    async with LabSmtpServer(hostname="mail.example.net") as server:
        client, code, lines = await Client.connect(server)
        assert lines == ["mail.example.net ESMTP Cyber Basics lab"]
        await client.close()


async def test_starttls_with_smtplib_validates_against_the_lab_ca(ca):
    async with LabSmtpServer(tls=ca.issue([MX])) as server:

        def converse():
            with LabSMTP(MX, server.port) as smtp:
                smtp.ehlo("scanner.example.org")
                assert smtp.has_extn("starttls")
                assert smtp.starttls(context=ca.client_context())[0] == 220
                smtp.ehlo("scanner.example.org")
                assert not smtp.has_extn("starttls")
                smtp.sendmail("a@example.org", ["b@example.com"], "Subject: x\r\n\r\ny")
                return smtp.sock.version()

        assert await asyncio.to_thread(converse) == "TLSv1.3"
        assert server.sessions[-1].tls_version == "TLSv1.3"
        assert server.sessions[-1].messages == 1


async def test_starttls_upgrade_with_asyncio(ca):
    async with LabSmtpServer(tls=ca.issue([MX])) as server:
        client, code, _ = await Client.connect(server)
        assert code == 220
        code, features = await client.command("EHLO scanner.example.org")
        assert code == 250 and "STARTTLS" in features
        assert (await client.command("MAIL FROM:<a@example.org>"))[0] == 250
        assert (await client.command("STARTTLS"))[0] == 220
        await client.writer.start_tls(ca.client_context(), server_hostname=MX)
        ssl_object = client.writer.get_extra_info("ssl_object")
        assert ssl_object.getpeercert()["subject"] == ((("commonName", MX),),)
        # TLS forgets the session: EHLO again, and no STARTTLS offered any more.
        assert (await client.command("MAIL FROM:<a@example.org>"))[0] == 503
        code, features = await client.command("EHLO scanner.example.org")
        assert code == 250 and "STARTTLS" not in features
        assert (await client.command("STARTTLS"))[0] == 503
        assert (await client.command("QUIT"))[0] == 221
        await client.close()


@pytest.mark.parametrize(("kind", "verify_code"), [("wrong_name", 62), ("expired", 10)])
async def test_starttls_certificate_problems_fail_validation(ca, kind, verify_code):
    async with LabSmtpServer(tls=ca.issue([MX], kind=kind)) as server:
        client, _, _ = await Client.connect(server)
        await client.command("EHLO scanner.example.org")
        assert (await client.command("STARTTLS"))[0] == 220
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            await client.writer.start_tls(ca.client_context(), server_hostname=MX)
        assert caught.value.verify_code == verify_code
        client.writer.transport.abort()
        await asyncio.sleep(0.05)
        assert server.errors == []


async def test_starttls_not_offered_when_disabled(ca):
    async with LabSmtpServer(tls=ca.issue([MX]), starttls=False) as server:
        client, _, _ = await Client.connect(server)
        _, features = await client.command("EHLO scanner.example.org")
        assert "STARTTLS" not in features
        assert (await client.command("STARTTLS"))[0] == 502
        await client.close()


async def test_starttls_refuses_plaintext_injection(ca):
    async with LabSmtpServer(tls=ca.issue([MX])) as server:
        client, _, _ = await Client.connect(server)
        await client.command("EHLO scanner.example.org")
        code, _ = await client.command(b"STARTTLS\r\nNOOP\r\n")
        assert code == 220
        assert await client.closed()  # the injected NOOP was never answered
        await client.close()


async def test_min_tls_version_passthrough(ca):
    async with LabSmtpServer(tls=ca.issue([MX]), min_tls_version=ssl.TLSVersion.TLSv1_3) as server:
        client, _, _ = await Client.connect(server)
        await client.command("EHLO scanner.example.org")
        await client.command("STARTTLS")
        context = ca.client_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await client.writer.start_tls(context, server_hostname=MX)
        client.writer.transport.abort()


async def test_command_sequence_and_syntax_errors():
    async with LabSmtpServer() as server:
        client, _, _ = await Client.connect(server)
        assert (await client.command("MAIL FROM:<a@example.org>"))[0] == 503  # no EHLO yet
        assert (await client.command("EHLO"))[0] == 501
        assert (await client.command("HELO scanner.example.org")) == (250, ["mx.example.com"])
        assert (await client.command("RCPT TO:<b@example.com>"))[0] == 503  # no MAIL
        assert (await client.command("DATA"))[0] == 503
        assert (await client.command("MAIL TO:<a@example.org>"))[0] == 501
        assert (await client.command("MAIL FROM:<a@example.org>"))[0] == 250
        assert (await client.command("MAIL FROM:<a@example.org>"))[0] == 503  # nested
        assert (await client.command("RCPT FROM:<b@example.com>"))[0] == 501
        assert (await client.command("RCPT TO:<b@example.com>"))[0] == 250
        assert (await client.command("DATA now"))[0] == 501
        assert (await client.command("DATA"))[0] == 354
        code, _ = await client.command(b"Subject: x\r\n\r\n..leading dot\r\n.\r\n")
        assert code == 250
        assert (await client.command("XYZZY"))[0] == 502
        assert (await client.command(""))[0] == 500
        assert (await client.command("noop"))[0] == 250  # verbs are case-insensitive
        await client.close()


async def test_long_lines_and_big_messages_are_refused():
    async with LabSmtpServer(max_line_length=100, max_message_size=1000) as server:
        client, _, _ = await Client.connect(server)
        assert (await client.command("NOOP " + "x" * 500))[0] == 500
        await asyncio.sleep(0.05)  # the rest of the long line may come back as junk
        while True:
            code, _ = await client.command("NOOP")
            if code == 250:
                break
        await client.command("EHLO scanner.example.org")
        await client.command("MAIL FROM:<a@example.org>")
        await client.command("RCPT TO:<b@example.com>")
        assert (await client.command("DATA"))[0] == 354
        code, _ = await client.command(b"line\r\n" * 300 + b".\r\n")
        assert code == 552
        assert (await client.command("NOOP"))[0] == 250  # the session carries on
        assert server.sessions[-1].messages == 0
        await client.close()


async def test_too_many_errors_hangs_up():
    async with LabSmtpServer() as server:
        client, _, _ = await Client.connect(server)
        for _ in range(9):
            assert (await client.command("BOGUS"))[0] == 502
        code, _ = await client.command("BOGUS")
        assert code == 502
        assert (await client.reply())[0] == 421
        assert await client.closed()
        await client.close()


async def test_idle_timeout():
    async with LabSmtpServer(idle_timeout=0.2) as server:
        client, _, _ = await Client.connect(server)
        code, lines = await client.reply()
        assert code == 421 and "timeout" in lines[0]
        assert await client.closed()
        await client.close()


async def test_eof_in_the_middle_is_harmless():
    async with LabSmtpServer() as server:
        client, _, _ = await Client.connect(server)
        await client.command("EHLO scanner.example.org")
        client.writer.write(b"MAIL FROM:<half")
        client.writer.write_eof()
        assert await client.closed()
        await client.close()
        await asyncio.sleep(0.05)
        assert server.errors == [] and server.active_connections == 0


async def test_close_ends_open_sessions():
    server = await LabSmtpServer().start()
    client, _, _ = await Client.connect(server)
    await server.close()
    assert await client.closed()
    await client.close()


def test_only_loopback():
    with pytest.raises(ValueError):
        LabSmtpServer(host="10.0.0.25")
