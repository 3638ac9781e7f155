"""The target lock: one active scan of an address at a time, across processes too."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from cyberbasics.lab import services as lab
from cyberbasics.net.target_lock import (
    LOCK_DIR_ENV,
    TargetBusy,
    TargetLockError,
    TargetLocks,
    acquire,
    lock_dir,
    lock_path,
    release,
)

from .helpers import active_lab, findings, new_address, records_for

ROOT = Path(__file__).resolve().parents[2]


async def _holder(address: str, seconds: float) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.services.worker", "hold", address, str(seconds),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env)
    line = await asyncio.wait_for(process.stdout.readline(), 15)
    assert line.strip() == b"locked"
    return process


def test_the_lock_folder(tmp_path, monkeypatch, _lock_dir):
    assert lock_dir() == _lock_dir and (_lock_dir.stat().st_mode & 0o777) == 0o700
    assert lock_path("::ffff:192.0.2.1").name == "192.0.2.1.lock"
    assert lock_path("2001:db8::1").name == "2001_db8__1.lock"
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    monkeypatch.setenv(LOCK_DIR_ENV, str(link))
    with pytest.raises(TargetLockError, match="not a folder"):
        lock_dir()
    monkeypatch.delenv(LOCK_DIR_ENV)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert lock_dir() == tmp_path / "cyberbasics" / "locks"


async def test_collectors_of_one_batch_share_a_hold_but_another_batch_waits():
    batch, other = TargetLocks(), TargetLocks()
    async with batch.hold("192.0.2.1", wait=0.1), batch.hold("::ffff:192.0.2.1", wait=0.1):
        assert batch.held("192.0.2.1")
        with pytest.raises(TargetBusy, match=r"another active scan of 192\.0\.2\.1"):
            async with other.hold("192.0.2.1", wait=0.2):
                pass
        async with other.hold("192.0.2.2", wait=0.1):  # other addresses are free
            pass
    assert not batch.held("192.0.2.1")
    async with other.hold("192.0.2.1", wait=0.1):  # released with the last hold
        pass


async def test_another_process_holding_the_lock_makes_us_wait_or_give_up():
    address = new_address()
    holder = await _holder(address, 1.0)
    try:
        with pytest.raises(TargetBusy, match=rf"\(process {holder.pid} since"):
            await acquire(address, wait=0.2)
        started = time.monotonic()
        held = await acquire(address, wait=10.0)  # waits for the holder to finish
        waited = time.monotonic() - started
        release(held)
    finally:
        await holder.wait()
    assert 0.3 < waited < 5.0


async def test_a_killed_holder_leaves_no_lock_behind():
    address = new_address()
    holder = await _holder(address, 30.0)
    holder.kill()
    await holder.wait()
    release(await acquire(address, wait=1.0))


async def test_a_scan_that_cannot_get_the_lock_says_why(tmp_path):
    web = new_address()
    holder = await _holder(web, 3.0)
    try:
        records = records_for("shop.com", apex=[web])
        async with active_lab(tmp_path, "shop.com", records, {web: {22: lab.ssh()}},
                              checks=("services.ssh",), domain_timeout=1.0) as (_, config):
            found = await findings(config, "shop.com")
    finally:
        holder.kill()
        await holder.wait()
    ssh = found["services.ssh"]
    assert (str(ssh.status), ssh.result) == ("error", "could-not-check")
    assert "another active scan of" in ssh.summary and f"process {holder.pid}" in ssh.summary
