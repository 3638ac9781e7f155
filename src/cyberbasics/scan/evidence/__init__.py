"""Evidence collectors, one module per topic; importing this package registers them all."""

from . import (  # noqa: F401
    dns_basic,
    dnssec,
    email_auth,
    mail_transport,
    sensitive_files,
    services,
    software,
    tls,
    web,
)
