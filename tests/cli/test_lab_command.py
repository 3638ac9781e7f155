"""The README's offline path: `cyberbasics lab` prints a scan command that works."""

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("cyberbasics"))


def _command(lines, start):
    """The scan command printed from line `start` on (a line ending in a backslash goes on)."""
    words = []
    for line in lines[start:]:
        words.append(line.rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    args = shlex.split(" ".join(words))
    args[0] = CLI
    return args


def test_lab_prints_scan_commands_that_work():
    lab = subprocess.Popen([CLI, "lab"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines, deadline, seen = [], time.monotonic() + 60, 0
        while time.monotonic() < deadline and seen < 2:
            line = lab.stdout.readline()
            assert line, lab.stderr.read()
            lines.append(line.rstrip())
            seen += "--lab" in line
        assert "bakery.example" in "\n".join(lines)
        starts = [i for i, line in enumerate(lines) if "cyberbasics scan" in line]
        passive, active = (_command(lines, i) for i in starts)
        done = subprocess.run([*passive, "--format", "json"], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)["results"]
        assert len(results) == 5
        assert all(f["status"] != "error" for r in results for f in r["findings"])
        assert "--active" in active
        done = subprocess.run([*active, "--format", "json", "--check", "services.*"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        [plumber] = json.loads(done.stdout)["results"]
        statuses = {f["check"]: f["status"] for f in plumber["findings"]}
        assert plumber["mode"] == "active"
        assert statuses["services.remote_access"] == "fail"
        assert statuses["services.databases"] == "fail"
    finally:
        lab.terminate()
        lab.wait(10)
