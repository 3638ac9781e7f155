"""TCP fault injectors for resilience tests, and the loopback server base the lab shares.

:class:`LoopbackServer` is the asyncio TCP server every lab server builds on (web, SMTP and the
fault injectors): it binds only to 127.0.0.0/8, bounds how many connections it serves at once,
and cancels every connection when it closes, so a test leaves no task behind.

:class:`FaultServer` misbehaves on purpose, in one of :data:`FAULT_KINDS`:

``drop``     accept, read and discard, never answer (until ``max_duration``)
``reset``    accept, wait ``delay`` seconds (default 0), then close with a TCP RST
``garbage``  send ``payload`` (default: ``size`` random bytes, 4 KiB) and close
``slow``     trickle ``payload`` one byte every ``delay`` seconds (default 0.05)
``huge``     send ``payload`` then filler up to ``size`` bytes in total (default 16 MiB)
``delay``    wait ``delay`` seconds (default 0.5) then relay to ``target``, a loopback
             ``(host, port)``; ``chunk_delay`` adds latency to every relayed chunk as well

Every connection ends after ``max_duration`` seconds at the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import socket
import ssl
import struct
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

LOOPBACK_NETWORK = ipaddress.IPv4Network("127.0.0.0/8")

FAULT_KINDS = ("drop", "reset", "garbage", "slow", "huge", "delay")

# Errors a peer can cause; a connection that hits one just ends.
PEER_ERRORS = (
    ConnectionError,
    TimeoutError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ssl.SSLError,
    OSError,
)


def require_loopback(host: str) -> str:
    """Return ``host`` if it is an IPv4 loopback address (127.0.0.0/8), else raise ValueError.

    The lab never listens on, or connects to, anything else.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"lab servers use 127.0.0.0/8 addresses only, not {host!r}") from None
    if not isinstance(address, ipaddress.IPv4Address) or address not in LOOPBACK_NETWORK:
        raise ValueError(f"lab servers use 127.0.0.0/8 addresses only, not {host!r}")
    return str(address)


async def close_writer(writer: asyncio.StreamWriter, *, timeout: float = 1.0) -> None:
    """Close gracefully (flush, TLS close_notify) but never wait longer than ``timeout``.

    When the current task is being cancelled the connection is aborted at once instead.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        writer.transport.abort()
        return
    try:
        writer.close()
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except asyncio.CancelledError:
        writer.transport.abort()
        raise
    except Exception:
        writer.transport.abort()


async def cancel_and_wait(*tasks: asyncio.Task[object]) -> None:
    """Cancel ``tasks`` and wait until they are done, without raising their exceptions."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # mark as retrieved


class LoopbackServer:
    """An asyncio TCP (or TLS) server on loopback that tracks and cleans up its connections.

    Use as ``async with Server(...) as server:`` (or ``await start()`` / ``await close()``).
    Subclasses implement :meth:`handle`; peer errors end a connection quietly, anything else is
    logged and kept in :attr:`errors` (tests assert it is empty).
    """

    stream_limit = 64 * 1024  # StreamReader buffer limit: bounds a line or header block
    ssl_handshake_timeout = 5.0

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, max_connections: int = 64):
        self.host = require_loopback(host)
        self.port = port
        self.max_connections = max_connections
        self.connections_accepted = 0
        self.connections_refused = 0
        self.errors: list[BaseException] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- lifecycle ------------------------------------------------------------------------

    def server_ssl_context(self) -> ssl.SSLContext | None:
        """The context to wrap accepted connections in (None: plain TCP)."""
        return None

    async def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("server already started")
        context = self.server_ssl_context()
        self._server = await asyncio.start_server(
            self._on_connect,
            self.host,
            self.port,
            limit=self.stream_limit,
            ssl=context,
            ssl_handshake_timeout=self.ssl_handshake_timeout if context else None,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening, cancel every connection and wait for them to finish."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def serve_forever(self) -> None:
        """Start if needed and serve until cancelled (for ``cyberbasics lab``)."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.shield(self.close())

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def active_connections(self) -> int:
        return len(self._tasks)

    # --- connections ----------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if self._server is None or len(self._tasks) >= self.max_connections:
            self.connections_refused += 1
            writer.transport.abort()
            return
        self.connections_accepted += 1
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        try:
            await self.handle(reader, writer)
        except PEER_ERRORS as exc:
            log.debug("%s: connection ended: %r", type(self).__name__, exc)
        except asyncio.CancelledError:
            # Only close() (or the loop shutting down) cancels a connection. End normally:
            # Python 3.11's asyncio.streams logs a cancelled client_connected_cb task as an
            # error, and nothing awaits this task but close().
            writer.transport.abort()
        except Exception as exc:
            self.errors.append(exc)
            log.exception("%s: connection handler failed", type(self).__name__)
        finally:
            try:
                await close_writer(writer)
            except asyncio.CancelledError:
                writer.transport.abort()
            finally:
                self._writers.discard(writer)
                self._tasks.discard(task)  # type: ignore[arg-type]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


async def _discard(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass


def _set_linger_zero(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


_DEFAULT_DELAY = {"reset": 0.0, "slow": 0.05, "delay": 0.5}
_DEFAULT_SIZE = {"garbage": 4096, "huge": 16 * 1024 * 1024}
_SLOW_PAYLOAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_HUGE_PAYLOAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
_FILLER = b"A" * 65536


class FaultServer(LoopbackServer):
    """A TCP server that fails in one particular way (see the module documentation)."""

    def __init__(
        self,
        kind: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float | None = None,
        payload: bytes | None = None,
        target: tuple[str, int] | None = None,
        size: int | None = None,
        chunk_delay: float = 0.0,
        max_duration: float = 10.0,
        max_connections: int = 64,
        seed: int | None = None,
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        super().__init__(host=host, port=port, max_connections=max_connections)
        self.kind = kind
        self.delay = _DEFAULT_DELAY.get(kind, 0.0) if delay is None else delay
        self.size = _DEFAULT_SIZE.get(kind, 0) if size is None else size
        if self.delay < 0 or self.size < 0 or chunk_delay < 0 or max_duration <= 0:
            raise ValueError("delay, size and chunk_delay must be >= 0, max_duration > 0")
        self.chunk_delay = chunk_delay
        self.max_duration = max_duration
        if kind == "delay":
            if target is None:
                raise ValueError("a 'delay' fault needs target=(host, port) to relay to")
            target = (require_loopback(target[0]), int(target[1]))
        self.target = target
        if payload is None:
            if kind == "garbage":
                payload = random.Random(seed).randbytes(self.size)
            elif kind == "slow":
                payload = _SLOW_PAYLOAD
            elif kind == "huge":
                payload = _HUGE_PAYLOAD
        self.payload = payload or b""
        self.bytes_sent = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        behaviour = getattr(self, f"_{self.kind}")
        drain_input: asyncio.Task[None] | None = None
        if self.kind in ("garbage", "slow", "huge"):
            # Keep reading what the client sends, so closing doesn't turn into an RST.
            drain_input = asyncio.create_task(_discard(reader))
        try:
            async with asyncio.timeout(self.max_duration):
                await behaviour(reader, writer)
                if drain_input is not None:
                    await self._half_close(writer, drain_input)
        except TimeoutError:
            pass
        finally:
            if drain_input is not None:
                await cancel_and_wait(drain_input)

    async def _half_close(self, writer: asyncio.StreamWriter, drain_input: asyncio.Task[None]):
        """Send FIN and give the client a moment to finish, so it reads everything we sent."""
        if writer.can_write_eof():
            writer.write_eof()
        with contextlib.suppress(TimeoutError, *PEER_ERRORS):
            async with asyncio.timeout(1.0):
                await drain_input

    def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        self.bytes_sent += len(data)

    async def _drop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _discard(reader)  # until the client gives up, or max_duration

    async def _reset(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        _set_linger_zero(writer)
        writer.transport.abort()

    async def _garbage(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._send(writer, self.payload)
        await writer.drain()

    async def _slow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index in range(len(self.payload)):
            self._send(writer, self.payload[index : index + 1])
            await writer.drain()
            await asyncio.sleep(self.delay)

    async def _huge(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        remaining = self.size
        prefix = self.payload[:remaining]
        self._send(writer, prefix)
        remaining -= len(prefix)
        while remaining > 0:
            chunk = _FILLER[:remaining]
            self._send(writer, chunk)
            remaining -= len(chunk)
            await writer.drain()

    async def _delay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        assert self.target is not None
        up_reader, up_writer = await asyncio.open_connection(*self.target, limit=self.stream_limit)
        try:
            pumps = (
                asyncio.create_task(self._pump(reader, up_writer)),
                asyncio.create_task(self._pump(up_reader, writer)),
            )
            try:
                done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()  # a reset on one side ends both
            finally:
                await cancel_and_wait(*pumps)
        finally:
            await close_writer(up_writer)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            self._send(sink, data)
            await sink.drain()
        if sink.can_write_eof() and not sink.transport.is_closing():
            sink.write_eof()
