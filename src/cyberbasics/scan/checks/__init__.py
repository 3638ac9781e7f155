"""The checks, one module per topic; importing this package registers them all, in the
order reports list them."""

from . import domain, email_transport, email_auth, web, tls, web_active, services, vulns  # noqa: F401
