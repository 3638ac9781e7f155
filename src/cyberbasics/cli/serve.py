"""`cyberbasics serve`: the web platform with its lab, demo data and task worker (`make run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    port: Annotated[int, typer.Option(
        "--port", min=1, max=65535,
        help="Port of the web server on 127.0.0.1 (the next free one if taken).")] = 8000,
    var: Annotated[Path | None, typer.Option(
        "--var", help="Folder of the database and the lab's state (default: CYBERBASICS_VAR, "
                      "else ./var).")] = None,
    seed: Annotated[bool, typer.Option(
        "--seed/--no-seed", help="Load the demo data (lab only; never duplicated).")] = True,
) -> None:
    """Run the web platform on this machine: the offline lab, demo data, the web server and
    the task worker. Ctrl-C stops all of it."""
    from ..web.runner import serve as run

    raise typer.Exit(run(port=port, var=var, seed=seed))
