"""Software a scan saw, named the same way wherever it was seen.

Web headers and generator tags (passive), service banners and portal pages (active) each
report what they identified as `SoftwareSeen`; the known-exploited-vulnerabilities check
matches these against its dataset by product id. A version that could not be read stays
`None` and is never matched against a version range.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# Canonical product ids and the names users read. Add a product here before a parser or a
# dataset entry uses it; the tests hold parsers and dataset to this list.
PRODUCTS = MappingProxyType({
    "openssh": "OpenSSH",
    "dropbear": "Dropbear SSH",
    "apache-httpd": "Apache HTTP Server",
    "nginx": "nginx",
    "microsoft-iis": "Microsoft IIS",
    "litespeed": "LiteSpeed Web Server",
    "php": "PHP",
    "wordpress": "WordPress",
    "joomla": "Joomla!",
    "drupal": "Drupal",
    "microsoft-exchange": "Microsoft Exchange Server",
    "fortinet-fortios": "Fortinet FortiOS (FortiGate SSL VPN)",
    "ivanti-connect-secure": "Ivanti Connect Secure (Pulse Secure VPN)",
    "citrix-netscaler": "Citrix NetScaler ADC / Gateway",
    "sonicwall-sonicos": "SonicWall SonicOS",
    "paloalto-panos": "Palo Alto Networks PAN-OS (GlobalProtect)",
    "exim": "Exim",
    "postfix": "Postfix",
    "proftpd": "ProFTPD",
    "vsftpd": "vsftpd",
    "pure-ftpd": "Pure-FTPd",
    "filezilla-server": "FileZilla Server",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "redis": "Redis",
    "dovecot": "Dovecot",
    "elasticsearch": "Elasticsearch",
    "opensearch": "OpenSearch",
    "couchdb": "Apache CouchDB",
    "memcached": "memcached",
    "webmin": "Webmin",
})


@dataclass(frozen=True)
class SoftwareSeen:
    product: str  # a key of PRODUCTS
    version: str | None  # as read (e.g. "8.9p1", "2.4.49"); None when it was not shown
    where: str  # where it was seen, for people: "https://example.com/ (Server header)"
    raw: str  # the text it was read from, kept as evidence

    def __post_init__(self):
        if self.product not in PRODUCTS:
            raise ValueError(f"unknown product id {self.product!r}; add it to PRODUCTS")

    @property
    def name(self) -> str:
        return PRODUCTS[self.product]

    def to_json(self) -> dict:
        return {"product": self.product, "version": self.version, "where": self.where,
                "raw": self.raw}
