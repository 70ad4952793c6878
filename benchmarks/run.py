"""What one benchmark run is asked to do, and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
import sys
import time
from typing import Any


@dataclass(slots=True)
class Run:
    """Sizes and simulated time of a run; ``results`` fills in as it goes."""

    sims: int = 1000
    lora_devices: int = 1000
    hours: float = 24.0
    results: dict[str, Any] = field(default_factory=dict)
    started: float = field(
        default_factory=lambda: time.clock_gettime(time.CLOCK_MONOTONIC)
    )

    def note(self, message: str) -> None:
        """Tell how far the run got (stderr, so the figures stay clean)."""
        elapsed = time.clock_gettime(time.CLOCK_MONOTONIC) - self.started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)  # noqa: T201
