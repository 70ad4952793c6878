"""Run the demo (``scripts/develop``) on free ports with a fresh config folder.

:class:`DemoProcess` starts it, waits for what it prints, and stops it the way
a user or a service manager does (Ctrl-C to its process group, SIGTERM to the
script); every stop checks that each process the demo started has gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
import functools
import json
import os
from pathlib import Path
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from types import TracebackType
from typing import IO, Any, Final, Self
import urllib.request

from scripts.develop import ONBOARDING_LINE, die_with_parent

from . import processes
from .processes import Process

ROOT: Final = Path(__file__).resolve().parent.parent
READY_LINE: Final = "demo ready after"
"""What scripts/develop prints once the accounts are added."""
PROVIDERS: Final = (
    "kpn_iot_sim",
    "tmobile_easy_connect",
    "infobip_iot",
    "kpn_lora",
    "1nce",
)
"""The emulator's providers, in the order of their ports."""
START_TIMEOUT: Final = 300.0
STOP_TIMEOUT: Final = 30.0
"""Seconds the demo may take to stop completely: develop.py gives Home Assistant
15 s before it kills it, so a demo that needs longer has a bug."""


class LeftBehindError(AssertionError):
    """Processes the demo started were still running after it stopped."""


@dataclass(frozen=True, slots=True)
class Demo:
    """A running demo instance: where it listens and when it was started."""

    ha_url: str
    emulator_urls: dict[str, str]
    config: Path
    started: float
    """``time.monotonic()`` when scripts/develop was launched."""

    def emulator_state(self, provider: str) -> Any:
        """The emulator's view of ``provider``'s state (its control API)."""
        url = f"{self.emulator_urls[provider]}/_emulator/state"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())


@dataclass(frozen=True, slots=True)
class Stopped:
    """How a stop went."""

    seconds: float
    """From the signal until develop.py and all it started had gone."""
    processes: int
    """How many processes were running when the signal was sent."""
    said: list[str]
    """What develop.py printed about the stop (``demo: ...``)."""


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports that are free on 127.0.0.1.

    Random, so a demo started by hand on the default ports is left alone.
    """
    rng = random.SystemRandom()
    for _ in range(200):
        first = rng.randrange(20000, 60000 - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first
    msg = f"no {count} consecutive free ports on 127.0.0.1"
    raise RuntimeError(msg)


class Output:
    """scripts/develop's output: copied to a log file and kept for waiting."""

    def __init__(self, source: IO[str], log: IO[str]) -> None:
        """Copy ``source`` to ``log`` in a thread until it closes."""
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(
            target=self._copy, args=(source, log), daemon=True
        )
        self._thread.start()

    def _copy(self, source: IO[str], log: IO[str]) -> None:
        for line in source:
            log.write(line)
            log.flush()
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, prefix: str, timeout: float) -> str | None:
        """The first line starting with ``prefix``; None when the output ends first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                if self._closed or time.monotonic() > deadline:
                    return None
                self._changed.wait(timeout=min(1.0, deadline - time.monotonic()))

    def join(self, timeout: float) -> None:
        """Wait until the output has ended (the demo has exited)."""
        self._thread.join(timeout)


class DemoProcess:
    """scripts/develop, or develop.py under another Python, in its own session.

    Use as a context manager: leaving it stops whatever is still running and
    removes the config folder, unless an exception passes through (then the
    folder stays for a look).
    """

    def __init__(
        self,
        log_path: Path,
        *,
        python: str | None = None,
        options: Sequence[str] = (),
    ) -> None:
        """Start it; ``python``: run scripts/develop.py with this interpreter.

        ``options``: more of scripts/develop's options (its pace, for one).
        """
        self.config = Path(tempfile.mkdtemp(prefix="iot-connectivity-e2e-"))
        self.port = free_ports(1)
        self.emulator_port = free_ports(len(PROVIDERS))
        develop = (
            [str(ROOT / "scripts" / "develop")]
            if python is None
            else [python, str(ROOT / "scripts" / "develop.py")]
        )
        # Whatever ran before (a browser, an earlier demo) is not this demo's.
        self._before = {(p.pid, p.started) for p in processes.descendants(os.getpid())}
        self.started = time.monotonic()
        self._log = log_path.open("w", encoding="utf-8")
        # Own session: a signal to its group reaches develop.py, not this test.
        # SIGTERM when this test dies, so the demo never outlives it.
        self.process = subprocess.Popen(  # noqa: S603
            [
                *develop,
                "--config",
                str(self.config),
                "--port",
                str(self.port),
                "--emulator-port",
                str(self.emulator_port),
                *options,
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None  # noqa: S101 - stdout=PIPE above
        self.output = Output(self.process.stdout, self._log)
        self.stopped: Stopped | None = None

    def __enter__(self) -> Self:
        """The demo, starting."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop what still runs (Ctrl-C); keep the config folder after a failure."""
        try:
            if self.stopped is None:
                self.stop(signal.SIGINT, group=True)
        finally:
            self._log.close()
            if kind is None:
                shutil.rmtree(self.config, ignore_errors=True)

    @property
    def demo(self) -> Demo:
        """Where the demo listens."""
        return Demo(
            ha_url=f"http://127.0.0.1:{self.port}",
            emulator_urls={
                key: f"http://127.0.0.1:{self.emulator_port + offset}"
                for offset, key in enumerate(PROVIDERS)
            },
            config=self.config,
            started=self.started,
        )

    def wait_for_line(self, prefix: str, timeout: float = START_TIMEOUT) -> str:
        """Wait until develop.py prints a line starting with ``prefix``."""
        if line := self.output.wait_for(prefix, timeout):
            return line
        tail = "\n".join(self.output.lines[-20:])
        msg = f"scripts/develop never printed {prefix!r}:\n{tail}"
        raise RuntimeError(msg)

    def wait_ready(self) -> Demo:
        """Wait until the accounts are added (the ready line)."""
        self.wait_for_line(READY_LINE)
        return self.demo

    def wait_onboarding(self) -> None:
        """Wait until Home Assistant answers and the config flows begin."""
        self.wait_for_line(ONBOARDING_LINE)

    def started_processes(self) -> list[Process]:
        """Every process the demo started that runs now (develop.py first)."""
        return [
            process
            for process in processes.descendants(os.getpid())
            if (process.pid, process.started) not in self._before
        ]

    def find(self, fragment: str) -> Process:
        """The demo's process whose command line contains ``fragment``."""
        for process in self.started_processes():
            if fragment in process.command:
                return process
        msg = f"no process of the demo runs {fragment!r}"
        raise LookupError(msg)

    def stop(self, signum: int, *, group: bool) -> Stopped:
        """Send ``signum`` and wait until develop.py and all it started have gone.

        ``group``: to the process group, as a terminal's Ctrl-C does; else to
        develop.py alone, as a service manager does. Raises :class:`LeftBehindError`, after killing them, when some have
        not gone within ``STOP_TIMEOUT``.
        """
        running = self.started_processes()
        began = time.monotonic()
        with suppress(ProcessLookupError):
            if group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        deadline = began + STOP_TIMEOUT
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)
        processes.wait_gone(
            running, deadline - time.monotonic(), keep={self.process.pid}
        )
        # Whatever was started after the snapshot and orphaned is ours now.
        while (left := self.started_processes()) and time.monotonic() < deadline:
            processes.reap_orphans(keep={self.process.pid})
            time.sleep(0.05)
        seconds = time.monotonic() - began
        self.output.join(timeout=5)
        self.stopped = Stopped(
            seconds=seconds,
            processes=len(running),
            said=[line for line in self.output.lines if line.startswith("demo: ")],
        )
        if left:
            processes.kill(left)
            processes.wait_gone(left, 5, keep={self.process.pid})
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            report = "\n  ".join(str(process) for process in left)
            msg = (
                f"{len(left)} process(es) started since the demo still ran "
                f"{STOP_TIMEOUT:.0f} s after {signal.Signals(signum).name} "
                f"(killed now):\n  {report}"
            )
            raise LeftBehindError(msg)
        return self.stopped


def say(text: str) -> None:
    """Report progress at once (CI shows the output as it comes)."""
    print(text, flush=True)  # noqa: T201


def exit_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C; adopt all orphans of what this starts.

    SIGTERM (CI giving up, a user's kill) then goes through the ``finally``
    blocks that stop the demo. As the subreaper of all it starts, the test
    sees every process it left behind (Linux).
    """
    if not processes.adopt_orphans():
        say("warning: not a subreaper: orphaned processes cannot be checked")

    def stop(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def leftovers(timeout: float) -> list[Process]:
    """Descendants of this process still running after ``timeout`` (then killed)."""
    deadline = time.monotonic() + timeout
    while (left := processes.descendants(os.getpid())) and time.monotonic() < deadline:
        processes.reap_orphans()
        time.sleep(0.1)
    processes.kill(left)
    return left
