"""The demo on the newest Home Assistant release (scripts/newest).

``python -m e2e.newest requirements`` prints what the demo instance needs
beside ``homeassistant``, read from the installed release's manifests: the
requirements of every integration Home Assistant sets up for it (its
``configuration.yaml``, Home Assistant's default integrations including the
base platforms, the integration itself) and of their dependencies and after
dependencies, as Home Assistant would install them without ``--skip-pip``.

``python -m e2e.newest check`` starts the demo (emulator, Home Assistant, the
five demo accounts through the config flow) on that release, reloads every
entry, lets it run, stops it with SIGTERM and fails when

- an entry of the integration is not loaded at the end,
- the log has a warning or error of a logger under
  ``custom_components.iot_connectivity``, or any other warning or error that
  mentions ``iot_connectivity``; the one warning Home Assistant logs for every
  custom integration ("We found a custom integration iot_connectivity which
  has not been tested by Home Assistant") is expected and tolerated,
- a process of the demo outlives the stop.

Both run with the newest environment's Python (``.venv-newest``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
import importlib.metadata
import json
import os
from pathlib import Path
import re
import shutil
import signal
import sys
import time
from typing import Any, Final

from scripts.develop import CONFIGURATION_YAML, DOMAIN, HomeAssistantApi

from .demo import PROVIDERS, ROOT, DemoProcess, exit_on_sigterm, leftovers, say
from .stopping import stop_report

ARTIFACTS: Final = ROOT / "artifacts" / "newest"
LOGGER: Final = f"custom_components.{DOMAIN}"
EXPECTED: Final = re.compile(
    rf"^We found a custom integration {DOMAIN} which has not been tested by "
    r"Home Assistant\."
)
"""The warning Home Assistant logs for every custom integration."""
EXPECTED_LOGGER: Final = "homeassistant.loader"
RECORD: Final = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)? "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
"""The first line of a record in home-assistant.log (2026.10 and 2026.11 formats)."""
LOUD: Final = frozenset({"WARNING", "ERROR", "CRITICAL"})
ENTRIES_PATH: Final = f"/api/config/config_entries/entry?domain={DOMAIN}"
SETTLE_TIMEOUT: Final = 60.0
"""Seconds the entries get to leave setup_in_progress after a reload."""


def manifest(domain: str) -> dict[str, Any]:
    """The manifest of a built-in integration or of this repository's one."""
    import homeassistant.components  # noqa: PLC0415 - only in the newest env

    for folder in (
        Path(homeassistant.components.__path__[0]),
        ROOT / "custom_components",
    ):
        path = folder / domain / "manifest.json"
        if path.exists():
            found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return found
    return {}


def demo_integrations() -> set[str]:
    """The integrations Home Assistant sets up for the demo, with all they use."""
    from homeassistant import bootstrap  # noqa: PLC0415
    from homeassistant.requirements import DISCOVERY_INTEGRATIONS  # noqa: PLC0415

    configured = re.findall(r"^([a-z_]+):", CONFIGURATION_YAML, flags=re.MULTILINE)
    todo = [
        *configured,
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
        DOMAIN,
    ]
    seen: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        found = manifest(domain)
        todo += found.get("dependencies", [])
        todo += found.get("after_dependencies", [])
        todo += [
            discovery
            for discovery, keys in DISCOVERY_INTEGRATIONS.items()
            if any(key in found for key in keys)
        ]
    return seen


def requirements() -> list[str]:
    """``homeassistant`` as installed, and what the demo's integrations require."""
    from homeassistant.const import __version__  # noqa: PLC0415

    wanted = {
        requirement
        for domain in demo_integrations()
        for requirement in manifest(domain).get("requirements", [])
    }
    return [f"homeassistant=={__version__}", *sorted(wanted, key=str.lower)]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of home-assistant.log, with its traceback lines."""

    level: str
    logger: str
    message: str
    text: str

    @property
    def expected(self) -> bool:
        """The warning every custom integration gets."""
        return (
            self.level == "WARNING"
            and self.logger == EXPECTED_LOGGER
            and EXPECTED.match(self.message) is not None
        )

    @property
    def ours(self) -> bool:
        """A warning or error of the integration, or one that mentions it."""
        if self.level not in LOUD or self.expected:
            return False
        return (
            self.logger == LOGGER
            or self.logger.startswith(f"{LOGGER}.")
            or DOMAIN in self.text
        )


def records(log: str) -> list[Record]:
    """The records of a home-assistant.log."""
    found: list[Record] = []
    lines: list[str] = []
    head: re.Match[str] | None = None

    def close() -> None:
        if head:
            found.append(
                Record(
                    level=head["level"],
                    logger=head["logger"],
                    message=head["message"],
                    text="\n".join(lines),
                )
            )

    for line in log.splitlines():
        if match := RECORD.match(line):
            close()
            head, lines = match, [line]
        else:
            lines.append(line)
    close()
    return found


def home_assistant_version() -> str:
    """The running interpreter's Home Assistant and frontend versions."""
    from homeassistant.const import __version__  # noqa: PLC0415

    frontend = importlib.metadata.version("home-assistant-frontend")
    python = ".".join(str(part) for part in sys.version_info[:3])
    return f"{__version__} (frontend {frontend}, Python {python})"


def entry_states(api: HomeAssistantApi) -> dict[str, str]:
    """``title: state`` of the integration's entries."""
    entries: list[dict[str, Any]] = api.request("GET", ENTRIES_PATH)
    return {
        f"{entry['title']} [{entry['entry_id'][-6:]}]": str(entry["state"])
        for entry in entries
    }


def reload_all(api: HomeAssistantApi) -> None:
    """Reload every entry (unload, set up again), as a restart or an update would."""
    entries: list[dict[str, Any]] = api.request("GET", ENTRIES_PATH)
    for entry in entries:
        api.request(
            "POST", f"/api/config/config_entries/entry/{entry['entry_id']}/reload"
        )
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline and any(
        state.endswith("in_progress") for state in entry_states(api).values()
    ):
        time.sleep(0.5)


def check(run_for: float) -> int:
    """Run the demo on this interpreter's Home Assistant; 0 when all is well."""
    exit_on_sigterm()
    version = home_assistant_version()
    say(f"Home Assistant under test: {version}")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    failures: list[str] = []
    with DemoProcess(ARTIFACTS / "develop.log", python=sys.executable) as develop:
        demo = develop.wait_ready()
        say(f"demo ready after {time.monotonic() - demo.started:.1f} s")
        api = HomeAssistantApi(demo.ha_url)
        api.log_in()
        reload_all(api)
        say(f"entries reloaded; running the demo for {run_for:.0f} s")
        time.sleep(run_for)
        states = entry_states(api)
        stopped = develop.stop(signal.SIGTERM, group=False)
        say(f"stopped with SIGTERM: {stop_report(stopped)}")
        log_path = demo.config / "home-assistant.log"
        shutil.copy(log_path, ARTIFACTS / "home-assistant.log")
        log = log_path.read_text(encoding="utf-8", errors="replace")
    if left := leftovers(timeout=5):
        failures.append(f"{len(left)} processes left behind: {left}")

    loaded = [title for title, state in states.items() if state == "loaded"]
    say(f"entries: {len(loaded)} of {len(states)} loaded")
    for title, state in states.items():
        say(f"  {title}: {state}")
    if len(states) < len(PROVIDERS) or len(loaded) < len(states):
        failures.append(f"{len(loaded)} of {len(states)} entries loaded")

    found = records(log)
    ours = [record for record in found if record.ours]
    expected = sum(record.expected for record in found)
    others = Counter(
        f"{record.level} [{record.logger}] {record.message[:160]}"
        for record in found
        if record.level in LOUD and not record.ours and not record.expected
    )
    say(
        f"log: {len(found)} records; tolerated {expected}x the expected "
        f'"We found a custom integration {DOMAIN} ..." warning'
    )
    if ours:
        failures.append(f"{len(ours)} warnings or errors of {DOMAIN}")
        say(f"warnings and errors of {DOMAIN} (verbatim):")
        for record in ours:
            say(f"  {record.text}")
    if others:
        say("other warnings and errors (not the integration's, not failing):")
        for text, count in others.most_common():
            say(f"  {count}x {text}")

    if failures:
        say(f"FAIL: Home Assistant {version}: {'; '.join(failures)}")
        say(f"logs: {ARTIFACTS}")
        return 1
    say(
        f"ok: Home Assistant {version}: {len(loaded)} of {len(states)} entries "
        f"loaded, no warning or error of {DOMAIN}"
    )
    return 0


def main() -> int:
    """``requirements`` or ``check``."""
    parser = argparse.ArgumentParser(prog="python -m e2e.newest", description=__doc__)
    parser.add_argument("command", choices=["requirements", "check"])
    parser.add_argument(
        "--run-for",
        type=float,
        default=30.0,
        help="seconds the demo runs after the reload (pushes, polls)",
    )
    args = parser.parse_args()
    if args.command == "requirements":
        sys.stdout.write("".join(f"{line}\n" for line in requirements()))
        return 0
    return check(args.run_for)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
