"""Every interface string of the web platform exists in every language.

The catalogues are src/cyberbasics/web/locale/<lang>/LC_MESSAGES/django.po. This test extracts
the strings from the code and templates as they are now (Django's makemessages, into a copy)
and requires each language's catalogue to hold every one of them, translated and not fuzzy,
so a string added without its translations fails the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cyberbasics.web

WEB = Path(cyberbasics.web.__file__).parent
TRANSLATED = ("pl", "es", "it", "ro")  # English is the source language

pytestmark = pytest.mark.skipif(shutil.which("msgcmp") is None,
                                reason="GNU gettext is needed (make installs it)")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The .pot of the code as it is now."""
    copy = tmp_path_factory.mktemp("web") / "web"
    shutil.copytree(WEB, copy, ignore=shutil.ignore_patterns("locale", "__pycache__",
                                                               "migrations", "static"))
    (copy / "locale").mkdir()
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "pl", "--keep-pot",
                    "--no-obsolete", "--no-location"],
                   cwd=copy, check=True, capture_output=True, text=True,
                   env={"DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings_test",
                        "PATH": "/usr/bin:/bin", "CYBERBASICS_SECRET_KEY": "x"})
    pot = copy / "locale" / "django.pot"
    assert pot.exists()
    return pot


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated(template: Path, language: str):
    catalogue = WEB / "locale" / language / "LC_MESSAGES" / "django.po"
    assert catalogue.exists(), f"no catalogue for {language}: {catalogue}"
    compared = subprocess.run(["msgcmp", str(catalogue), str(template)],
                              capture_output=True, text=True)
    assert compared.returncode == 0, (f"{language}: strings missing or untranslated:\n"
                                      f"{compared.stderr[-4000:]}")
    stats = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                            str(catalogue)], capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    assert "fuzzy" not in stats.stderr and "untranslated" not in stats.stderr, stats.stderr
