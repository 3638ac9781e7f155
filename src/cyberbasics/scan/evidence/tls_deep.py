"""`scan --deep`: every cipher suite of every protocol version, enumerated by SSLyze.

SSLyze connects by itself (through its own OpenSSL builds, which still speak SSL 2/3 and
the old suites), so the address it is given must be one the guard has already allowed; the
caller passes the address it checked and SSLyze never resolves a name. It is synchronous
and uses threads: it runs in a worker thread so the scan's event loop keeps going.
"""

from __future__ import annotations

import asyncio

from ...config import ConfigError, ScanConfig
from ...net.guard import refusal_reason
from .tls import DeepSuites

_VERSIONS = (("SSLv2", "ssl_2_0_cipher_suites"), ("SSLv3", "ssl_3_0_cipher_suites"),
             ("TLSv1", "tls_1_0_cipher_suites"), ("TLSv1.1", "tls_1_1_cipher_suites"),
             ("TLSv1.2", "tls_1_2_cipher_suites"), ("TLSv1.3", "tls_1_3_cipher_suites"))


def require_sslyze() -> None:
    """Fail early, with what to install, when --deep is asked for without SSLyze."""
    try:
        import sslyze  # noqa: F401
    except ImportError:
        raise ConfigError("--deep needs SSLyze: pip install 'cyberbasics[deep]'") from None


async def enumerate_suites(config: ScanConfig, host: str, address: str,
                           port: int) -> DeepSuites:
    reason = refusal_reason(address, lab=config.lab)
    if reason:
        return DeepSuites({}, {"all": reason})
    try:
        return await asyncio.to_thread(_scan, host, address, config.port(port), config.timeout,
                                       config.active)
    except Exception as exc:  # SSLyze's own failure must not cost the rest of the evidence
        return DeepSuites({}, {"all": f"SSLyze failed: {exc!r}"})


def _scan(host: str, address: str, port: int, timeout: float, active: bool) -> DeepSuites:
    from sslyze import (
        ScanCommand,
        Scanner,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    commands = {getattr(ScanCommand, attribute.upper()) for _, attribute in _VERSIONS}
    request = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=host, port=port, ip_address=address),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=host, network_timeout=max(1, round(timeout)),
            network_max_retries=1),
        scan_commands=commands)
    # SSLyze opens its own connections, outside our rate limiter: a few at a time at most.
    scanner = Scanner(per_server_concurrent_connections_limit=2 if active else 5)
    scanner.queue_scans([request])
    [result] = list(scanner.get_results())
    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        trace = result.connectivity_error_trace
        why = str(trace.exc_value if hasattr(trace, "exc_value") else trace) if trace else ""
        return DeepSuites({}, {"all": f"SSLyze could not connect: {why or 'no reason given'}"})
    accepted: dict[str, tuple[str, ...]] = {}
    errors: dict[str, str] = {}
    for version, attribute in _VERSIONS:
        attempt = getattr(result.scan_result, attribute)
        if attempt.result is None:
            errors[version] = str(attempt.error_reason or "SSLyze gave no result")
            continue
        accepted[version] = tuple(suite.cipher_suite.name
                                  for suite in attempt.result.accepted_cipher_suites)
    return DeepSuites(accepted, errors)
