"""Options every network command shares, and turning them into a `ScanConfig`.

Heavy modules are imported inside functions: `cyberbasics spf check` is run thousands
of times by scripts and mail filters, and must start quickly.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..config import (
    ConfigError,
    ScanConfig,
    lab_mode_from_environment,
    parse_nameserver,
    parse_port_map,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"


Nameserver = Annotated[list[str] | None, typer.Option(
    "--nameserver", metavar="HOST[:PORT]",
    help="Resolver to ask (repeatable). Default: the system resolver.")]
CaFile = Annotated[Path | None, typer.Option(
    "--ca-file", metavar="PEM", help="Extra trusted CA certificates (PEM).")]
TrustAnchor = Annotated[Path | None, typer.Option(
    "--trust-anchor", metavar="FILE",
    help="DNSSEC trust anchors (DS/DNSKEY records) instead of the root's.")]
Timeout = Annotated[float, typer.Option("--timeout", min=0.01,
                                        help="Seconds per network operation.")]
DomainTimeout = Annotated[float, typer.Option("--domain-timeout", min=0.1,
                                              help="Seconds per domain, everything included.")]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1,
                                          help="Domains scanned at once.")]
Lab = Annotated[bool, typer.Option("--lab", help="Lab mode: connect to loopback only "
                                                 "(also CYBERBASICS_LAB=1).")]
PortMap = Annotated[str | None, typer.Option(
    "--port-map", metavar="443=8443,25=2525", help="Remap service ports (lab mode only).")]
Output = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")]


def build_config(
    *, nameserver, ca_file, trust_anchor, timeout, domain_timeout=60.0, concurrency=64,
    lab=False, port_map=None, checks=(), deep=False, active=False, rate_limit=20.0,
) -> ScanConfig:
    lab = lab or lab_mode_from_environment()
    try:
        if nameserver:
            servers = tuple(parse_nameserver(text) for text in nameserver)
        elif lab:
            raise ConfigError("lab mode needs --nameserver (the lab's DNS server); "
                              "`cyberbasics lab` prints it")
        else:
            from ..config import system_nameservers

            servers = system_nameservers()
        return ScanConfig(
            nameservers=servers, ca_file=ca_file, trust_anchor_file=trust_anchor,
            timeout=timeout, domain_timeout=domain_timeout, concurrency=concurrency, lab=lab,
            port_map=parse_port_map(port_map) if port_map else {}, checks=tuple(checks),
            deep=deep, active=active, rate_limit=rate_limit,
        )
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {output}: {exc}") from None
