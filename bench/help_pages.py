"""Help now's public pages, as a phone gets them: the bytes of each page and the server's time
to make it (Django's test client in this process, an empty database, the median of 20).

A person in trouble taps through the triage on a phone, often on a poor connection, so each
page must be small and quick: the figures are the HTML alone (the one stylesheet and the
print script are cached after the first page).

    cd bench && ../.venv/bin/python help_pages.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAGES = ("/", "/help/", "/help/triage/", "/help/triage/?what_happened=invoice_fraud",
         "/help/triage/?what_happened=invoice_fraud&money=payment_made",
         "/help/playbook/invoice_fraud/?country=GB",
         "/help/report/?country=PL&incident=ransomware", "/help/breach/",
         "/help/evidence/", "/email-check/")
ROUNDS = 20


def benchmark() -> dict:
    """The figures, measured in a fresh process (Django's test set-up is once per process)."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json"],
                          capture_output=True, text=True, check=True, timeout=600,
                          env={**os.environ,
                               "DJANGO_SETTINGS_MODULE": "cyberbasics.web.settings_test"})
    return json.loads(done.stdout)


def measure() -> dict:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        client = Client()
        pages = {}
        for path in PAGES:
            times = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise AssertionError(f"{path}: {response.status_code}")
            pages[path] = {"bytes": len(response.content),
                           "median_ms": statistics.median(times) * 1000}
    finally:
        teardown_databases(databases, verbosity=0)
    return pages


def report(pages: dict) -> list[str]:
    lines = ["Help now's pages (HTML bytes, server time: median of 20)"]
    lines += [f"  {path:<58} {page['bytes']:>7} B {page['median_ms']:6.1f} ms"
              for path, page in pages.items()]
    return lines


if __name__ == "__main__":
    if sys.argv[1:] == ["--json"]:
        print(json.dumps(measure()))
    else:
        print("\n".join(report(benchmark())))
