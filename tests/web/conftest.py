"""Fixtures shared by the web tests.

`shared_database`: a database that other threads and other processes (workers run as
commands) see just as the test does. Tests that use it are marked
``pytest.mark.django_db(transaction=True, databases=SHARED)``; through the alias
``"shared"`` they read and write what the child processes see. On SQLite (the default, whose
test database lives in memory, out of other processes' reach) its test database is a file;
when the suite runs against PostgreSQL (CYBERBASICS_DATABASE_URL, `make test-postgres`) it is
the test database itself.

Tests marked ``postgres`` need PostgreSQL itself and are skipped on SQLite.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_ALIAS = "shared"
SHARED = ["default", SHARED_ALIAS]
_FOLDER = Path(tempfile.mkdtemp(prefix="cyberbasics-shared-database-"))


def pytest_configure(config):
    from django.conf import settings
    from django.db import connections

    default = settings.DATABASES["default"]
    if "sqlite" in default["ENGINE"]:
        test = {"NAME": str(_FOLDER / "test-shared.sqlite3")}
    else:
        test = {"MIRROR": "default"}
    settings.DATABASES[SHARED_ALIAS] = {**default, "TEST": test}
    connections.configure_settings(settings.DATABASES)  # fills in the defaults (in place)


def pytest_unconfigure(config):
    shutil.rmtree(_FOLDER, ignore_errors=True)


def pytest_runtest_setup(item):
    from django.conf import settings

    if item.get_closest_marker("postgres") and \
            "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("needs PostgreSQL: make test-postgres")


@dataclass
class SharedDatabase:
    alias: str  # for the ORM in this process: Model.objects.using(alias)
    url: str  # CYBERBASICS_DATABASE_URL for a child process
    folder: Path  # CYBERBASICS_VAR of the child processes

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child process (`python -m cyberbasics.web ...`)."""
        return {**os.environ, "DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings",
                "CYBERBASICS_DATABASE_URL": self.url, "CYBERBASICS_VAR": str(self.folder),
                "CYBERBASICS_SECRET_KEY": "tests-only-not-secret", "CYBERBASICS_HTTPS": "0",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), **extra}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "cyberbasics.web", *args]


def database_url(settings: dict) -> str:
    """CYBERBASICS_DATABASE_URL for a connection's settings."""
    if "sqlite" in settings["ENGINE"]:
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = settings["HOST"] or "localhost"
    if host.startswith("/"):  # a Unix socket folder
        host = quote(host, safe="")
    elif ":" in host:  # IPv6
        host = f"[{host}]"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return (f"postgres://{credentials}{'@' if credentials else ''}{host}{port}/"
            f"{quote(settings['NAME'], safe='')}")


@pytest.fixture
def shared_database(request, tmp_path) -> SharedDatabase:
    from django.db import connections

    marker = request.node.get_closest_marker("django_db")
    assert marker and marker.kwargs.get("transaction") and \
        SHARED_ALIAS in marker.kwargs.get("databases", ()), \
        "mark the test django_db(transaction=True, databases=SHARED)"
    folder = tmp_path / "var"
    folder.mkdir()
    return SharedDatabase(SHARED_ALIAS, database_url(connections[SHARED_ALIAS].settings_dict),
                          folder)
