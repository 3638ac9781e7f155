"""`cyberbasics serve` (`make run`) as a person meets it: started as a process, it prints the
address and the demo accounts; the site answers and a demo owner signs in with what was
printed; an advisor too, with a code from the printed secret; Ctrl-C leaves no process
behind. Loopback only."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyotp
import pytest

from cyberbasics.web import demo
from cyberbasics.web.html_forms import form_with, sign_in_fields
from cyberbasics.web.runner import Supervisor, free_port

START_S = 180.0  # migrating, seeding (argon2, scans of the lab) on a busy machine
STOP_S = 30.0
URL_LINE = re.compile(r"Cyber Basics is running at (http://127\.0\.0\.1:\d+/)")


def sign_in(client: httpx.Client, email: str, password: str, secret: str = "") -> httpx.Response:
    page = client.get("/accounts/sign-in/")
    assert page.status_code == 200
    form = form_with(page.text, "password", str(page.url))
    fields = sign_in_fields(form, email, password)
    response = client.post(form["action"], data=fields, headers={"Referer": str(page.url)})
    if secret:  # the second step: a code from the authenticator app
        assert response.status_code == 200, response.text[:500]
        form = form_with(response.text, "text", str(response.url))
        fields = dict(form["fields"])
        fields[next(n for n in form["types"] if "code" in n)] = pyotp.TOTP(secret).now()
        response = client.post(form["action"], data=fields,
                               headers={"Referer": str(response.url)})
    return response


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """`cyberbasics serve` running: (its process, the URL, the printed lines so far)."""
    script = Path(sys.executable).with_name("cyberbasics")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from cyberbasics.cli.main import app; app()"]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CYBERBASICS_DATABASE", "DJANGO_"))}
    env.update(CYBERBASICS_VAR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([*command, "serve", "--port", str(unused_port())], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               stdin=subprocess.DEVNULL)
    lines: list[str] = []
    arrived: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            arrived.put(line)
        arrived.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + START_S
        url = None
        while url is None:
            try:
                line = arrived.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                pytest.fail("no address printed:\n" + "".join(lines[-60:]))
            match = URL_LINE.search(line or "")
            url = match.group(1) if match else None
        # The sheet is printed whole once the address is.
        while not any("Ctrl-C stops everything" in line for line in lines):
            if time.monotonic() > deadline:
                pytest.fail("the sign-in sheet was not printed:\n" + "".join(lines[-60:]))
            time.sleep(0.05)
        yield process, url, lines
    finally:
        if process.poll() is None:
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            process.kill()
            process.wait(10)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_make_run_serves_the_demo_and_stops_cleanly(served, tmp_path):
    process, url, lines = served
    output = "".join(lines)
    children = descendants(process.pid)
    assert len(children) >= 3  # the lab, the task worker, the web server

    # What was printed is what works: the password, an owner, an advisor's secret.
    password = re.search(r"password: (\S+)", output).group(1)
    assert password == demo.DEMO_PASSWORD
    owner = re.search(r"business owner\s+(owner@florist\.example)", output).group(1)
    advisor, secret = re.search(r"advisor\s+(\S+@\S+)\s+second factor \(TOTP\) secret: "
                                r"([A-Z2-7]+)", output).groups()
    assert "(lab)" in output and "otpauth://totp/" in output

    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client:
        home = client.get("/")
        assert home.status_code == 200 and "Cyber Basics" in home.text
        assert client.get("/healthz").text == "ok"
        page = sign_in(client, owner, password)
        assert page.status_code == 200
        assert "/accounts/sign-in" not in page.url.path
        assert "Fleur &amp; Co (lab)" in client.get("/dashboard/").text
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client:
        page = sign_in(client, advisor, password, secret)
        assert page.status_code == 200 and "/accounts/sign-in" not in page.url.path
        dashboard = client.get("/dashboard/").text
        assert "Pipe Dream Plumbing (lab)" in dashboard or "Ledger Lane" in dashboard
    _the_lab_mail_checks_out(url, tmp_path / "var" / demo.LAB_MAIL_DIR)

    process.send_signal(signal.SIGINT)
    assert process.wait(STOP_S) == 0
    deadline = time.monotonic() + STOP_S
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)], "processes left behind"
    assert "Stopped: the web server, the task worker and the lab." in "".join(lines)


def _the_lab_mail_checks_out(url: str, folder: Path) -> None:
    """The messages the sign-in sheet offers for the email checker are signed with the keys
    the running lab serves: the site's checker gives each the verdict expected.json names."""
    expected = {case["file"]: case["verdict"]
                for case in json.loads((folder / "expected.json").read_text())}
    assert len(expected) >= 40
    tried = ["genuine-spf-and-dkim.eml", "spoof-reject-domain.eml",
             "forwarded-arc-untrusted-sealer.eml",
             "lookalike-digit-supp1ier.eml"]
    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as client:
        for name in tried:
            page = client.get("/email-check/")
            form = form_with(page.text, "textarea", str(page.url))
            fields = {k: v for k, v in form["fields"].items() if form["types"][k] != "file"}
            fields["source"] = (folder / name).read_text(encoding="utf-8", errors="replace")
            result = client.post(form["action"], data=fields,
                                 headers={"Referer": str(page.url)})
            assert result.status_code == 200, result.text[:300]
            assert f'data-verdict="{expected[name]}"' in result.text, name


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_child_that_dies_stops_everything(served):
    process, _, lines = served
    children = descendants(process.pid)
    def parent(pid: int) -> int:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])

    web = next(pid for pid in children  # gunicorn's master, not one of its workers
               if "gunicorn\0" in Path(f"/proc/{pid}/cmdline").read_text()
               and parent(pid) == process.pid)
    os.kill(web, signal.SIGKILL)
    assert process.wait(STOP_S) == 1
    deadline = time.monotonic() + STOP_S
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
    assert "The web server stopped unexpectedly" in "".join(lines)


def test_the_supervisor_stops_whole_groups_and_kills_what_lingers(tmp_path):
    out = io.StringIO()
    supervisor = Supervisor(dict(os.environ), out)
    ready = tmp_path / "ready"
    stubborn = supervisor.start("stubborn", [sys.executable, "-c", (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"), str(ready)])
    parent = supervisor.start("parent", [sys.executable, "-c", (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "time.sleep(60)")])
    deadline = time.monotonic() + 30
    while not (ready.exists() and descendants(parent.pid)):
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)
    grandchild = descendants(parent.pid).pop()
    assert supervisor.dead() is None
    assert supervisor.stop(wait=1.0) == ["parent", "stubborn"]
    assert stubborn.process.returncode == -signal.SIGKILL
    assert "The stubborn did not stop in 1 s: killed." in out.getvalue()
    deadline = time.monotonic() + 10
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild) and not alive(parent.pid) and not alive(stubborn.pid)
    assert supervisor.children == []


def test_a_taken_port_is_skipped():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        chosen = free_port("127.0.0.1", port)
    assert chosen != port and port < chosen < port + 20
