"""One ClientHello to a checked address, and the server's first answer.

Used to ask whether a server still accepts an old protocol version or a class of weak
suites; see `protocols/tls_hello.py` for why these hellos are built by hand.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..config import ScanConfig
from ..protocols.tls_hello import ServerAnswer, client_hello, read_server_hello
from .connect import open_checked
from .guard import TargetRefused

_READ = 4096


@dataclass(frozen=True)
class HelloProbe:
    answer: ServerAnswer | None  # None: no answer could be had (see error)
    error: str | None = None

    @property
    def accepted(self) -> bool | None:
        """True/False when the server answered; None when it could not be asked."""
        if self.answer is None:
            return None
        if self.answer.kind == "other":
            return None
        return self.answer.accepted


async def hello_probe(config: ScanConfig, address: str, port: int, server_name: str | None,
                      version: int, ciphers: tuple[int, ...], *, limiter=None) -> HelloProbe:
    """Send a ClientHello offering `ciphers` at `version`; never raises."""
    hello = client_hello(version, ciphers, server_name)
    writer = None
    try:
        reader, writer = await open_checked(config, address, port, limiter=limiter)
        writer.write(hello)
        await writer.drain()
        answer = await asyncio.wait_for(_answer(reader), config.timeout)
        if answer.accepted and answer.cipher not in ciphers:
            # Not an answer to our question: a broken server, or not the server we think.
            answer = ServerAnswer("other", detail=f"the server chose suite {answer.cipher:#06x}, "
                                                  "which was not offered")
        return HelloProbe(answer)
    except TargetRefused as exc:
        return HelloProbe(None, str(exc))
    except TimeoutError:
        return HelloProbe(None, f"no answer within {config.timeout:g} s")
    except ConnectionResetError:
        # Some servers reset rather than alert when nothing offered suits them.
        return HelloProbe(ServerAnswer("closed"))
    except OSError as exc:
        return HelloProbe(None, f"{exc.__class__.__name__}: {exc}")
    finally:
        if writer is not None:
            writer.close()


async def _answer(reader: asyncio.StreamReader) -> ServerAnswer:
    data = b""
    while True:
        chunk = await reader.read(_READ)
        data += chunk
        answer = read_server_hello(data, complete=not chunk)
        if answer is not None:
            return answer
