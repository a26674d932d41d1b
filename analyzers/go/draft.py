"""The Go analyzer's draft: the shared one, plus the build image and the strongest read of each env var."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kubify.analyzers.draft import Draft
from kubify.ir import Evidence


@dataclass
class GoDraft(Draft):
    analyzer: ClassVar[str] = "go"

    #: The generated build's base image (from the go directive and toolchain line).
    image: str = "golang:1"
    #: The highest confidence noted so far per env var name.
    env_confidence: dict[str, float] = field(default_factory=dict)

    def notes_env(self, name: str, confidence: float) -> bool:
        """Each read more confident than the ones before is shown (an example file, then the code reading it)."""
        if confidence <= self.env_confidence.get(name, 0.0):
            return False
        self.env_confidence[name] = confidence
        return True

    def ordered_evidence(self) -> tuple[Evidence, ...]:
        """In the order the rules ran: the module's facts, then the program's."""
        return tuple(self.evidence)
