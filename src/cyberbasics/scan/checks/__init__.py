"""The checks, one module per topic; importing this package registers them all, in the
order reports list them."""

from . import domain, email_transport, email_auth, web, tls, vulns  # noqa: F401
