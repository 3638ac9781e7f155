"""The whole application in subprocesses, started the way `make run` starts it.

`Site` owns a private CYBERBASICS_VAR (a file SQLite database in it), migrates it, runs
`python -m cyberbasics.web runserver 127.0.0.1:<port> --noreload` and, on demand, the task
worker, all with `CYBERBASICS_LAB=1` and, when the lab is running, `CYBERBASICS_LAB_STATE`
pointing at its parameters. Unlike `make run` (the console backend), the site sends its mail
by SMTP to `Site.mailbox`, a loopback server in the test process that keeps every message.

Tests reach the same database through `Site.django`, which runs a snippet of Python in a
fresh process configured exactly like the server (same settings, same environment), so
nothing of the test process's own Django (pytest-django's in-memory test database, the
database blocker) is involved.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WORKER_COMMAND = REPO / "src/cyberbasics/web/jobs/management/commands/cyberbasics_worker.py"
# A password every validator accepts (length, not common, not numeric, not like an e-mail).
PASSWORD = "Lantern-orchard-47"

# A Django process serving `Site.django`: one JSON request a line on stdin ({"code", "args"}),
# one JSON answer a line on stdout ({"result"} or {"error": traceback}); the code's own
# output goes to stderr. Connections are closed after each request, so the next one reads
# what the server has written since.
_RUNNER = r"""
import contextlib, json, os, sys, traceback
os.environ["DJANGO_SETTINGS_MODULE"] = "cyberbasics.web.settings"
import django
django.setup()
from django.db import connections
answer = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    namespace = {"args": request["args"], "result": None}
    try:
        with contextlib.redirect_stdout(sys.stderr):
            exec(compile(request["code"], "<site.django>", "exec"), namespace)
        reply = {"result": namespace["result"]}
    except BaseException:
        reply = {"error": traceback.format_exc()}
    finally:
        connections.close_all()
    answer.write(json.dumps(reply, default=str) + "\n")
    answer.flush()
"""


class SiteError(AssertionError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


class Mailbox:
    """An SMTP server on loopback that keeps every message the site sends (aiosmtpd, in a
    thread of the test process), so tests can follow the links in invitations, magic links
    and reminders."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to `address` so far, oldest first."""
        with self._lock:
            return [m for m in self.messages
                    if address.lower() in str(m.get("To", "")).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The `count`-th message to `address`, waiting for it to arrive (sending may happen
        after the response, or in the worker)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no message {count} to {address} in {timeout:.0f} s; "
                                     f"sent so far to: {[m.get('To') for m in self.messages]}")
            time.sleep(0.05)
        return self.to(address)[count - 1]


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a message (or of its text part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def links_in(message: EmailMessage) -> list[str]:
    """Every http(s) URL in a message's text, in order."""
    return [link.rstrip(".,;:!?") for link in
            re.findall(r"https?://[^\s<>\"')]+", text_of(message))]


class Site:
    """The application under test: its URL, its environment, its database, its mail and its
    logs."""

    def __init__(self, var_dir: Path, *, lab_state: Path | None = None):
        self.var_dir = var_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_log = var_dir / "server.log"
        self.worker_log = var_dir / "worker.log"
        self.env = {**os.environ,
                    "DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings",
                    "CYBERBASICS_VAR": str(var_dir),
                    "CYBERBASICS_LAB": "1",
                    "CYBERBASICS_HTTPS": "0",
                    "CYBERBASICS_SECRET_KEY": secrets.token_urlsafe(40),
                    "CYBERBASICS_SITE_URL": self.url,
                    "PYTHONUNBUFFERED": "1"}
        # Like `make run`: a file SQLite database under CYBERBASICS_VAR, DEBUG off, whatever
        # database or debug flag the suite itself was given.
        for name in ("CYBERBASICS_DATABASE_URL", "CYBERBASICS_DEBUG", "CYBERBASICS_LAB_STATE"):
            self.env.pop(name, None)
        if lab_state is not None:
            self.env["CYBERBASICS_LAB_STATE"] = str(lab_state)
        self.mailbox = Mailbox()
        self.env.update({"CYBERBASICS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                         "CYBERBASICS_EMAIL_HOST": "127.0.0.1",
                         "CYBERBASICS_EMAIL_PORT": str(self.mailbox.port)})
        self.env.pop("CYBERBASICS_EMAIL_STARTTLS", None)
        self.django_log = var_dir / "django.log"
        self._server: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None
        self._django: subprocess.Popen | None = None

    # -- processes -------------------------------------------------------------------------

    def _manage(self, *args: str, log: Path) -> subprocess.Popen:
        handle = log.open("ab")
        try:
            return subprocess.Popen([sys.executable, "-m", "cyberbasics.web", *args],
                                    env=self.env, cwd=self.var_dir, stdout=handle,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            handle.close()

    def start(self, timeout: float = 30.0) -> None:
        self.mailbox.start()
        migrate = subprocess.run([sys.executable, "-m", "cyberbasics.web", "migrate",
                                  "--no-input", "-v", "0"], env=self.env, cwd=self.var_dir,
                                 capture_output=True, text=True, timeout=120)
        if migrate.returncode:
            raise SiteError(f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        self._server = self._manage("runserver", f"127.0.0.1:{self.port}", "--noreload",
                                    log=self.server_log)
        deadline = time.monotonic() + timeout
        while True:
            if self._server.poll() is not None:
                raise SiteError(f"the server exited ({self._server.returncode}):\n"
                                f"{tail(self.server_log)}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SiteError(f"the server did not answer /healthz in {timeout:.0f} s:\n"
                                f"{tail(self.server_log)}")
            time.sleep(0.1)

    def crash_and_restart_server(self, timeout: float = 30.0) -> None:
        """SIGKILL the web server (no clean shutdown, as in a power cut) and start it again
        on the same port and database."""
        assert self._server is not None
        self._server.kill()
        self._server.wait(10)
        self._server = self._manage("runserver", f"127.0.0.1:{self.port}", "--noreload",
                                    log=self.server_log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self._server.poll() is not None or time.monotonic() > deadline:
                raise SiteError(f"the server did not come back:\n{tail(self.server_log)}")
            time.sleep(0.1)

    def start_worker(self) -> None:
        """The task worker against the same database: the project's own worker command
        (leases, heartbeats) when it exists, django-tasks-db's `db_worker` otherwise."""
        if self._worker is not None and self._worker.poll() is None:
            return
        command = "cyberbasics_worker" if WORKER_COMMAND.exists() else "db_worker"
        self._worker = self._manage(command, "--interval", "0.2", "--no-startup-delay",
                                    log=self.worker_log)
        time.sleep(0.5)
        if self._worker.poll() is not None:
            raise SiteError(f"the worker exited ({self._worker.returncode}):\n"
                            f"{tail(self.worker_log)}")

    def stop(self) -> None:
        if self._django is not None and self._django.poll() is None:
            self._django.stdin.close()  # its loop ends
            try:
                self._django.wait(5)
            except subprocess.TimeoutExpired:
                self._django.kill()
                self._django.wait(5)
        for process in (self._worker, self._server):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.mailbox.stop()

    def logs(self, lines: int = 60) -> str:
        text = f"--- server log ({self.server_log}) ---\n{tail(self.server_log, lines)}"
        if self._worker is not None:
            text += f"\n--- worker log ({self.worker_log}) ---\n{tail(self.worker_log, lines)}"
        return text

    # -- the database ----------------------------------------------------------------------

    def django(self, code: str, **args):
        """Run `code` in a Django process on the site's database (the same settings and
        environment as the server); `args` is a dict of its JSON keyword arguments, and what
        it assigns to `result` (JSON, `str()` for the rest) is returned. The process stays
        up for the session, so a call takes milliseconds; an exception in `code` fails the
        test with its traceback."""
        if self._django is None or self._django.poll() is not None:
            handle = self.django_log.open("ab")
            try:
                self._django = subprocess.Popen(
                    [sys.executable, "-c", _RUNNER], env=self.env, cwd=self.var_dir,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=handle, text=True)
            finally:
                handle.close()
        try:
            self._django.stdin.write(json.dumps({"code": code, "args": args}) + "\n")
            self._django.stdin.flush()
            line = self._django.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            raise SiteError(f"site.django's process died running:\n{code}\n"
                            f"{tail(self.django_log)}")
        reply = json.loads(line)
        if "error" in reply:
            raise SiteError(f"site.django failed running:\n{code}\n{reply['error']}")
        return reply["result"]

    def create_user(self, email: str, password: str = PASSWORD, **fields) -> int:
        """An account that can sign in with `password`; `fields` are User fields (name,
        language, ...). Returns its id."""
        return self.django(
            "from django.contrib.auth import get_user_model\n"
            "user = get_user_model().objects.create_user(args['email'], args['password'],"
            " **args['fields'])\n"
            "result = user.pk\n",
            email=email, password=password, fields=fields)

    def create_business(self, owner_email: str, name: str, *, country: str = "GB",
                        domains: tuple[str, ...] = ()) -> int:
        """A business owned by the (existing) user with `owner_email`, with `domains`
        added (not verified). Returns its id."""
        return self.django(
            "from django.contrib.auth import get_user_model\n"
            "from cyberbasics.web.businesses.models import Business, Membership\n"
            "owner = get_user_model().objects.get(email=args['owner'])\n"
            "business = Business.objects.create(name=args['name'], country=args['country'])\n"
            "Membership.objects.create(business=business, user=owner,"
            " role=Membership.Role.OWNER)\n"
            "for name in args['domains']:\n"
            "    business.domains.create(name=name)\n"
            "result = business.pk\n",
            owner=owner_email, name=name, country=country, domains=list(domains))
