"""Tasks that the worker lease tests give to real worker processes
(``tests.web.lease_tasks.<name>``; the workers run with the repository on their path)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from django_tasks import task

WAIT_LIMIT = 60.0  # no task of a test waits longer than this, whatever happens


def _note_start(folder: Path) -> None:
    with open(folder / "started", "a", encoding="ascii") as out:
        out.write(f"{os.getpid()}\n")


@task()
def wait_for_go(folder: str) -> str:
    """Note the start, then wait until the file ``go`` appears in ``folder``."""
    here = Path(folder)
    _note_start(here)
    deadline = time.monotonic() + WAIT_LIMIT
    while not (here / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.05)
    return "done"


@task()
def kill_my_worker(folder: str) -> None:
    """Note the start, then kill the worker running it, as a power cut would."""
    _note_start(Path(folder))
    os.kill(os.getpid(), signal.SIGKILL)
