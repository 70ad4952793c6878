"""Start the provider emulator and a Home Assistant dev instance on 127.0.0.1.

Run through ``scripts/develop``. The config folder ``config/`` is created on
the first start and reused afterwards: http listens on 127.0.0.1 only, the
onboarding steps that would reach the internet are marked done, and the
integration is mounted from ``custom_components/``. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
from http import HTTPStatus
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
HA_URL = "http://127.0.0.1:8123"
EMULATOR_PORT = 8300
DEMO_USER = {"name": "Demo", "username": "demo", "password": "demo-iot-connectivity"}

CONFIGURATION_YAML = """\
# Home Assistant dev instance for IoT Connectivity, created by scripts/develop.
# Only integrations that stay on this machine: no default_config (cloud, alerts).
homeassistant:
  name: IoT Connectivity demo
  latitude: 52.3676
  longitude: 4.9041
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: Europe/Amsterdam
  language: en

frontend:
config:
history:
logbook:
person:
webhook:
system_health:
automation: !include automations.yaml
script: !include scripts.yaml

logger:
  default: warning
  logs:
    custom_components.iot_connectivity: debug
    # Media helpers of the base platforms want system binaries a dev box may lack.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
"""


def _storage(key: str, version: int, data: dict[str, Any], minor: int = 1) -> str:
    return json.dumps(
        {"version": version, "minor_version": minor, "key": key, "data": data}, indent=2
    )


def prepare_config(config: Path) -> None:
    """Create the config folder once; later starts reuse it as it is."""
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    files = {
        config / "configuration.yaml": CONFIGURATION_YAML,
        config / "automations.yaml": "[]\n",
        config / "scripts.yaml": "{}\n",
        # Listen on 127.0.0.1 only (the stored http config replaces YAML `http:`).
        storage / "http": _storage(
            "http",
            2,
            {
                "stable": {
                    "server_host": ["127.0.0.1"],
                    "server_port": 8123,
                    "cors_allowed_origins": [],
                    "login_attempts_threshold": -1,
                    "ip_ban_enabled": True,
                    "ssl_profile": "modern",
                    "use_x_frame_options": True,
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "error": None,
                    "error_message": None,
                },
                "pending": None,
                "yaml_migration_done": True,
            },
            minor=2,
        ),
        # Onboarding steps that would create internet-bound entries (weather,
        # radio, analytics) are done; only the user step is left, done over REST.
        storage / "onboarding": _storage(
            "onboarding", 4, {"done": ["core_config", "analytics", "integration"]}
        ),
    }
    for path, text in files.items():
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    link = config / "custom_components"
    if not link.exists():
        link.symlink_to(ROOT / "custom_components", target_is_directory=True)


def _request(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{HA_URL}{path}", data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def wait_for_home_assistant(process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until the frontend (loaded after onboarding) answers; exits if HA dies."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            sys.exit(f"Home Assistant exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{HA_URL}/manifest.json", timeout=5):  # noqa: S310
                return time.monotonic() - start
        except OSError:
            time.sleep(0.5)
    sys.exit(f"Home Assistant did not answer within {timeout:.0f} s")


def ensure_demo_user() -> None:
    """Finish onboarding with the demo user when it has not been done yet."""
    try:
        steps = _request("GET", "/api/onboarding")
    except urllib.error.HTTPError as err:
        if err.code == HTTPStatus.NOT_FOUND:  # onboarding finished on an earlier start
            return
        raise
    if any(step["step"] == "user" and step["done"] for step in steps):
        return
    _request(
        "POST",
        "/api/onboarding/users",
        {**DEMO_USER, "client_id": f"{HA_URL}/", "language": "en"},
    )


def main() -> None:
    """Start both processes, onboard, print what to do, stop on Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "config")
    parser.add_argument(
        "--sims", type=int, default=30, help="generated SIMs per provider"
    )
    parser.add_argument("--lora-devices", type=int, default=20)
    parser.add_argument(
        "--tick", type=float, default=30.0, help="emulator time step (s)"
    )
    args = parser.parse_args()

    prepare_config(args.config)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    emulator = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "iot_emulator",
            "--port",
            str(EMULATOR_PORT),
            "--sims",
            str(args.sims),
            "--lora-devices",
            str(args.lora_devices),
            "--tick",
            str(args.tick),
        ],
        cwd=ROOT,
        env=env,
        # Own sessions: Ctrl-C reaches this script only, which stops each child once.
        start_new_session=True,
    )
    hass = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(args.config),
            "--skip-pip",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )

    def stop(*_: object) -> None:
        for process in (hass, emulator):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (hass, emulator):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    started = wait_for_home_assistant(hass, timeout=300)
    ensure_demo_user()
    print(
        f"\nHome Assistant is up after {started:.1f} s: {HA_URL}\n"
        f"  login: {DEMO_USER['username']} / {DEMO_USER['password']}\n"
        f"  emulator: http://127.0.0.1:{EMULATOR_PORT}-{EMULATOR_PORT + 3}\n"
        "  Ctrl-C stops both.\n",
        flush=True,
    )
    while hass.poll() is None and emulator.poll() is None:
        time.sleep(1)
    stop()


if __name__ == "__main__":
    main()
