"""The `cyberbasics` command: a thin face over the core packages."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import assess as assess_command
from .catalogue import catalogue_app
from .data import data_app
from .email_check import email_app
from .evidence import evidence_app
from .incident import incident_app
from .options import (
    CaFile,
    Concurrency,
    DomainTimeout,
    Lab,
    Nameserver,
    Output,
    OutputFormat,
    PortMap,
    Timeout,
    TrustAnchor,
    build_config,
    write_output,
)
from .report_command import report as report_command
from .serve import serve as serve_command

app = typer.Typer(
    name="cyberbasics",
    help="Cyber Basics: a free, plain-language cyber security review for small businesses.",
    no_args_is_help=True,
    add_completion=False,
)
spf_app = typer.Typer(help="Evaluate SPF (RFC 7208) as a receiving mail server would.",
                      no_args_is_help=True)
app.add_typer(spf_app, name="spf")
app.add_typer(data_app, name="data")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(evidence_app, name="evidence")
app.add_typer(email_app, name="email")
app.add_typer(incident_app, name="incident")
app.command("assess")(assess_command.assess)
app.command("plan")(assess_command.plan)
app.command("report")(report_command)
app.command("serve")(serve_command)


@app.command()
def scan(
    domains: Annotated[list[str] | None, typer.Argument(help="Domains (or web addresses).")] = None,
    file: Annotated[list[Path] | None, typer.Option(
        "--file", help="Read domains from a file, one per line; # starts a comment.")] = None,
    check: Annotated[list[str] | None, typer.Option(
        "--check", metavar="PATTERN", help="Run only checks whose id matches (glob; "
                                           "repeatable), e.g. 'email.dmarc.*'.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.text,
    output: Output = None,
    nameserver: Nameserver = None,
    ca_file: CaFile = None,
    trust_anchor: TrustAnchor = None,
    timeout: Timeout = 5.0,
    domain_timeout: DomainTimeout = 60.0,
    concurrency: Concurrency = 64,
    lab: Lab = False,
    port_map: PortMap = None,
    deep: Annotated[bool, typer.Option(
        "--deep", help="Enumerate every TLS suite with SSLyze (slower; needs "
                       "cyberbasics[deep]).")] = False,
    active: Annotated[bool, typer.Option(
        "--active", help="Also connect to well-known ports (remote access, file sharing, "
                         "databases, control panels, mail) and ask the website for well-known "
                         "private files. Only with the owner's permission.")] = False,
    permission_confirmed: Annotated[bool, typer.Option(
        "--permission-confirmed", help="Confirm you have the owner's permission for --active "
                                       "(needed without a terminal).")] = False,
    rate_limit: Annotated[float, typer.Option(
        "--rate-limit", min=0.1, max=1000.0,
        help="Active scans: at most this many new connections per second to one address.")
    ] = 20.0,
    lang: Annotated[str, typer.Option(
        "--lang", help="Language of the findings and the report: en, pl, es, it or ro.")
    ] = "en",
) -> None:
    """Scan domains from the outside: DNS, email, website and TLS."""
    from ..report import scan_output
    from ..scan.engine import scan_domains
    from ..scan.registry import select

    inputs = list(domains or [])
    for path in file or []:
        inputs.extend(_read_domain_file(path))
    if not inputs:
        raise typer.BadParameter("give at least one domain, or --file")
    from ..texts import LANGUAGES

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"unknown language {lang!r}; choose one of "
                                 f"{', '.join(LANGUAGES)}", param_hint="--lang")
    if active:
        from .permission import confirm_permission

        confirm_permission(inputs, confirmed=permission_confirmed,
                           interactive=sys.stdin.isatty())
    config = build_config(nameserver=nameserver, ca_file=ca_file, trust_anchor=trust_anchor,
                          timeout=timeout, domain_timeout=domain_timeout,
                          concurrency=concurrency, lab=lab, port_map=port_map,
                          checks=check or (), deep=deep, active=active,
                          rate_limit=rate_limit)
    try:
        select(config.checks, active=config.active)
        if deep:
            from ..scan.evidence.tls_deep import require_sslyze

            require_sslyze()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with scan_output.progress_bar(len(inputs)) as advance:
        results = asyncio.run(scan_domains(inputs, config, progress=advance, language=lang))
    if format is OutputFormat.json:
        write_output(scan_output.to_json(results), output)
    elif format is OutputFormat.csv:
        write_output(scan_output.to_csv(results), output)
    elif format is OutputFormat.html:
        write_output(scan_output.to_html(results, lang), output)
    elif output is not None:
        write_output(scan_output.to_plain_text(results, lang), output)
    else:
        scan_output.print_text(results, language=lang)


def _read_domain_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


@spf_app.command("check")
def spf_check(
    ip: Annotated[str, typer.Option("--ip", help="The connecting client's IP address.")],
    sender: Annotated[str, typer.Option(
        "--sender", help="MAIL FROM address (empty for bounces: postmaster@HELO is used).")],
    helo: Annotated[str, typer.Option("--helo", help="The name the client gave in HELO/EHLO.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f",
                                                 help="text or json")] = OutputFormat.text,
    output: Output = None,
    nameserver: Nameserver = None,
    ca_file: CaFile = None,
    trust_anchor: TrustAnchor = None,
    timeout: Timeout = 5.0,
    domain_timeout: Annotated[float, typer.Option(
        "--domain-timeout", min=0.1, help="Seconds for the whole evaluation "
                                          "(RFC 7208 §4.6.4 asks for at least 20).")] = 20.0,
    concurrency: Concurrency = 64,
    lab: Lab = False,
    port_map: PortMap = None,
) -> None:
    """Evaluate check_host() for a sender, client IP and HELO name.

    The network options are the same as `scan`'s; those SPF has no use for (CA file, trust
    anchor, concurrency, port map) are accepted and checked, so scripts can pass one set."""
    import ipaddress
    import json

    from ..net.dns import DnsClient
    from ..protocols.spf import check_host

    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise typer.BadParameter(f"{ip!r} is not an IP address", param_hint="--ip") from None
    if format in (OutputFormat.csv, OutputFormat.html):
        raise typer.BadParameter("spf check writes text or json", param_hint="--format")
    config = build_config(nameserver=nameserver, ca_file=ca_file, trust_anchor=trust_anchor,
                          timeout=timeout, domain_timeout=domain_timeout,
                          concurrency=concurrency, lab=lab, port_map=port_map)
    domain = sender.rpartition("@")[2] if "@" in sender else (sender or helo)

    async def evaluate():
        dns = DnsClient(config.nameservers, timeout=config.timeout)
        try:
            return await check_host(ip, domain, sender, helo=helo, dns=dns,
                                    timeout=config.domain_timeout)
        finally:
            await dns.aclose()

    result = asyncio.run(evaluate())
    if format is OutputFormat.json:
        text = json.dumps(result.to_json(), indent=2) + "\n"
    else:
        text = f"{result.result}: {result.explanation}\n"
        if result.mechanism:
            text += f"matched: {result.mechanism}\n"
    write_output(text, output)


@app.command("lab")
def lab_command(
    port: Annotated[int, typer.Option("--dns-port", help="Port for the lab DNS server "
                                                         "(0 picks a free one).")] = 0,
) -> None:
    """Run the offline lab (DNS, web and mail servers on loopback) with demo businesses."""
    from ..lab.world import run_lab_forever

    try:
        asyncio.run(run_lab_forever(dns_port=port))
    except KeyboardInterrupt:
        typer.echo("lab stopped")


@app.command()
def demo() -> None:
    """Start the lab, scan its demo businesses, and show the results."""
    from ..lab.world import run_demo

    sys.exit(asyncio.run(run_demo()))


def main() -> None:  # pragma: no cover - the console script entry point
    app()
