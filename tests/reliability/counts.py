"""What the reliability tests exercised, for the closing summary of a run."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()
"""Keys: ``fault cases``, ``fuzz examples``, ``secret checks``."""
