"""The lab's SMTP server: enough ESMTP for a scanner to check a mail server, and nothing more.

It greets (220), answers EHLO/HELO (advertising STARTTLS when enabled and a certificate is
given), upgrades the same connection on STARTTLS, and accepts NOOP, RSET, QUIT and a whole
MAIL/RCPT/DATA transaction, whose message is read and thrown away: no mail is ever stored or
relayed. Anything else gets 502. Lines, messages, commands and idle time are all bounded.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from dataclasses import dataclass, field

import cyberbasics.net.connect  # noqa: F401 - quiets asyncio's start_tls EOF warning
from cyberbasics.lab.ca import IssuedCert
from cyberbasics.lab.faults import LoopbackServer

MAX_ERRORS = 10  # unknown commands and syntax errors (500-502) before hanging up
MAX_RECIPIENTS = 100


@dataclass
class SmtpSession:
    """What happened in one SMTP connection (kept in :attr:`LabSmtpServer.sessions`)."""

    helo: str | None = None  # the last EHLO/HELO name
    tls_version: str | None = None  # after a successful STARTTLS, e.g. "TLSv1.3"
    commands: list[str] = field(default_factory=list)  # verbs, upper case, in order
    messages: int = 0  # messages received (and discarded)


class _LineTooLong(Exception):
    pass


class LabSmtpServer(LoopbackServer):
    """An asyncio ESMTP server on loopback that never delivers anything."""

    def __init__(
        self,
        *,
        hostname: str = "mx.example.com",
        host: str = "127.0.0.1",
        port: int = 0,
        starttls: bool = True,
        tls: IssuedCert | None = None,
        banner: str | None = None,
        min_tls_version: ssl.TLSVersion | None = None,
        max_tls_version: ssl.TLSVersion | None = None,
        idle_timeout: float = 30.0,
        data_timeout: float = 60.0,
        max_line_length: int = 2048,
        max_message_size: int = 1024 * 1024,
        max_commands: int = 1000,
        max_connections: int = 64,
    ) -> None:
        super().__init__(host=host, port=port, max_connections=max_connections)
        self.hostname = hostname
        self.banner = banner if banner is not None else f"{hostname} ESMTP Cyber Basics lab"
        self.starttls = starttls
        self.tls = tls
        self.min_tls_version = min_tls_version
        self.max_tls_version = max_tls_version
        self.idle_timeout = idle_timeout
        self.data_timeout = data_timeout
        self.stream_limit = max_line_length  # StreamReader limit: a longer line is refused
        self.max_message_size = max_message_size
        self.max_commands = max_commands
        self.sessions: collections.deque[SmtpSession] = collections.deque(maxlen=1000)
        self._tls_context: ssl.SSLContext | None = None
        if starttls and tls is not None:
            self._tls_context = tls.ssl_context(
                minimum_version=min_tls_version, maximum_version=max_tls_version
            )

    @property
    def offers_starttls(self) -> bool:
        return self._tls_context is not None

    # --- the session ------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = SmtpSession()
        self.sessions.append(session)
        await _reply(writer, 220, self.banner)
        state = _State()
        errors = 0
        for _ in range(self.max_commands):
            try:
                line = await self._read_line(reader, self.idle_timeout)
            except TimeoutError:
                await _reply(writer, 421, f"4.4.2 {self.hostname} Error: timeout exceeded")
                return
            except _LineTooLong:
                line = None
            if line is None:
                code = 500
                await _reply(writer, 500, "5.5.6 Error: line too long")
            elif line == "":
                return  # the client closed the connection
            elif not line.strip():
                code = 500
                await _reply(writer, 500, "5.5.2 Error: bad syntax")
            else:
                verb, _, argument = line.rstrip("\r\n").partition(" ")
                verb, argument = verb.upper(), argument.strip()
                session.commands.append(verb[:16])
                handler = getattr(self, f"_cmd_{verb.lower()}", None) if verb.isalpha() else None
                if handler is None:
                    code = 502
                    await _reply(writer, 502, "5.5.2 Error: command not recognized")
                else:
                    code = await handler(reader, writer, argument, state, session)
                    if code is None:
                        return  # QUIT, or a failed STARTTLS
            if code in (500, 501, 502):  # unknown commands and syntax errors
                errors += 1
                if errors >= MAX_ERRORS:
                    await _reply(writer, 421, "4.7.0 Error: too many errors")
                    return
        await _reply(writer, 421, "4.7.0 Error: too many commands")

    async def _read_line(self, reader: asyncio.StreamReader, timeout: float) -> str:
        """One line with its line end ("" at EOF); _LineTooLong past the stream limit."""
        try:
            async with asyncio.timeout(timeout):
                data = await reader.readline()
        except ValueError:
            raise _LineTooLong from None
        if data and not data.endswith(b"\n"):
            return ""  # EOF in the middle of a line
        return data.decode("utf-8", errors="replace")

    # --- commands: each returns the reply code, or None to end the session ----------------

    async def _cmd_ehlo(self, reader, writer, argument, state, session) -> int | None:
        if not argument:
            await _reply(writer, 501, "5.5.4 Syntax: EHLO hostname")
            return 501
        state.reset(greeted=True)
        session.helo = argument
        lines = [f"{self.hostname} greets {argument}", f"SIZE {self.max_message_size}"]
        lines += ["8BITMIME", "ENHANCEDSTATUSCODES"]
        if self.offers_starttls and not state.tls:
            lines.append("STARTTLS")
        await _reply(writer, 250, *lines)
        return 250

    async def _cmd_helo(self, reader, writer, argument, state, session) -> int | None:
        if not argument:
            await _reply(writer, 501, "5.5.4 Syntax: HELO hostname")
            return 501
        state.reset(greeted=True)
        session.helo = argument
        await _reply(writer, 250, self.hostname)
        return 250

    async def _cmd_starttls(self, reader, writer, argument, state, session) -> int | None:
        if not self.offers_starttls:
            await _reply(writer, 502, "5.5.1 Error: STARTTLS not available")
            return 502
        if state.tls:
            await _reply(writer, 503, "5.5.1 Error: TLS already active")
            return 503
        if argument:
            await _reply(writer, 501, "5.5.4 Syntax: STARTTLS")
            return 501
        await _reply(writer, 220, "2.0.0 Ready to start TLS")
        # Anything the client sent after STARTTLS but before the handshake is a plaintext
        # injection attempt (CVE-2011-0411 style): refuse it rather than run it inside TLS.
        if getattr(reader, "_buffer", b""):
            return None
        assert self._tls_context is not None
        await writer.start_tls(self._tls_context, ssl_handshake_timeout=self.ssl_handshake_timeout)
        ssl_object = writer.get_extra_info("ssl_object")
        session.tls_version = ssl_object.version() if ssl_object is not None else None
        state.reset(greeted=False)  # RFC 3207: forget everything, the client must EHLO again
        state.tls = True
        return 220

    async def _cmd_noop(self, reader, writer, argument, state, session) -> int | None:
        await _reply(writer, 250, "2.0.0 OK")
        return 250

    async def _cmd_rset(self, reader, writer, argument, state, session) -> int | None:
        state.reset(greeted=state.greeted)
        await _reply(writer, 250, "2.0.0 OK")
        return 250

    async def _cmd_quit(self, reader, writer, argument, state, session) -> int | None:
        await _reply(writer, 221, "2.0.0 Bye")
        return None

    async def _cmd_mail(self, reader, writer, argument, state, session) -> int | None:
        if not state.greeted:
            await _reply(writer, 503, "5.5.1 Error: send HELO/EHLO first")
            return 503
        if state.mail:
            await _reply(writer, 503, "5.5.1 Error: nested MAIL command")
            return 503
        if not argument.upper().startswith("FROM:"):
            await _reply(writer, 501, "5.5.4 Syntax: MAIL FROM:<address>")
            return 501
        state.mail = True
        await _reply(writer, 250, "2.1.0 OK")
        return 250

    async def _cmd_rcpt(self, reader, writer, argument, state, session) -> int | None:
        if not state.mail:
            await _reply(writer, 503, "5.5.1 Error: need MAIL command")
            return 503
        if not argument.upper().startswith("TO:"):
            await _reply(writer, 501, "5.5.4 Syntax: RCPT TO:<address>")
            return 501
        if state.recipients >= MAX_RECIPIENTS:
            await _reply(writer, 452, "4.5.3 Error: too many recipients")
            return 452
        state.recipients += 1
        await _reply(writer, 250, "2.1.5 OK")
        return 250

    async def _cmd_data(self, reader, writer, argument, state, session) -> int | None:
        if argument:
            await _reply(writer, 501, "5.5.4 Syntax: DATA")
            return 501
        if not state.recipients:
            await _reply(writer, 503, "5.5.1 Error: need RCPT command")
            return 503
        await _reply(writer, 354, "End data with <CR><LF>.<CR><LF>")
        size, too_long = 0, False
        try:
            async with asyncio.timeout(self.data_timeout):
                while True:
                    try:
                        line = await self._read_line(reader, self.idle_timeout)
                    except _LineTooLong:
                        too_long = True
                        continue
                    if line == "":
                        return None  # EOF inside DATA
                    if line.rstrip("\r\n") == ".":
                        break
                    size += len(line)
        except TimeoutError:
            await _reply(writer, 421, f"4.4.2 {self.hostname} Error: timeout exceeded")
            return None
        state.reset(greeted=True)
        if too_long:
            await _reply(writer, 500, "5.5.6 Error: line too long")
            return 500
        if size > self.max_message_size:
            await _reply(writer, 552, "5.3.4 Error: message too big")
            return 552
        session.messages += 1
        await _reply(writer, 250, "2.0.0 OK: message discarded (lab server, nothing is delivered)")
        return 250


class _State:
    def __init__(self) -> None:
        self.tls = False
        self.reset(greeted=False)

    def reset(self, *, greeted: bool) -> None:
        self.greeted = greeted
        self.mail = False
        self.recipients = 0


async def _reply(writer: asyncio.StreamWriter, code: int, *lines: str) -> None:
    lines = lines or ("",)
    text = "".join(
        f"{code}{'-' if index < len(lines) - 1 else ' '}{line}\r\n"
        for index, line in enumerate(lines)
    )
    writer.write(text.encode("utf-8"))
    await writer.drain()
