"""The fault injectors, observed from a client with timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import httpx
import pytest

from cyberbasics.lab.faults import FaultServer, require_loopback
from cyberbasics.lab.web import LabWebServer, Response, Site

REQUEST = b"GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n"
SITES = {"www.example.com": Site(routes={"/": Response.text("hello\n")})}


pytestmark = pytest.mark.usefixtures("no_leftover_tasks")


async def connect(server):
    return await asyncio.open_connection(server.host, server.port)


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def test_drop_never_answers():
    async with FaultServer("drop") as server:
        reader, writer = await connect(server)
        writer.write(REQUEST)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), timeout=0.2)
        assert server.active_connections == 1
        await close(writer)


async def test_drop_gives_up_after_max_duration():
    async with FaultServer("drop", max_duration=0.2) as server:
        reader, writer = await connect(server)
        assert await asyncio.wait_for(reader.read(), timeout=2) == b""
        await close(writer)


async def test_reset():
    async with FaultServer("reset") as server:
        reader, writer = await connect(server)
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), timeout=2)
        await close(writer)


async def test_reset_after_delay_resets_a_waiting_client():
    async with FaultServer("reset", delay=0.1) as server:
        reader, writer = await connect(server)
        writer.write(REQUEST)
        started = time.monotonic()
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), timeout=2)
        assert time.monotonic() - started >= 0.05
        await close(writer)


async def test_garbage():
    async with FaultServer("garbage", size=1000, seed=7) as server:
        reader, writer = await connect(server)
        writer.write(REQUEST)
        data = await asyncio.wait_for(reader.read(), timeout=2)
        assert data == random.Random(7).randbytes(1000)
        await close(writer)


async def test_garbage_breaks_an_http_client():
    async with (
        FaultServer("garbage", payload=b"\x00\xffnot http at all\r\n\r\n") as server,
        httpx.AsyncClient(timeout=2) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://{server.host}:{server.port}/")


async def test_slow_trickles_and_trips_read_timeouts():
    async with FaultServer("slow", payload=b"220 slow\r\n", delay=0.03) as server:
        reader, writer = await connect(server)
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(1), timeout=1) == b"2"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.readexactly(9), timeout=0.1)
        rest = await asyncio.wait_for(reader.read(), timeout=2)
        assert len(rest) + 1 <= 10  # some bytes went to the cancelled readexactly
        assert time.monotonic() - started >= 0.2
        await close(writer)

    # A gap between bytes longer than the client's read timeout trips it...
    async with (
        FaultServer("slow", delay=0.3) as server,
        httpx.AsyncClient(timeout=httpx.Timeout(0.1)) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://{server.host}:{server.port}/")

    # ...but a steady trickle defeats per-read timeouts: only an overall deadline stops it.
    async with (
        FaultServer("slow", delay=0.02) as server,
        httpx.AsyncClient(timeout=httpx.Timeout(0.1)) as client,
    ):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await client.get(f"http://{server.host}:{server.port}/")


async def test_slow_whole_payload_arrives():
    async with FaultServer("slow", payload=b"abcdef", delay=0.01) as server:
        reader, writer = await connect(server)
        assert await asyncio.wait_for(reader.read(), timeout=2) == b"abcdef"
        await close(writer)


async def test_huge_is_bounded_in_size():
    size = 3 * 1024 * 1024 + 17
    async with FaultServer("huge", size=size) as server:
        reader, writer = await connect(server)
        writer.write(REQUEST)
        total, first = 0, b""
        while chunk := await asyncio.wait_for(reader.read(1 << 20), timeout=2):
            first = first or chunk
            total += len(chunk)
        assert total == size == server.bytes_sent
        assert first.startswith(b"HTTP/1.1 200 OK\r\n")
        await close(writer)


async def test_huge_is_bounded_in_time():
    async with FaultServer("huge", size=1 << 40, max_duration=0.3) as server:
        reader, writer = await connect(server)
        started, total = time.monotonic(), 0
        while chunk := await asyncio.wait_for(reader.read(1 << 20), timeout=2):
            total += len(chunk)
            await asyncio.sleep(0.005)  # a slow reader: the server blocks on back-pressure
        assert time.monotonic() - started < 2
        assert 0 < total < 1 << 40
        await close(writer)


async def test_delay_proxy_adds_latency_to_a_web_server():
    async with (
        LabWebServer(SITES) as web,
        FaultServer("delay", delay=0.2, target=web.address) as proxy,
    ):
        async with httpx.AsyncClient(timeout=httpx.Timeout(0.05)) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://{proxy.host}:{proxy.port}/")
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as client:
            response = await client.get(f"http://{proxy.host}:{proxy.port}/")
        assert response.text == "hello\n"
        assert time.monotonic() - started >= 0.15
        assert proxy.connections_accepted == 2


async def test_delay_proxy_carries_tls_end_to_end(ca):
    async with (
        LabWebServer(SITES, tls=ca) as web,
        FaultServer("delay", delay=0.05, chunk_delay=0.01, target=web.address) as proxy,
    ):
        async with httpx.AsyncClient(verify=ca.client_context(), timeout=2) as client:
            response = await client.get(
                f"https://{proxy.host}:{proxy.port}/",
                headers={"Host": "www.example.com"},
                extensions={"sni_hostname": "www.example.com"},
            )
        assert response.status_code == 200 and response.text == "hello\n"
        assert web.requests[-1].sni == "www.example.com"


async def test_delay_proxy_to_a_closed_port_just_closes():
    async with FaultServer("drop") as gone:
        target = gone.address
    async with FaultServer("delay", delay=0, target=target) as proxy:
        reader, writer = await connect(proxy)
        assert await asyncio.wait_for(reader.read(), timeout=2) == b""
        await close(writer)
        await asyncio.sleep(0.05)
        assert proxy.errors == []


async def test_connection_count_is_bounded():
    async with FaultServer("drop", max_connections=2) as server:
        clients = [await connect(server) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert await asyncio.wait_for(clients[2][0].read(), timeout=2) == b""
        assert server.active_connections == 2
        assert server.connections_refused == 1
        for _reader, writer in clients:
            await close(writer)


async def test_close_cancels_every_connection_quickly():
    servers = [
        FaultServer("drop", max_duration=60),
        FaultServer("slow", delay=10, max_duration=60),
        FaultServer("huge", size=1 << 40, max_duration=60),
    ]
    clients = []
    for server in servers:
        await server.start()
        clients.append(await connect(server))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    for server in servers:
        assert server.active_connections == 1
        await server.close()
        assert server.active_connections == 0
    assert time.monotonic() - started < 1
    for _reader, writer in clients:
        writer.transport.abort()


def test_bad_configuration():
    with pytest.raises(ValueError, match="kind"):
        FaultServer("explode")
    with pytest.raises(ValueError, match="target"):
        FaultServer("delay")
    with pytest.raises(ValueError, match="127"):
        FaultServer("delay", target=("192.0.2.1", 80))
    with pytest.raises(ValueError, match="127"):
        FaultServer("drop", host="0.0.0.0")
    with pytest.raises(ValueError):
        FaultServer("slow", delay=-1)
    assert require_loopback("127.1.2.3") == "127.1.2.3"
