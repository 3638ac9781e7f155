"""Reading Help now's content files: one error type that lists every problem at once, so
whoever edits a file (or translates it) sees all that is wrong in one run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class ContentDataError(ValueError):
    """A content file is not valid; ``problems`` lists every reason."""

    what = "content data"

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(f"invalid {self.what}: " + "; ".join(self.problems))


def read_yaml(path: Path, error: type[ContentDataError]) -> Any:
    """The parsed file, or `error` saying why it cannot be read."""
    import yaml

    try:
        with Path(path).open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise error([f"cannot read {path}: {exc.strerror or exc}"]) from exc
    except yaml.YAMLError as exc:
        raise error([f"{path} is not valid YAML: {exc}"]) from exc
