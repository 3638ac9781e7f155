"""`cyberbasics email check`: is a message genuine, suspicious or forged? (docs/email-check.md)

Reads a .eml file or raw headers (FILE `-` reads standard input). It reads what the
business's own receiving side recorded above the trust boundary, and checks SPF, DKIM, DMARC
and ARC itself through the resolver given with --nameserver (default: the system's, as
`scan` does); --offline skips those lookups."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..texts import LANGUAGES
from .options import Nameserver

email_app = typer.Typer(help="Check a suspicious email message.", no_args_is_help=True)

EXIT_UNREADABLE = 2


class EmailFormat(StrEnum):
    text = "text"
    json = "json"


@email_app.command("check")
def check(
    file: Annotated[str, typer.Argument(metavar="FILE",
                                        help="A .eml file or raw headers; - reads stdin.")],
    format: Annotated[EmailFormat, typer.Option("--format", "-f")] = EmailFormat.text,
    own_domain: Annotated[list[str] | None, typer.Option(
        "--own-domain", help="A domain of your business (repeatable).")] = None,
    mx_host: Annotated[list[str] | None, typer.Option(
        "--mx-host", help="A host name of your receiving mail server (repeatable); its "
                          "Received header is the trust boundary.")] = None,
    trusted_authserv_id: Annotated[list[str] | None, typer.Option(
        "--trusted-authserv-id", help="An Authentication-Results authserv-id your own "
                                      "servers write (repeatable).")] = None,
    trusted_arc_sealer: Annotated[list[str] | None, typer.Option(
        "--trusted-arc-sealer", help="A forwarder or mailing list (domain) whose ARC seal may "
                                     "explain a DMARC failure (repeatable).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en, pl, es, it or ro.")] = "en",
    nameserver: Nameserver = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.01,
                                           help="Seconds per DNS lookup.")] = 5.0,
    offline: Annotated[bool, typer.Option(
        "--offline", help="No DNS lookups: judge only on what the message shows.")] = False,
) -> None:
    """Say whether a message is authentic, suspicious, forged or unknown, and why."""
    from ..mail.message import MessageError, parse_message
    from ..mail.verdict import Options
    from ..texts import fill, words

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"{lang!r} is not one of {', '.join(LANGUAGES)}",
                                 param_hint="--lang")
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc.strerror or exc}",
                                 param_hint="FILE") from None
    labels = words("email", lang)["labels"]
    try:
        message = parse_message(data)
    except MessageError as exc:
        if format is EmailFormat.json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            typer.echo(fill(labels["error"], {"error": exc.text(lang)}), err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    options = Options(own_domains=tuple(own_domain or ()), mx_hosts=tuple(mx_host or ()),
                      trusted_authserv_ids=tuple(trusted_authserv_id or ()),
                      trusted_arc_sealers=tuple(trusted_arc_sealer or ()))
    result = _judge(data, message, options, None if offline else _nameservers(nameserver),
                    timeout).to_dict(lang)
    if format is EmailFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    sender = result["from"]
    name = words("email", lang).get("verdict_names", {}).get(result["verdict"],
                                                            result["verdict"])
    typer.echo(f"{labels['verdict']}: {name.upper()}")
    typer.echo(result["summary"])
    shown = f"{sender['display_name']} <{sender['address']}>" if sender["display_name"] \
        else sender["address"]
    typer.echo(f"{labels['from']}: {shown}")
    if result["trusted_hop"]:
        hop = result["trusted_hop"]
        typer.echo(f"{labels['trusted_hop']}: {hop['helo'] or '?'} [{hop['ip'] or '?'}]")
    if result["reasons"]:
        typer.echo(f"{labels['reasons']}:")
        for reason in result["reasons"]:
            typer.echo(f"  - {reason['text']} [{reason['id']}]")


def _nameservers(given: list[str] | None) -> tuple[tuple[str, int], ...]:
    from ..config import ConfigError, parse_nameserver, system_nameservers

    try:
        if given:
            return tuple(parse_nameserver(text) for text in given)
        return tuple(system_nameservers())
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--nameserver") from None


def _judge(data: bytes, message, options, nameservers, timeout: float):
    """Our own checks through DNS when there is a resolver; the message's signals alone
    otherwise."""
    import asyncio

    from ..mail.verdict import Reason, analyse

    if nameservers is None:
        analysis = analyse(message, options)
        analysis.reasons.append(Reason("checks_offline", {}))
        return analysis
    from ..mail.authcheck import check
    from ..net.dns import DnsClient

    async def run():
        dns = DnsClient(nameservers, timeout=timeout)
        try:
            return await check(data, options, dns)
        finally:
            await dns.aclose()

    return asyncio.run(run())
