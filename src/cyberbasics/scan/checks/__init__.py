"""The checks, one module per topic; importing this package registers them all."""

from . import domain, email_transport  # noqa: F401
