"""Settings for the test suite: the real settings with a throwaway key and fast hashing off
only where a test does not sign in through the form."""

import os
import tempfile

os.environ.setdefault("CYBERBASICS_SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("CYBERBASICS_VAR", tempfile.mkdtemp(prefix="cyberbasics-web-tests-"))
os.environ.setdefault("CYBERBASICS_HTTPS", "0")

from .settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The test database: in memory by default; CYBERBASICS_DATABASE_URL picks a real server.
