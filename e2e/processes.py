"""The processes a test started, found in ``/proc`` (Linux).

The test process becomes a *child subreaper*: a process it started, directly
or not, whose parent dies is re-parented to the test instead of to init. So
everything the demo ever started stays a descendant of the test until it has
exited, and "nothing left behind" is simply "no descendant left".
"""

from __future__ import annotations

from collections.abc import Iterable
import ctypes
from dataclasses import dataclass
import os
from pathlib import Path
import signal
import sys
import time
from typing import Final

PR_SET_CHILD_SUBREAPER: Final = 36
PROC: Final = Path("/proc")


@dataclass(frozen=True, slots=True)
class Process:
    """One process, told apart from a later one with the same pid by its start."""

    pid: int
    ppid: int
    started: int
    """Start time after boot in clock ticks (field 22 of ``/proc/PID/stat``)."""
    state: str
    command: str

    def __str__(self) -> str:
        """``pid command`` for a report."""
        return f"{self.pid} {self.command}"


def _read(pid: int) -> Process | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    fields = stat[stat.rindex(")") + 2 :].split()
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return Process(
        pid=pid,
        ppid=int(fields[1]),
        started=int(fields[19]),
        state=fields[0],
        command=command or stat[stat.index("(") : stat.rindex(")") + 1],
    )


def processes() -> dict[int, Process]:
    """Every process of the machine that can be read now."""
    table = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (process := _read(int(entry.name))):
            table[process.pid] = process
    return table


def descendants(root: int) -> list[Process]:
    """The living (not zombie) descendants of ``root``, parents first."""
    table = processes()
    children: dict[int, list[Process]] = {}
    for process in table.values():
        children.setdefault(process.ppid, []).append(process)
    found: list[Process] = []
    queue = [root]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child.pid)
    return [process for process in found if process.state != "Z"]


def alive(known: Iterable[Process]) -> list[Process]:
    """Those of ``known`` that still run (same pid and start, not a zombie)."""
    left = []
    for process in known:
        now = _read(process.pid)
        if now and now.started == process.started and now.state != "Z":
            left.append(process)
    return left


def adopt_orphans() -> bool:
    """Make this process the subreaper of all it starts; False where impossible."""
    if sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def reap_orphans(keep: Iterable[int] = ()) -> None:
    """Reap exited orphans re-parented to this process.

    ``keep``: pids of this process's own ``Popen`` children, which their
    ``wait()`` reaps (reaping them here would lose their exit code).
    """
    own = os.getpid()
    kept = set(keep)
    for process in processes().values():
        if process.ppid == own and process.state == "Z" and process.pid not in kept:
            try:
                os.waitpid(process.pid, os.WNOHANG)
            except ChildProcessError:
                continue


def kill(victims: Iterable[Process]) -> None:
    """SIGKILL those of ``victims`` that still run."""
    for process in alive(victims):
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


def wait_gone(
    known: Iterable[Process], timeout: float, keep: Iterable[int] = ()
) -> list[Process]:
    """Wait until none of ``known`` runs; those still running at ``timeout``."""
    known = list(known)
    deadline = time.monotonic() + timeout
    while (left := alive(known)) and time.monotonic() < deadline:
        reap_orphans(keep)
        time.sleep(0.05)
    reap_orphans(keep)
    return left
