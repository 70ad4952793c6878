"""Stopping the demo in each of its states: nothing it started may outlive it.

Each check starts its own demo (fresh config folder, free ports), brings it
into a state, stops it and fails unless develop.py, Home Assistant, the
emulator and anything they started have all gone within ``STOP_LIMIT``
seconds. The running state with Ctrl-C is the browser test's own demo.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import signal
from typing import Final

from .demo import DemoProcess, Stopped

STOP_LIMIT: Final = 20.0
"""Seconds a stop may take: develop.py kills what has not stopped after 15 s."""


def stop_report(stopped: Stopped, expected: str | None = None) -> str:
    """Check a stop's duration and what develop.py said; a line for the report."""
    if expected and not any(expected in line for line in stopped.said):
        msg = f"develop.py did not say {expected!r} but {stopped.said}"
        raise AssertionError(msg)
    if stopped.seconds > STOP_LIMIT:
        msg = f"stopping took {stopped.seconds:.1f} s (limit {STOP_LIMIT:.0f} s)"
        raise AssertionError(msg)
    return f"{stopped.processes} processes gone after {stopped.seconds:.1f} s"


def sigterm_while_starting(log: Path) -> str:
    """SIGTERM to develop.py while it onboards and runs the config flows."""
    with DemoProcess(log) as develop:
        develop.wait_onboarding()
        stopped = develop.stop(signal.SIGTERM, group=False)
    return stop_report(stopped, "SIGTERM while adding the demo accounts")


def home_assistant_killed_first(log: Path) -> str:
    """Home Assistant dies (SIGKILL) while the demo runs, then SIGTERM."""
    with DemoProcess(log) as develop:
        develop.wait_ready()
        hass = develop.find("-m homeassistant")
        os.kill(hass.pid, signal.SIGKILL)
        stopped = develop.stop(signal.SIGTERM, group=False)
    return stop_report(stopped)


STOP_CHECKS: Final[tuple[tuple[str, Callable[[Path], str]], ...]] = (
    ("SIGTERM while starting (config flows): all gone", sigterm_while_starting),
    (
        "Home Assistant killed, then SIGTERM: all gone",
        home_assistant_killed_first,
    ),
)
