"""`cyberbasics serve` (`make run`): the whole platform on this machine, in the lab.

One supervising process starts, in this order, each child in its own process group:

1. the lab (`python -m cyberbasics.web.runner lab STATE`): the demo world's DNS, mail, web and
   exposed-service stand-ins on loopback (lab/world.py), described for the web and the worker
   by the state file `scanning.write_lab_state` writes (CYBERBASICS_LAB_STATE);
2. then, itself: migrates the SQLite database under the var folder and seeds the demo data
   (demo.py), the scans run against that lab;
3. the task worker (`cyberbasics_worker` when the platform has it, else django-tasks-db's
   `db_worker`) and the web server (gunicorn as in a deployment, a worker process per CPU,
   DEBUG off, static files from WhiteNoise) on 127.0.0.1, port 8000 or the next free one.

It prints the address and every demo account once the server answers. Ctrl-C (SIGINT) or
SIGTERM stops everything: each child's process group is sent SIGTERM, waited for, and killed
if it lingers. If a child dies on its own, the supervisor says which and stops the rest.
Nothing here listens anywhere but loopback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

HOST = "127.0.0.1"
PORTS_TRIED = 20  # 8000, then up to 8019
LAB_START_S = 60.0
SERVER_START_S = 60.0
STOP_WAIT_S = 10.0
STATE_FILE = "lab-state.json"


class Stop(Exception):
    """SIGTERM or SIGINT asked the supervisor to stop."""


class ChildDied(RuntimeError):
    pass


class Signals:
    """SIGINT and SIGTERM raise `Stop`, except while a child is being started (a child
    started but not yet listed would be left behind): then they raise once it is listed."""

    def __init__(self):
        self.holding = 0
        self.pending = False

    def handle(self, signum, frame) -> None:
        if self.holding:
            self.pending = True
        else:
            raise Stop()

    @contextlib.contextmanager
    def held(self):
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
        if not self.holding and self.pending:
            self.pending = False
            raise Stop()


@dataclass
class Child:
    name: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


class Supervisor:
    """Children, each in its own session (so its own process group), stopped together."""

    def __init__(self, env: dict[str, str], out: TextIO, signals: Signals | None = None):
        self.env = env
        self.out = out
        self.signals = signals or Signals()
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str]) -> Child:
        with self.signals.held():
            process = subprocess.Popen(argv, env=self.env, start_new_session=True,
                                       stdin=subprocess.DEVNULL)
            child = Child(name, process)
            self.children.append(child)
        return child

    def dead(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def check(self) -> None:
        child = self.dead()
        if child is not None:
            raise ChildDied(f"the {child.name} stopped unexpectedly (exit code "
                            f"{child.process.returncode})")

    def stop(self, wait: float = STOP_WAIT_S) -> list[str]:
        """SIGTERM to every child's group, latest first; SIGKILL to any still there after
        `wait` seconds; every child waited for. Returns their names."""
        names = [child.name for child in reversed(self.children)]
        for child in reversed(self.children):
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + wait
        for child in reversed(self.children):
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.out.write(f"The {child.name} did not stop in {wait:g} s: killed.\n")
                _signal_group(child, signal.SIGKILL)
                child.process.wait()
            # Anything the child left in its group goes too.
            _signal_group(child, signal.SIGKILL)
        self.children.clear()
        return names


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def free_port(host: str, first: int, tries: int = PORTS_TRIED) -> int:
    for port in range(first, first + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port on {host} from {first} to {first + tries - 1}")


def wait_for(condition: Callable[[], bool], seconds: float, supervisor: Supervisor,
             what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        supervisor.check()
        if time.monotonic() > deadline:
            raise ChildDied(f"{what} did not start in {seconds:g} s")
        time.sleep(0.1)


def accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def serve(*, port: int = 8000, var: Path | None = None, seed: bool = True,
          out: TextIO | None = None) -> int:
    """Run everything until a signal or a child's death; the exit code."""
    out = out or sys.stdout
    var = Path(var or os.environ.get("CYBERBASICS_VAR") or "var").resolve()
    var.mkdir(parents=True, exist_ok=True)
    state = var / STATE_FILE
    state.unlink(missing_ok=True)
    port = free_port(HOST, port)
    url = f"http://{HOST}:{port}/"
    os.environ.update({
        "CYBERBASICS_LAB": "1", "CYBERBASICS_VAR": str(var),
        "CYBERBASICS_LAB_STATE": str(state), "CYBERBASICS_SITE_URL": url.rstrip("/"),
        "DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings", "PYTHONUNBUFFERED": "1"})
    signals = Signals()
    supervisor = Supervisor(dict(os.environ), out, signals)
    previous = {s: signal.signal(s, signals.handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        out.write(f"Starting Cyber Basics in the lab (data in {var}).\n")
        out.flush()
        supervisor.start("lab", [sys.executable, "-m", "cyberbasics.web.runner", "lab",
                                 str(state)])
        wait_for(state.exists, LAB_START_S, supervisor, "the lab")
        out.write("The lab is running (DNS, mail and web servers on loopback).\n")
        _prepare_database(seed, out)
        supervisor.start("task worker", [sys.executable, "-m", "cyberbasics.web",
                                         _worker_command()])
        supervisor.start("web server", web_server_command(HOST, port))
        wait_for(lambda: accepts(HOST, port), SERVER_START_S, supervisor, "the web server")
        out.write(banner(url))
        out.flush()
        while True:
            supervisor.check()
            time.sleep(0.25)
    except Stop:
        out.write("\nStopping...\n")
        return 0
    except ChildDied as exc:
        out.write(f"\n{str(exc)[0].upper()}{str(exc)[1:]}: stopping everything.\n")
        return 1
    finally:
        # A second Ctrl-C must not leave children behind half-way through stopping them.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        stopped = supervisor.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if stopped:
            names = [f"the {name}" for name in stopped]
            listed = names[0] if len(names) == 1 else \
                ", ".join(names[:-1]) + " and " + names[-1]
            out.write(f"Stopped: {listed}.\n")
        out.flush()


def _prepare_database(seed: bool, out: TextIO) -> None:
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    out.write("The database is up to date.\n")
    if seed:
        from .demo import seed_demo

        seed_demo(out)
    connections.close_all()
    out.flush()


def _worker_command() -> str:
    from django.core.management import get_commands

    return "cyberbasics_worker" if "cyberbasics_worker" in get_commands() else "db_worker"


def banner(url: str) -> str:
    from .demo import describe

    rule = "-" * 78
    return (f"\n{rule}\nCyber Basics is running at {url}\n"
            "(the lab: demo data, every server on this machine; the console shows the "
            "e-mails the site sends)\n\n"
            f"{describe(url)}\nCtrl-C stops everything.\n{rule}\n")


# --- the web server's process ------------------------------------------------------------------

def web_server_command(host: str, port: int) -> list[str]:
    """The web server `make run` runs: gunicorn, as in a deployment (docs/deploy.md), with a
    worker process per CPU (2 to 4) so pages are served in parallel rather than taking turns
    under one interpreter lock, threads for slow clients, and connections kept open longer
    than a person takes to read a page."""
    workers = max(2, min(4, os.cpu_count() or 2))
    return [sys.executable, "-m", "gunicorn", "cyberbasics.web.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", "4",
            "--keep-alive", "30", "--graceful-timeout", "5", "--log-level", "warning"]


# --- the lab's own process ---------------------------------------------------------------------

def run_lab(state: Path) -> int:
    """Serve the demo world (with the exposed-service stand-ins) until SIGTERM or SIGINT; the
    state file exists exactly while it runs."""
    import asyncio
    import logging

    from ..lab.mail_world import write_corpus
    from ..lab.world import running_world
    from .demo import LAB_MAIL_DIR
    from .scanning import write_lab_state

    # Scans abandon TLS handshakes on purpose; the servers would log each one.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with running_world(services=True) as world:
            # Signed with this process's keys, which the lab's DNS serves: written afresh
            # each run, for trying the email checker (demo.describe points at them).
            write_corpus(state.parent / LAB_MAIL_DIR)
            write_lab_state(world, state)
            try:
                await stop.wait()
            finally:
                state.unlink(missing_ok=True)

    asyncio.run(main())
    return 0


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cyberbasics.web.settings")
    if len(argv) == 2 and argv[0] == "lab":
        return run_lab(Path(argv[1]))
    sys.stderr.write("usage: python -m cyberbasics.web.runner lab STATE_FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
