"""The result of a transfer: one outcome per file, plus totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["transferred", "skipped", "failed", "planned"]


@dataclass
class FileOutcome:
    """What happened to one file.

    :param source: the source URI.
    :param destination: the destination URI (or the refused relative path).
    :param status: ``transferred``, ``skipped`` (already identical),
        ``failed``, or ``planned`` (dry run).
    :param bytes: bytes moved (or that would be moved, for a plan).
    :param seconds: wall time spent on this file.
    :param error: the exception, for a failure.
    """

    source: str
    destination: str
    status: Status
    bytes: int = 0
    seconds: float = 0.0
    error: BaseException | None = None


@dataclass
class TransferReport:
    """Every file's outcome; truthy iff no file failed."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return not any(outcome.status == "failed" for outcome in self.outcomes)

    def __iter__(self) -> Iterator[FileOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def _with(self, status: Status) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def transferred(self) -> list[FileOutcome]:
        """Files that were copied."""
        return self._with("transferred")

    @property
    def skipped(self) -> list[FileOutcome]:
        """Files left alone because the destination was already identical."""
        return self._with("skipped")

    @property
    def failed(self) -> list[FileOutcome]:
        """Files that could not be copied, each with its error."""
        return self._with("failed")

    @property
    def planned(self) -> list[FileOutcome]:
        """Files a dry run would copy."""
        return self._with("planned")

    @property
    def total_bytes(self) -> int:
        """Bytes moved by transferred files."""
        return sum(outcome.bytes for outcome in self.transferred)

    def summary(self) -> str:
        """One line: counts, bytes and time."""
        return (
            f"{len(self.transferred)} transferred, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed, {len(self.planned)} planned; "
            f"{self.total_bytes} bytes in {self.seconds:.2f}s"
        )

    def __repr__(self) -> str:
        return f"TransferReport({self.summary()})"
