"""The README's offline path: `cyberbasics lab` prints a scan command that works."""

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("cyberbasics"))


def test_lab_prints_a_scan_command_that_scans_its_demo_businesses():
    lab = subprocess.Popen([CLI, "lab"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            line = lab.stdout.readline()
            assert line, lab.stderr.read()
            lines.append(line.rstrip())
            if line.strip().startswith("--") or "--lab" in line:
                break
        text = "\n".join(lines)
        assert "bakery.example" in text
        command = " ".join(lines[next(i for i, line in enumerate(lines)
                                      if "cyberbasics scan" in line):]).replace("\\", " ")
        args = shlex.split(command)
        args[0] = CLI
        done = subprocess.run([*args, "--format", "json"], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)["results"]
        assert len(results) == 5
        assert all(f["status"] != "error" for r in results for f in r["findings"])
    finally:
        lab.terminate()
        lab.wait(10)
