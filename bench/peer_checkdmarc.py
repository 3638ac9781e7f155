"""Peer benchmark: the open-source checker checkdmarc, run over the lab's domains.

Runs checkdmarc (tested with 6.0.4) the way a user wanting speed would: its Python API, one
``checkdmarc.check_domains([domain], ...)`` call per domain in a thread pool, pointed at the
lab's DNS server. Reports wall time, this process's CPU time and the DNS queries it sent.

    python bench/peer_checkdmarc.py --nameserver 127.0.0.1:5353 --file domains.txt --threads 32

What was read in checkdmarc's source to do this (``checkdmarc/__init__.py``, ``utils.py``,
``dnssec.py``, ``smtp.py``, ``mta_sts.py``, ``bimi.py``):

* ``check_domains()`` is what its CLI calls; for each domain it runs check_dnssec, check_soa,
  check_ns, check_mta_sts, check_mx, check_spf, check_dmarc, check_smtp_tls_reporting and
  check_bimi (selector "default"). Given one domain it returns one result dict.
* ``skip_tls`` is deprecated in 6.x and has no effect (it only emits a DeprecationWarning);
  the MX STARTTLS/TLS probes are opt-in through ``check_mx_tls``, so we pass
  ``check_mx_tls=False`` (also the CLI default) and do not pass ``skip_tls``.
* Resolver: ``utils._resolve_with_failover()`` builds a fresh ``dns.resolver.Resolver()`` per
  query (which reads /etc/resolv.conf), then replaces its nameservers with ours when
  ``nameservers`` is given. Entries that are ``dns.nameserver.Nameserver`` objects pass
  through ``_nameservers_to_resolver_input()`` untouched, so a
  ``Do53Nameserver(host, port)`` carries the non-53 port; plain-IP strings would become port
  53. The DNSSEC check (``dnssec._query_rrset``) gets only ``nameservers`` (no resolver) and
  calls ``Nameserver.query(max_size=True)``, i.e. TCP to the same host and port.
* Network besides DNS: MTA-STS policy download (``requests`` GET
  ``https://mta-sts.<domain>/...``, only when an ``_mta-sts`` TXT record exists), BIMI SVG
  and mark certificate downloads (``requests`` GETs of the record's l= and a= URLs), SMTP
  STARTTLS/TLS probes (off: ``check_mx_tls=False``) and DNS over HTTPS (only for https://
  nameservers, not used). The public suffix list comes bundled with ``publicsuffixlist`` and
  is never downloaded. ``_sandbox()`` below fails the HTTP fetches locally and guards
  everything else at the socket level.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import ipaddress
import json
import resource
import socket
import sys
import threading
import time
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dns.nameserver
import dns.query
import dns.rdatatype
import dns.resolver
import requests

_MAX_DETAILS = 20
_RUN_LOCK = threading.Lock()  # the sandbox patches process-wide state: one run at a time


class _Tally:
    """Thread-safe counters for one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.qtypes: Counter[str] = Counter()
        self.escape_details: list[str] = []
        self.errors: list[str] = []

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def query(self, transport: str, request) -> None:
        try:
            qtype = dns.rdatatype.to_text(request.question[0].rdtype)
        except (AttributeError, IndexError):
            qtype = "?"
        with self._lock:
            self.counts["queries"] += 1
            self.counts[f"queries_{transport}"] += 1
            self.qtypes[qtype] += 1

    def escape(self, what: str) -> None:
        with self._lock:
            self.counts["escapes"] += 1
            if len(self.escape_details) < _MAX_DETAILS:
                self.escape_details.append(what)

    def error(self, domain: str, exc: BaseException) -> None:
        with self._lock:
            if len(self.errors) < _MAX_DETAILS:
                self.errors.append(f"{domain}: {type(exc).__name__}: {exc}")


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a hostname: resolving it would need the system resolver
    if ip.is_loopback:
        return True
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped is not None and mapped.is_loopback


def _refused_address(address) -> bool:
    """True for an AF_INET/AF_INET6 address tuple that is not loopback."""
    if not isinstance(address, tuple) or not address:
        return False  # AF_UNIX paths and the like stay on this machine
    return not _is_loopback(address[0])


class _SystemResolverTrap(dns.nameserver.Nameserver):
    """Stands in for the nameservers of /etc/resolv.conf, which is never read.

    If checkdmarc ever queried "the system resolver" (a Resolver it did not give our
    nameservers), the query lands here: it is counted as an escape and fails at once with an
    OSError, which dnspython treats as a dead nameserver (NoNameservers).
    """

    def __init__(self, tally: _Tally):
        super().__init__()
        self._tally = tally

    def __str__(self) -> str:
        return "Trap:system-resolver@53"

    def kind(self) -> str:
        return "Trap"

    def is_always_max_size(self) -> bool:
        return False

    def answer_nameserver(self) -> str:
        return "system-resolver"

    def answer_port(self) -> int:
        return 53

    def query(self, request, timeout, source, source_port, max_size,
              one_rr_per_rrset=False, ignore_trailing=False):
        qname = request.question[0].name if request.question else "?"
        self._tally.escape(f"system resolver query for {qname}")
        raise ConnectionRefusedError("system resolver disabled in the checkdmarc benchmark")

    async def async_query(self, request, timeout, source, source_port, max_size, backend,
                          one_rr_per_rrset=False, ignore_trailing=False):
        return self.query(request, timeout, source, source_port, max_size)


class _NoFetchSession:
    """Replaces ``requests.Session`` inside checkdmarc.mta_sts and checkdmarc.bimi.

    Every GET fails at once with ``requests.ConnectionError``, the exception checkdmarc
    already handles (it reports "policy download failed" / "failed to download BIMI image").
    """

    def __init__(self, tally: _Tally):
        self._tally = tally
        self.headers: dict = {}

    def get(self, url, *args, **kwargs):
        self._tally.add("http_fetches_blocked")
        raise requests.ConnectionError(f"HTTP fetch of {url} disabled in the benchmark")

    def close(self) -> None:
        pass


@contextlib.contextmanager
def _patched(obj, name: str, value) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def _sandbox(tally: _Tally) -> Iterator[None]:
    """Count checkdmarc's DNS queries and keep every packet of this process on loopback.

    Process-wide while active (other threads included, e.g. a lab server in the same
    process, whose loopback traffic passes untouched); everything is restored on exit.
    """
    import checkdmarc.bimi
    import checkdmarc.mta_sts

    with contextlib.ExitStack() as stack:
        # 1. Count DNS queries where dnspython sends them. Do53Nameserver.query() (used by
        #    the resolver and by checkdmarc's DNSSEC check) looks these up at call time.
        for transport in ("udp", "tcp", "tls", "https", "quic"):
            original = getattr(dns.query, transport)

            def counted(*args, _original=original, _transport=transport, **kwargs):
                tally.query(_transport, args[0] if args else kwargs.get("q"))
                return _original(*args, **kwargs)

            stack.enter_context(_patched(dns.query, transport, counted))

        # 2. Never use /etc/resolv.conf. Raising here (the obvious guard) would break
        #    checkdmarc: it builds dns.resolver.Resolver() (configure=True, which calls
        #    read_resolv_conf) before every query and only then sets our nameservers. So
        #    the file is not read and the resolver gets a trap nameserver instead: a query
        #    that would have gone to the system resolver is counted as an escape and fails.
        def no_resolv_conf(self, f):
            tally.add("resolv_conf_reads_blocked")
            self.nameservers = [_SystemResolverTrap(tally)]

        stack.enter_context(_patched(dns.resolver.Resolver, "read_resolv_conf", no_resolv_conf))

        # 3. Socket guard: name lookups (which would use the system resolver) and
        #    connections/datagrams to anything outside 127.0.0.0/8 and ::1 are refused.
        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):
            if host is None or _is_loopback(host):
                return real_getaddrinfo(host, *args, **kwargs)
            tally.escape(f"getaddrinfo({host!r})")
            raise socket.gaierror(socket.EAI_NONAME, f"name lookup of {host!r} refused")

        def refuse_lookup(name):
            def lookup(host, *args, **kwargs):
                tally.escape(f"{name}({host!r})")
                raise socket.gaierror(socket.EAI_NONAME, f"name lookup of {host!r} refused")
            return lookup

        stack.enter_context(_patched(socket, "getaddrinfo", getaddrinfo))
        for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            stack.enter_context(_patched(socket, name, refuse_lookup(name)))

        sock_cls = socket.socket
        real_connect, real_connect_ex = sock_cls.connect, sock_cls.connect_ex
        real_sendto, real_sendmsg = sock_cls.sendto, sock_cls.sendmsg

        def refuse(what: str):
            tally.escape(what)
            raise ConnectionRefusedError(f"{what} refused: the benchmark stays on loopback")

        def connect(self, address):
            if _refused_address(address):
                refuse(f"connect({address!r})")
            return real_connect(self, address)

        def connect_ex(self, address):
            if _refused_address(address):
                refuse(f"connect_ex({address!r})")
            return real_connect_ex(self, address)

        def sendto(self, data, *args):
            if args and _refused_address(args[-1]):
                refuse(f"sendto({args[-1]!r})")
            return real_sendto(self, data, *args)

        def sendmsg(self, buffers, *args):
            if len(args) >= 3 and _refused_address(args[2]):
                refuse(f"sendmsg({args[2]!r})")
            return real_sendmsg(self, buffers, *args)

        for name, guard in (("connect", connect), ("connect_ex", connect_ex),
                            ("sendto", sendto), ("sendmsg", sendmsg)):
            stack.enter_context(_patched(sock_cls, name, guard))

        # 4. HTTP fetches (MTA-STS policy, BIMI image and certificate) fail locally at once.
        fake_requests = types.SimpleNamespace(
            Session=lambda: _NoFetchSession(tally),
            RequestException=requests.RequestException,
        )
        for module in (checkdmarc.mta_sts, checkdmarc.bimi):
            stack.enter_context(_patched(module, "requests", fake_requests))

        yield


def _clear_checkdmarc_caches() -> None:
    """Start every run cold, as a fresh checkdmarc process would (its caches are global)."""
    import checkdmarc.dnssec
    import checkdmarc.smtp
    import checkdmarc.utils

    for cache in (checkdmarc.utils.DNS_CACHE, checkdmarc.utils._NAMESERVER_FAILURES,
                  checkdmarc.dnssec.DNSSEC_CACHE, checkdmarc.dnssec.DNSKEY_CACHE,
                  checkdmarc.dnssec.TLSA_CACHE, checkdmarc.smtp.TLS_CACHE,
                  checkdmarc.smtp.STARTTLS_CACHE):
        cache.clear()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_checkdmarc(domains: list[str], nameserver: tuple[str, int], *, threads: int = 32,
                   timeout: float = 2.0) -> dict:
    """Check each domain with checkdmarc against the lab server ``nameserver`` (host, port).

    Returns counts, wall and CPU seconds (``cpu_s`` is this whole process's user+sys CPU
    during the run; ``cpu_s_in_checks`` sums only the checkdmarc calls' own thread CPU, which
    excludes e.g. a lab server running in the same process), the DNS queries sent and
    ``escapes``: attempts to reach anything but loopback (or the system resolver), refused.
    """
    import checkdmarc

    host, port = nameserver
    if not _is_loopback(host):
        raise ValueError(f"the benchmark only talks to loopback nameservers, not {host!r}")
    # Do53Nameserver objects pass through checkdmarc untouched to Resolver.nameservers and
    # to its DNSSEC queries, keeping the port (a plain "127.0.0.1" string would mean port 53).
    nameservers = [dns.nameserver.Do53Nameserver(host, int(port))]
    domains = list(domains)
    tally = _Tally()
    thread_cpu: list[float] = []

    def check_one(domain: str) -> str:
        start = time.thread_time()
        try:
            result = checkdmarc.check_domains(
                [domain],
                nameservers=nameservers,
                timeout=timeout,
                check_mx_tls=False,  # no SMTP probes; the deprecated skip_tls does nothing
            )
        except Exception as exc:  # one broken domain must not end the run
            tally.error(domain, exc)
            return "failed"
        finally:
            thread_cpu.append(time.thread_time() - start)  # list.append is atomic
        # check_domains silently drops names without a dot and then returns []
        return "completed" if isinstance(result, dict) else "skipped"

    with _RUN_LOCK, _sandbox(tally):
        _clear_checkdmarc_caches()
        cpu0, wall0 = _cpu_seconds(), time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            outcomes = Counter(pool.map(check_one, domains))
        wall = time.perf_counter() - wall0
        cpu = _cpu_seconds() - cpu0

    n = len(domains)
    queries = tally.counts["queries"]
    return {
        "tool": "checkdmarc",
        "version": checkdmarc.__version__,
        "domains": n,
        "completed": outcomes["completed"],
        "failed": outcomes["failed"],
        "skipped": outcomes["skipped"],
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "cpu_s_in_checks": round(sum(thread_cpu), 4),
        "queries": queries,
        "queries_udp": tally.counts["queries_udp"],
        "queries_tcp": tally.counts["queries_tcp"],
        "queries_by_type": dict(tally.qtypes.most_common()),
        "queries_per_domain": round(queries / n, 2) if n else 0.0,
        "cpu_ms_per_domain": round(1000 * cpu / n, 3) if n else 0.0,
        "domains_per_minute": round(60 * outcomes["completed"] / wall, 1) if wall > 0 else 0.0,
        "escapes": tally.counts["escapes"],
        "escape_details": tally.escape_details,
        "http_fetches_blocked": tally.counts["http_fetches_blocked"],
        "resolv_conf_reads_blocked": tally.counts["resolv_conf_reads_blocked"],
        "errors": tally.errors,
        "threads": threads,
        "timeout": timeout,
        "nameserver": f"{host}:{port}",
    }


def _parse_nameserver(text: str) -> tuple[str, int]:
    """``127.0.0.1:5353`` or ``[::1]:5353``; the port defaults to 53."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "53"
    return host, int(port)


def _read_domains(path: str) -> list[str]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nameserver", required=True, type=_parse_nameserver,
                        help="the lab DNS server, HOST:PORT (loopback only)")
    parser.add_argument("--file", required=True,
                        help="domains, one per line ('#' comments allowed; '-' for stdin)")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="checkdmarc's DNS timeout in seconds (default 2.0)")
    args = parser.parse_args(argv)
    result = run_checkdmarc(_read_domains(args.file), args.nameserver,
                            threads=args.threads, timeout=args.timeout)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
