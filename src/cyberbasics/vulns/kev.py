"""The CISA Known Exploited Vulnerabilities catalogue, as CISA publishes it in JSON
(schema: cisagov/kev-data, known_exploited_vulnerabilities_schema.json): the top level has
catalogVersion, dateReleased, count and vulnerabilities; each vulnerability has cveID,
vendorProject, product, vulnerabilityName, dateAdded, shortDescription, requiredAction and
dueDate (required), and knownRansomwareCampaignUse, notes and cwes (optional).

The catalogue says *which* CVEs attackers use; it names products in free text, so it gives no
version ranges (those come from OSV, see osv.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
KEV_PAGE = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
MAX_CATALOGUE_BYTES = 64 * 1024 * 1024
_CVE = re.compile(r"CVE-\d{4}-\d{4,19}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REQUIRED = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded",
             "shortDescription", "requiredAction", "dueDate")


class KevError(ValueError):
    """The document is not a KEV catalogue."""


@dataclass(frozen=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: str
    description: str
    required_action: str
    due_date: str
    ransomware: str = "Unknown"
    notes: str = ""

    @property
    def url(self) -> str:
        return f"{KEV_PAGE}?field_cve={self.cve}"


@dataclass(frozen=True)
class KevCatalogue:
    version: str
    released: str
    entries: dict[str, KevEntry]  # by CVE id
    skipped: int = 0  # vulnerabilities without the required fields

    def __contains__(self, cve: str) -> bool:
        return cve in self.entries


def parse_kev(document: Any) -> KevCatalogue:
    """A catalogue from its JSON (bytes, text or already decoded); entries missing a required
    field are skipped and counted, never guessed."""
    if isinstance(document, bytes | str):
        if len(document) > MAX_CATALOGUE_BYTES:
            raise KevError("the catalogue is larger than any real one")
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise KevError(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise KevError("the catalogue is a JSON object")
    vulnerabilities = document.get("vulnerabilities")
    version = document.get("catalogVersion")
    released = document.get("dateReleased")
    if not isinstance(vulnerabilities, list) or not isinstance(version, str) \
            or not isinstance(released, str):
        raise KevError("not a KEV catalogue (catalogVersion, dateReleased and "
                       "vulnerabilities are required)")
    entries: dict[str, KevEntry] = {}
    skipped = 0
    for raw in vulnerabilities:
        entry = _entry(raw)
        if entry is None:
            skipped += 1
            continue
        entries[entry.cve] = entry
    return KevCatalogue(version, released, entries, skipped)


def _entry(raw: Any) -> KevEntry | None:
    if not isinstance(raw, dict):
        return None
    values = {key: raw.get(key) for key in _REQUIRED}
    if not all(isinstance(v, str) and v.strip() for v in values.values()):
        return None
    cve = values["cveID"].strip()
    if not _CVE.fullmatch(cve) or not _DATE.fullmatch(values["dateAdded"].strip()):
        return None
    ransomware = raw.get("knownRansomwareCampaignUse")
    notes = raw.get("notes")
    return KevEntry(cve, values["vendorProject"].strip(), values["product"].strip(),
                    values["vulnerabilityName"].strip(), values["dateAdded"].strip(),
                    values["shortDescription"].strip(), values["requiredAction"].strip(),
                    values["dueDate"].strip(),
                    ransomware.strip() if isinstance(ransomware, str) else "Unknown",
                    notes.strip() if isinstance(notes, str) else "")
