"""Provenance of every output: varprio version, command line, knowledge base and model."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass

from varprio import __version__


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed (``varprio`` plus its arguments), shell-quoted."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join(["varprio", *args])


@dataclass(frozen=True)
class Provenance:
    """What produced an output; written as ``##key=value`` lines at the top of tables."""

    command: str
    kb: str  # name=...;version=...;sha256=...
    model: str  # name=...;version=...

    def header_lines(self) -> list[str]:
        """The ``##`` lines, in a fixed order; values never contain a newline."""
        items = [
            ("varprio_version", __version__),
            ("varprio_command", self.command),
            ("kb", self.kb),
            ("model", self.model),
        ]
        return [f"##{k}={v.replace(chr(10), ' ').replace(chr(13), ' ')}" for k, v in items]
