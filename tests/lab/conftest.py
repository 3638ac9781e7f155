"""Fixtures shared by the lab server tests (test_ca, test_smtp, test_web, test_faults)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from cyberbasics.lab.ca import LabCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    # The same directory in every lab test module: later modules load this CA from disk.
    return LabCA.create(tmp_path_factory.getbasetemp() / "lab-ca")


@pytest.fixture
async def no_leftover_tasks(caplog):
    """After the test: no asyncio task left running, and nothing logged at WARNING or above.

    Not autouse, so it covers only the modules that ask for it with
    ``pytestmark = pytest.mark.usefixtures("no_leftover_tasks")``.
    """
    yield
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
