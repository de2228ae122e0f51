"""What a load or a batch did: every row processed is inserted, already there, or rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.rejections import Rejection


@dataclass
class Summary:
    table: str
    keep: int | None = None  # how many rejections to keep in the answer; None keeps all
    processed: int = 0
    inserted: int = 0
    already_exists: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    lines_read: int | None = None  # physical lines of a CSV file read, blank ones included

    def count(self, inserted: int, already_exists: int, rejections: list[Rejection]) -> None:
        self.inserted += inserted
        self.already_exists += already_exists
        self.rejected += len(rejections)
        self.processed += inserted + already_exists + len(rejections)
        room = len(rejections) if self.keep is None else self.keep - len(self.rejections)
        self.rejections.extend(rejections[: max(room, 0)])

    def as_dict(self) -> dict[str, object]:
        lines = {} if self.lines_read is None else {"lines_read": self.lines_read}
        return {
            "table": self.table,
            **lines,
            "processed": self.processed,
            "inserted": self.inserted,
            "already_exists": self.already_exists,
            "rejected": self.rejected,
            "rejections": [r.as_dict() for r in self.rejections],
        }
