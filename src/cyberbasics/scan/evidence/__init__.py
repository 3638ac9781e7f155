"""Evidence collectors, one module per topic; importing this package registers them all."""

from . import dns_basic, dnssec, email_auth, mail_transport, software, tls, web  # noqa: F401
