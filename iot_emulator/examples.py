"""The provider documents' example payloads, verbatim, for seeding and tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).parent / "examples"


def load_example(provider: str, name: str) -> Any:
    """The example ``examples/<provider>/<name>.json`` as parsed JSON."""
    return json.loads((EXAMPLES_DIR / provider / f"{name}.json").read_text("utf-8"))
