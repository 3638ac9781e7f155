"""The CLI imports cyberbasics.protocols.spf at start-up: it must stay cheap."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys, time
import cyberbasics.net.dns  # allowed, and measured by its own owner
before = set(sys.modules)
start = time.process_time()
import cyberbasics.protocols.spf
elapsed = time.process_time() - start
new = sorted({name.split('.')[0] for name in set(sys.modules) - before})
print(elapsed)
print(' '.join(new))
"""


def test_spf_imports_only_stdlib_beyond_the_dns_module():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    elapsed = float(out[0])
    modules = set(out[1].split()) if len(out) > 1 else set()
    allowed = set(sys.stdlib_module_names) | {"cyberbasics"}
    assert modules <= allowed, modules - allowed
    assert elapsed < 0.1  # the CLI's whole start-up budget is 0.3 s of CPU


def test_spf_modules_import_nothing_but_stdlib_and_net_dns_at_top_level():
    import ast
    from pathlib import Path

    import cyberbasics.protocols.spf as spf

    for path in Path(spf.__file__).parent.glob("spf*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name in (
                    "cyberbasics.net.dns", "__future__") or name.startswith(
                    "cyberbasics.protocols.spf"), f"{path.name} imports {name}"
