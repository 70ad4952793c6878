"""A stand-in child for the stop tests of scripts/develop.py.

``python -m tests.scripts.stub_process MODE PIDFILE`` writes its pid (and its
grandchild's) to PIDFILE, one a line, then sleeps at most ``LIFETIME``
seconds, so a broken test leaves nothing for long.

- ``ignore-term``: ignores SIGTERM and SIGINT, like a process hung in shutdown.
- ``grandchild``: starts a grandchild in its own process group and dies on
  SIGTERM without stopping it (only a signal to the group reaches it).
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

LIFETIME = 60


def main() -> None:
    mode, pidfile = sys.argv[1], Path(sys.argv[2])
    pids = [os.getpid()]
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    elif mode == "grandchild":
        grandchild = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", f"import time; time.sleep({LIFETIME})"]
        )
        pids.append(grandchild.pid)
    pidfile.write_text("".join(f"{pid}\n" for pid in pids), encoding="utf-8")
    time.sleep(LIFETIME)


if __name__ == "__main__":
    main()
