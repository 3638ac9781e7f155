"""Where the web's scans and ownership checks resolve names, what they trust, which ports
they use: the core's `ScanConfig`, built from the settings.

In the lab (`make run`) a small JSON file describes the running lab world
(`CYBERBASICS_LAB_STATE`, written by `write_lab_state`):

    {"nameservers": [["127.0.0.1", 53535]], "ca_file": "/tmp/.../ca.pem",
     "trust_anchor_file": "/tmp/.../trust-anchor.txt", "port_map": {"25": 2525, ...}}

and scans run in lab mode (loopback only, the lab's CA and ports). Otherwise
`CYBERBASICS_NAMESERVERS` names the resolvers (HOST or HOST:PORT, comma-separated). With
neither, the web refuses to scan: it never falls back to the machine's /etc/resolv.conf,
whose resolver may be an internal one that answers for private names.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ..config import ConfigError, ScanConfig, lab_mode_from_environment, parse_nameserver

LAB_STATE_FORMAT = "cyberbasics.lab-state/1"


class ScanSetupError(Exception):
    """Scanning is not (correctly) set up on this site. `str()` is for people using the
    site; `detail` says what the administrator must change."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


def _not_set_up(detail: str) -> ScanSetupError:
    return ScanSetupError(_("Scans are not set up on this site yet, so nothing could be "
                            "checked. Please tell the site's administrator."), detail)


def lab_state_path() -> Path | None:
    value = getattr(settings, "CYBERBASICS_LAB_STATE", "") or ""
    return Path(value) if value.strip() else None


def lab_mode() -> bool:
    """Whether this site runs against the offline lab: the lab's reserved demo names
    (`.example`) may then be added as domains."""
    return lab_state_path() is not None or lab_mode_from_environment()


def read_lab_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _not_set_up(f"CYBERBASICS_LAB_STATE: cannot read {path}: {exc}") from None
    if not isinstance(state, dict) or not state.get("nameservers"):
        raise _not_set_up(f"CYBERBASICS_LAB_STATE: {path} names no nameservers")
    return state


def _lab_config(path: Path, active: bool) -> ScanConfig:
    state = read_lab_state(path)
    try:
        nameservers = tuple((str(host), int(port)) for host, port in state["nameservers"])
        port_map = {int(k): int(v) for k, v in (state.get("port_map") or {}).items()}
        return ScanConfig(
            nameservers=nameservers,
            ca_file=Path(state["ca_file"]) if state.get("ca_file") else None,
            trust_anchor_file=(Path(state["trust_anchor_file"])
                               if state.get("trust_anchor_file") else None),
            lab=True, port_map=port_map, active=active,
            timeout=float(state.get("timeout", 2.0)),
            domain_timeout=float(state.get("domain_timeout", 30.0)))
    except (ConfigError, TypeError, ValueError, KeyError) as exc:
        raise _not_set_up(f"CYBERBASICS_LAB_STATE: {path}: {exc}") from None


def scan_config(active: bool = False) -> ScanConfig:
    """The configuration every scan and ownership check of the web uses; `ScanSetupError`
    when the site has none."""
    path = lab_state_path()
    if path is not None:
        return _lab_config(path, active)
    configured = list(getattr(settings, "CYBERBASICS_NAMESERVERS", []) or [])
    if not configured:
        raise _not_set_up("set CYBERBASICS_NAMESERVERS (the resolvers scans ask, HOST or "
                          "HOST:PORT, comma-separated) or, for the lab, CYBERBASICS_LAB_STATE")
    try:
        nameservers = tuple(parse_nameserver(text) for text in configured)
        return ScanConfig(nameservers=nameservers, active=active)
    except ConfigError as exc:
        raise _not_set_up(f"CYBERBASICS_NAMESERVERS: {exc}") from None


def lab_state(world) -> dict[str, Any]:
    """What `scan_config` needs of a running lab world (`lab.world.RunningWorld`)."""
    return {
        "format": LAB_STATE_FORMAT,
        "nameservers": [[world.dns.host, world.dns.port]],
        "ca_file": str(world.ca_file),
        "trust_anchor_file": str(world.trust_anchor_file),
        "port_map": {str(k): v for k, v in sorted(world.port_map.items())},
    }


def write_lab_state(world, path) -> Path:
    """Write the lab state file for `world` at `path` (atomically: a reader never sees half
    a file); the web then scans that lab when CYBERBASICS_LAB_STATE names the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".lab-state-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(lab_state(world), out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
