"""Per-address leases in the database: one active scan of an address at a time on every
machine, a dead holder's lease reclaimed when it expires, and a scan that finds its address
busy says "could not check" and why."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time

import pytest
from django.db import connections

from cyberbasics.lab import services as lab
from cyberbasics.net.target_lock import TargetBusy, TargetLocks
from cyberbasics.web.jobs.models import TargetLease
from cyberbasics.web.jobs.target_lease import (
    DatabaseTargetLocks,
    database_target_locks,
    give_back,
    renew,
    take,
)
from tests.services.helpers import active_lab, findings, new_address, records_for

from .conftest import ROOT, SHARED

pytestmark = pytest.mark.django_db(transaction=True, databases=SHARED)


def leases(alias: str):
    return TargetLease.objects.using(alias)


async def in_thread(alias: str, work):
    """Database work from a test's event loop: in a thread, whose connection is closed."""
    def run():
        try:
            return work()
        finally:
            connections[alias].close()

    return await asyncio.to_thread(run)


def test_the_second_holder_finds_the_address_busy_until_the_first_gives_it_back(
        shared_database):
    alias = shared_database.alias
    assert take("192.0.2.1", "a", 30, using=alias) is None
    busy = take("192.0.2.1", "b", 30, using=alias)
    assert busy is not None and busy.holder == "a"
    assert take("192.0.2.2", "b", 30, using=alias) is None  # other addresses are free
    give_back("192.0.2.1", "b", using=alias)  # not b's to give back
    assert take("192.0.2.1", "b", 30, using=alias).holder == "a"
    give_back("192.0.2.1", "a", using=alias)
    assert take("192.0.2.1", "b", 30, using=alias) is None
    assert leases(alias).get(address="192.0.2.1").holder == "b"


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew_it(shared_database):
    alias = shared_database.alias
    assert take("192.0.2.1", "dead", 0.3, using=alias) is None
    assert take("192.0.2.1", "b", 30, using=alias).holder == "dead"
    time.sleep(0.5)
    assert take("192.0.2.1", "b", 30, using=alias) is None
    assert not renew("192.0.2.1", "dead", 30, using=alias)
    give_back("192.0.2.1", "dead", using=alias)
    assert leases(alias).get(address="192.0.2.1").holder == "b"
    assert renew("192.0.2.1", "b", 30, using=alias)


def test_holders_racing_for_an_address_get_it_once(shared_database):
    alias = shared_database.alias
    for round_ in range(5):
        address = f"192.0.2.{10 + round_}"
        start = threading.Barrier(4, timeout=30)
        won = []

        def contend(name: str, address=address, start=start, won=won):
            try:
                start.wait()
                if take(address, name, 30, using=alias) is None:
                    won.append(name)
            finally:
                connections[alias].close()

        threads = [threading.Thread(target=contend, args=(f"holder-{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(won) == 1, won
        assert leases(alias).get(address=address).holder == won[0]


async def test_a_second_scan_waits_then_gets_busy_and_renewal_keeps_the_lease(
        shared_database):
    alias = shared_database.alias
    with database_target_locks(lease=0.6, poll=0.05, using=alias) as first, \
            DatabaseTargetLocks(lease=0.6, poll=0.05, using=alias) as second:
        held = await first.acquire("::ffff:192.0.2.1", wait=1)
        await asyncio.sleep(1.5)  # longer than the lease: renewed meanwhile
        started = time.monotonic()
        with pytest.raises(TargetBusy, match=r"another active scan of 192\.0\.2\.1 was running "
                                             rf"\({first.holder} since \d\d:\d\d:\d\d UTC\)"):
            await second.acquire("192.0.2.1", wait=0.3)
        assert time.monotonic() - started >= 0.3
        await first.release(held)
        assert not await in_thread(alias, lambda: leases(alias).exists())
        again = await second.acquire("192.0.2.1", wait=0)
        await second.release(again)


async def test_one_batch_shares_its_hold_and_gives_it_back(shared_database):
    alias = shared_database.alias
    with database_target_locks(using=alias) as provider:
        locks = TargetLocks(provider=provider)
        async with locks.hold("192.0.2.1", wait=1), locks.hold("192.0.2.1", wait=0):
            [row] = await in_thread(alias, lambda: list(leases(alias)))
            assert (row.address, row.holder) == ("192.0.2.1", provider.holder)
        assert not await in_thread(alias, lambda: leases(alias).exists())


async def test_a_killed_holders_lease_is_reclaimed_when_it_expires(shared_database):
    code = ("import asyncio\n"
            "from cyberbasics.web.jobs.target_lease import database_target_locks\n"
            "async def main():\n"
            "    await database_target_locks(lease=1.5).acquire('192.0.2.9', wait=5)\n"
            "    print('held', flush=True)\n"
            "    await asyncio.sleep(60)\n"
            "asyncio.run(main())\n")
    holder = subprocess.Popen(shared_database.command("shell", "--no-imports", "-c", code),
                              env=shared_database.env(), cwd=ROOT, stdout=subprocess.PIPE)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), 30)
        assert line.strip() == b"held"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with DatabaseTargetLocks(poll=0.05, using=shared_database.alias) as provider:
            with pytest.raises(TargetBusy):
                await provider.acquire("192.0.2.9", wait=0)
            started = time.monotonic()
            held = await provider.acquire("192.0.2.9", wait=10)
            assert time.monotonic() - started < 3
            await provider.release(held)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)


async def test_a_scan_whose_address_another_worker_holds_could_not_check_it(
        shared_database, tmp_path):
    alias = shared_database.alias
    web = new_address()
    records = records_for("shop.com", apex=[web])
    assert await in_thread(alias, lambda: take(web, "process 7 on worker-b #1", 30,
                                               using=alias)) is None
    with database_target_locks(poll=0.05, using=alias) as provider:
        async with active_lab(tmp_path, "shop.com", records, {web: {22: lab.ssh()}},
                              checks=("services.ssh",), domain_timeout=1.0,
                              target_lock_provider=provider) as (_, config):
            busy = (await findings(config, "shop.com"))["services.ssh"]
            await in_thread(alias, lambda: give_back(web, "process 7 on worker-b #1",
                                                     using=alias))
            free = (await findings(config, "shop.com"))["services.ssh"]
    assert (str(busy.status), busy.result) == ("error", "could-not-check")
    assert "another active scan of" in busy.summary and "worker-b" in busy.summary
    assert free.result != "could-not-check", free.summary
    assert not await in_thread(alias, lambda: leases(alias).exists())
