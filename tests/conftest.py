"""Suite-wide guard: tests talk to loopback only, and never to the system resolver.

Anything that tries to reach another address, or that lets dnspython (or another
library) read /etc/resolv.conf, fails the test at once instead of leaking traffic.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import tempfile
import threading

import dns.resolver
import pytest

from cyberbasics.lab.world import running_world

# Hermetic: no test (nor a command a test runs) reads a developer's updated vulnerability
# dataset or shares lock files with a scan running on this machine.
_PRIVATE = tempfile.mkdtemp(prefix="cyberbasics-tests-")
os.environ["CYBERBASICS_DATA_DIR"] = os.path.join(_PRIVATE, "data")
os.environ["CYBERBASICS_LOCK_DIR"] = os.path.join(_PRIVATE, "locks")


class NetworkEscape(AssertionError):
    pass


def _is_loopback(address) -> bool:
    if isinstance(address, str | bytes):
        return True  # a Unix socket path
    if not isinstance(address, tuple):
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkEscape(f"test tried to connect to {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkEscape(f"test tried to connect to {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


def _guarded_sendto(self, data, *args):
    address = args[-1]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkEscape(f"test tried to send to {address!r}: only loopback is allowed")
    return _real_sendto(self, data, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost") and not _is_loopback((host if isinstance(host, str)
                                                              else host.decode(), 0)):
        raise NetworkEscape(f"test tried to resolve {host!r} with the system resolver")
    return _real_getaddrinfo(host, *args, **kwargs)


def _no_system_resolver(*args, **kwargs):
    raise NetworkEscape("test tried to use the system resolver (/etc/resolv.conf)")


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.socket.sendto = _guarded_sendto
socket.getaddrinfo = _guarded_getaddrinfo
dns.resolver.Resolver.read_resolv_conf = _no_system_resolver


@pytest.fixture(autouse=True)
def _lab_mode_env(monkeypatch):
    monkeypatch.setenv("CYBERBASICS_LAB", "1")


# The demo world running in a background thread, shared by the session, so that tests and
# CLI commands (which run their own event loop) can scan it.
@pytest.fixture(scope="session")
def world(tmp_path_factory):
    ready = threading.Event()
    holder = {}
    loop = asyncio.new_event_loop()

    async def serve():
        async with running_world(directory=tmp_path_factory.mktemp("lab")) as running:
            holder["world"] = running
            holder["stop"] = asyncio.Event()
            ready.set()
            await holder["stop"].wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(30), "the lab did not start"
    yield holder["world"]
    loop.call_soon_threadsafe(holder["stop"].set)
    thread.join(10)
