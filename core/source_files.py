"""Setting up the CSV source: its container, and the sample files in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.ports import CsvSource


@dataclass
class SourceFiles:
    source: CsvSource

    def create(self) -> bool:
        """Create the source (a blob container, a folder) if it is missing; True if it was."""
        return self.source.create()

    def add(self, paths: Iterable[Path]) -> list[str]:
        """Copy the files that the source lacks into it, under their names; returns those."""
        added = []
        for path in paths:
            if not self.source.exists(path.name):
                with path.open("rb") as stream:
                    self.source.save(path.name, stream)
                added.append(path.name)
        return added
