"""scripts/develop.py stops everything it started, in whatever state it is.

The children's stop (process groups, SIGTERM, SIGKILL after the timeout) is
tested with stand-in processes; develop.py itself with the real emulator and
Home Assistant while they start, which takes a few seconds. Stopping while
the config flows run and while the demo runs takes a full Home Assistant
start: those states are checked by the browser test (scripts/e2e).
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import select
import signal
import subprocess
import sys
import time

import pytest

from e2e import processes
from e2e.demo import PROVIDERS, free_ports
from e2e.processes import Process
from scripts import develop

ROOT = Path(__file__).resolve().parents[2]
STOP_LIMIT = 20.0
"""Seconds a stop may take (Home Assistant gets 15 s before SIGKILL)."""

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
    pytest.mark.timeout(120),
]


def wait_for_pids(path: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and len(pids := path.read_text().split()) >= count:
            return [int(pid) for pid in pids]
        time.sleep(0.05)
    raise AssertionError(f"{path} never got {count} pids")


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture
def children(tmp_path: Path) -> Iterator[develop.Children]:
    """develop.py's children; whatever a test leaves is killed."""
    started = develop.Children()
    yield started
    started.kill()
    for process in started.processes.values():
        process.wait(timeout=10)


def start_stub(children: develop.Children, tmp_path: Path, mode: str) -> list[int]:
    pidfile = tmp_path / f"{mode}.pids"
    with (tmp_path / "out.log").open("ab") as log:
        children.start(mode, ["tests.scripts.stub_process", mode, str(pidfile)], log)
    return wait_for_pids(pidfile, 2 if mode == "grandchild" else 1)


def test_stop_reaches_the_whole_process_group(children, tmp_path: Path) -> None:
    """What a child started goes with it: the signal goes to its group."""
    pids = start_stub(children, tmp_path, "grandchild")
    began = time.monotonic()
    children.stop()
    assert time.monotonic() - began < 5
    assert not [pid for pid in pids if running(pid)]
    assert children.running() == []


def test_stop_kills_a_child_that_ignores_sigterm(
    children, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child hung in its shutdown is killed after STOP_TIMEOUT."""
    monkeypatch.setattr(develop, "STOP_TIMEOUT", 0.5)
    (pid,) = start_stub(children, tmp_path, "ignore-term")
    began = time.monotonic()
    children.stop()
    assert 0.5 <= time.monotonic() - began < 5
    assert not running(pid)
    assert children.processes["ignore-term"].returncode == -signal.SIGKILL


def test_a_second_signal_kills_at_once(children, tmp_path: Path) -> None:
    """Ctrl-C pressed again while stopping: no waiting for STOP_TIMEOUT."""
    (pid,) = start_stub(children, tmp_path, "ignore-term")
    began = time.monotonic()
    children.stop(hurry=lambda: True)
    assert time.monotonic() - began < 5
    assert not running(pid)


def test_stopper_raises_once_and_hurries_on_a_later_signal() -> None:
    """The first signal stops; uv's forwarded copy does not; a later one hurries."""
    stopper = develop.Stopper()
    with pytest.raises(develop.StopRequested) as stop:
        stopper._handle(signal.SIGTERM, None)
    assert stop.value.signum == signal.SIGTERM
    assert str(stop.value) == "SIGTERM"
    stopper._handle(signal.SIGINT, None)  # the same Ctrl-C, forwarded
    assert not stopper.hurry
    stopper._first -= develop.REPEAT_GRACE + 0.1  # a second later
    stopper._handle(signal.SIGINT, None)
    assert stopper.hurry


class Develop:
    """scripts/develop.py with the real emulator and Home Assistant."""

    def __init__(self, config: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(ROOT / "scripts" / "develop.py"),
                "--config",
                str(config),
                "--port",
                str(free_ports(1)),
                "--emulator-port",
                str(free_ports(len(PROVIDERS))),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.output = b""
        self.known: list[Process] = []

    def wait_for(self, text: str, timeout: float = 60) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, f"develop.py never printed {text!r}: {self.output!r}"
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                assert chunk, f"develop.py exited: {self.output!r}"
                self.output += chunk

    def tree(self) -> list[Process]:
        """develop.py, the emulator and Home Assistant."""
        (me,) = [p for p in processes.processes().values() if p.pid == self.process.pid]
        tree = [me, *processes.descendants(self.process.pid)]
        self.known = tree
        commands = " | ".join(process.command for process in tree)
        assert "-m iot_emulator" in commands
        assert "-m homeassistant" in commands
        return tree

    def gone_within(self, tree: list[Process], timeout: float) -> float:
        """Seconds until every process of ``tree`` has gone."""
        began = time.monotonic()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        left = processes.wait_gone(tree, timeout - (time.monotonic() - began))
        assert not left, f"still running: {[str(process) for process in left]}"
        return time.monotonic() - began

    def cleanup(self) -> None:
        """Nothing stays, whatever the test did."""
        left = [*self.known, *processes.descendants(self.process.pid)]
        if self.process.poll() is None:
            self.process.kill()
        processes.kill(left)
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


@pytest.fixture
def develop_py(tmp_path: Path, socket_enabled: None) -> Iterator[Develop]:
    """develop.py started on free ports with a fresh config folder."""
    started = Develop(tmp_path / "config")
    yield started
    started.cleanup()


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)
def test_signal_while_starting_stops_everything(develop_py: Develop, signum) -> None:
    """A signal while Home Assistant starts stops it, the emulator and develop.py."""
    develop_py.wait_for("Starting the emulator and Home Assistant")
    time.sleep(1)  # Home Assistant is importing, the emulator starting
    tree = develop_py.tree()
    develop_py.process.send_signal(signum)
    develop_py.gone_within(tree, STOP_LIMIT)
    assert develop_py.process.returncode == 0
    develop_py.wait_for(f"demo: {signal.Signals(signum).name} while", timeout=1)


def test_home_assistant_gone_while_starting(develop_py: Develop) -> None:
    """Home Assistant dies while starting: develop.py stops the emulator, exits 1."""
    develop_py.wait_for("Starting the emulator and Home Assistant")
    tree = develop_py.tree()
    (hass,) = [process for process in tree if "-m homeassistant" in process.command]
    os.kill(hass.pid, signal.SIGKILL)
    develop_py.gone_within(tree, STOP_LIMIT)
    assert develop_py.process.returncode == 1


def test_children_die_with_develop_py(develop_py: Develop) -> None:
    """develop.py killed outright (SIGKILL): its children get SIGTERM (Linux)."""
    develop_py.wait_for("Starting the emulator and Home Assistant")
    tree = develop_py.tree()
    os.kill(develop_py.process.pid, signal.SIGKILL)
    develop_py.gone_within(tree, STOP_LIMIT)
