"""The address a request came from, for sign-in throttling and the audit log.

Behind a proxy every request arrives from the proxy's address, which would make one
throttle of all the site's visitors together. With `CYBERBASICS_PROXY_COUNT` proxies in
front, the client is the address the first of them saw: that many entries from the right of
X-Forwarded-For (each proxy appends the address it received from). Entries further left are
whatever the client sent and are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    proxies = getattr(settings, "CYBERBASICS_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [hop.strip() for hop in
                request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass  # not an address: fall back to the connection's
    return request.META.get("REMOTE_ADDR") or None
