"""Run the scale benchmark: ``python -m benchmarks [--check]``.

The measurements run as pytest items inside Home Assistant's test harness
(a real instance, a frozen clock to move on); this wrapper sizes the run,
prints the figures and the targets, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import subprocess
import sys
import time

import pytest

from .probes import wall_time
from .report import as_json, render, targets
from .run import Run

SCENARIO = Path(__file__).with_name("scenario.py")


class _BenchPlugin:
    """Hands the run to the measurements as the ``bench`` fixture."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.fixture
    def bench(self) -> Run:
        """The run being measured."""
        return self.run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sims", type=int, default=1000, help="SIMs per SIM provider")
    parser.add_argument("--lora-devices", type=int, default=1000, help="LoRa devices")
    parser.add_argument(
        "--hours", type=float, default=24.0, help="simulated hours of polling"
    )
    parser.add_argument(
        "--output", type=Path, default=Path("artifacts/bench.json"), help="JSON file"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a target is missed"
    )
    return parser


def _commit() -> str | None:
    """The checked-out commit, so runs can be compared between commits."""
    try:
        answer = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=True,
        )
    except OSError, subprocess.CalledProcessError:
        return None
    return answer.stdout.strip() or None


def main() -> int:
    """Measure, print, write the JSON; the exit code reflects ``--check``."""
    args = _parser().parse_args()
    run = Run(sims=args.sims, lora_devices=args.lora_devices, hours=args.hours)
    start = wall_time()
    code = pytest.main(
        [
            str(SCENARIO),
            "--quiet",
            "--no-header",
            "--capture=no",
            # Its collections of the whole heap at the end take seconds.
            "-p",
            "no:unraisableexception",
            "-o",
            "python_functions=bench_*",
        ],
        plugins=[_BenchPlugin(run)],
    )
    if code != pytest.ExitCode.OK:
        print(f"benchmark failed (pytest exit code {code})", file=sys.stderr)  # noqa: T201
        return 2
    results = {
        "commit": _commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sims": run.sims,
        "lora_devices": run.lora_devices,
        "hours": run.hours,
        "wall_seconds": wall_time() - start,
        **run.results,
    }
    found = targets(results)
    results["targets"] = as_json(found)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(render(results, found))  # noqa: T201
    print(f"figures written to {args.output}")  # noqa: T201
    return 1 if args.check and not all(t.passed for t in found) else 0


if __name__ == "__main__":
    sys.exit(main())
