"""Active-scan tests: every test gets its own lock folder (no lock survives a test)."""

import pytest


@pytest.fixture(autouse=True)
def _lock_dir(tmp_path, monkeypatch):
    folder = tmp_path / "locks"
    monkeypatch.setenv("CYBERBASICS_LOCK_DIR", str(folder))
    return folder
