"""Every test here keeps the user's data directory out of reach: updates go to a tmp dir."""

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "user-data"
    monkeypatch.setenv("CYBERBASICS_DATA_DIR", str(path))
    return path
