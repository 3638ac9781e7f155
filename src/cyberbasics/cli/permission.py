"""Before an active scan: the user confirms they have the owner's permission.

An active scan connects to many ports of the targets' addresses and asks their websites for
well-known private files. Done without permission, that can be unlawful (in many countries
unauthorised scanning is an offence) and it looks like the start of an attack. So
`scan --active` asks for a yes on a terminal, and without a terminal (scripts, CI) it runs
only with ``--permission-confirmed``.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

MAX_TARGETS_SHOWN = 10

NOTICE = (
    "An active scan connects to many ports of the addresses of {targets} and asks their "
    "websites for well-known private files. Scan only systems whose owner has given you "
    "permission: without it, this can be unlawful, and it looks like the start of an attack."
)
QUESTION = "Do you have the owner's permission to scan these systems actively?"


EXIT_CODE = 2


class PermissionNotConfirmed(typer.Exit):
    """The active scan was not confirmed; nothing was scanned. The message has been shown
    (on stderr) when this is raised; the command exits with code 2."""

    def __init__(self, message: str):
        super().__init__(code=EXIT_CODE)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _targets_text(targets: list[str]) -> str:
    shown = ", ".join(targets[:MAX_TARGETS_SHOWN])
    more = len(targets) - MAX_TARGETS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def confirm_permission(targets: list[str], *, confirmed: bool, interactive: bool,
                       ask: Callable[[str], bool] | None = None,
                       echo: Callable[[str], None] | None = None) -> None:
    """Return when the active scan may go ahead; otherwise show why and raise
    PermissionNotConfirmed (a typer.Exit with code 2).

    ``confirmed``: --permission-confirmed was given. ``interactive``: stdin is a terminal
    (then ``ask`` puts the question, default no). ``echo`` shows texts (default: stderr).
    """
    if confirmed:
        return
    echo = echo or (lambda text: typer.echo(text, err=True))
    notice = NOTICE.format(targets=_targets_text(targets) or "the targets")
    if not interactive:
        _refuse(echo, f"{notice}\nNo terminal to ask on: if you have the owner's permission, "
                      "add --permission-confirmed (or run without --active).")
    ask = ask or (lambda question: typer.confirm(question, default=False, err=True))
    echo(notice)
    try:
        agreed = ask(QUESTION)
    except (typer.Abort, EOFError, KeyboardInterrupt):
        agreed = False
    if not agreed:
        _refuse(echo, "Active scan cancelled: it needs the owner's permission. Run without "
                      "--active for the passive review, which needs none.")


def _refuse(echo: Callable[[str], None], message: str) -> None:
    echo(message)
    raise PermissionNotConfirmed(message)
