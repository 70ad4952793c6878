"""Run ``scripts/develop`` on free ports with a fresh config folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
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
from typing import IO, Any, Final
import urllib.request

ROOT: Final = Path(__file__).resolve().parent.parent
READY_LINE: Final = "demo ready after"
"""What scripts/develop prints once the accounts are added."""
PROVIDERS: Final = ("kpn_iot_sim", "tmobile_easy_connect", "infobip_iot", "kpn_lora")
"""The emulator's providers, in the order of their ports."""
START_TIMEOUT: Final = 300.0
STOP_TIMEOUT: Final = 90.0


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


def _copy_output(source: IO[str], log: IO[str], ready: threading.Event) -> None:
    """Keep scripts/develop's output in ``log``; flag the ready line."""
    for line in source:
        log.write(line)
        log.flush()
        if line.startswith(READY_LINE):
            ready.set()


@contextmanager
def running_demo(log_path: Path) -> Iterator[Demo]:
    """Start scripts/develop, wait until it is ready, stop it afterwards.

    The config folder is removed afterwards unless the test failed (an
    exception passes through), so it can be looked at.
    """
    config = Path(tempfile.mkdtemp(prefix="iot-connectivity-e2e-"))
    port, emulator_port = free_ports(1), free_ports(len(PROVIDERS))
    command = [
        str(ROOT / "scripts" / "develop"),
        "--config",
        str(config),
        "--port",
        str(port),
        "--emulator-port",
        str(emulator_port),
    ]
    started = time.monotonic()
    # Own process group: stopping it reaches uv and develop.py, not this test.
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    ready = threading.Event()
    with log_path.open("w", encoding="utf-8") as log:
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE above
        copier = threading.Thread(
            target=_copy_output, args=(process.stdout, log, ready), daemon=True
        )
        copier.start()
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not ready.wait(timeout=1):
                if process.poll() is not None or time.monotonic() > deadline:
                    msg = f"scripts/develop did not get ready; see {log_path}"
                    raise RuntimeError(msg)
            yield Demo(
                ha_url=f"http://127.0.0.1:{port}",
                emulator_urls={
                    key: f"http://127.0.0.1:{emulator_port + offset}"
                    for offset, key in enumerate(PROVIDERS)
                },
                config=config,
                started=started,
            )
        finally:
            _stop(process)
            copier.join(timeout=10)
    shutil.rmtree(config, ignore_errors=True)


def _stop(process: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a user stops the demo; develop.py then stops its children."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
