"""Start the provider emulator and a Home Assistant demo instance on 127.0.0.1.

Run through ``scripts/develop``. The config folder ``config/`` is created on
the first start and reused afterwards: http listens on 127.0.0.1 only, the
onboarding steps that would reach the internet are marked done, and the
integration is mounted from ``custom_components/``. Once Home Assistant
answers, the demo user is onboarded and every provider's demo account on the
emulator is added through the real config flow, unless it is already there.
While it runs, simulated time passes faster on the emulator and the emulator
pushes SMS and uplinks to the entries' webhooks: among them the LoRa demo
sensors' (Cayenne LPP climate, GPS tracker and door contact, and a device whose
ThingPark driver decodes its payload), one of which stops reporting after
``--quiet-after`` minutes.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stop both, in whatever state the demo is:
each is the leader of its own process group and gets SIGTERM, then SIGKILL
after ``STOP_TIMEOUT`` seconds; on Linux they also get SIGTERM when this
script dies without stopping them (even by SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
from collections.abc import Callable
from contextlib import suppress
import ctypes
from dataclasses import dataclass
import functools
from http import HTTPStatus
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import IO, Any, Final
import urllib.error
import urllib.parse
import urllib.request

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
# The demo accounts are the emulator's own: read from its modules, not copied.
sys.path.insert(0, str(ROOT))

from iot_emulator import infobip, kpn_gateway, kpn_lora, onence, tmobile  # noqa: E402
from iot_emulator.examples import load_example  # noqa: E402
from iot_emulator.lora_payloads import CAYENNE_SENSORS, DEMO_SENSORS  # noqa: E402

DOMAIN: Final = "iot_connectivity"
DEFAULT_PORT: Final = 8123
DEFAULT_EMULATOR_PORT: Final = 8300
DEMO_USER: Final = {
    "name": "Demo",
    "username": "demo",
    "password": "demo-iot-connectivity",
}
PROVIDERS: Final = (
    "kpn_iot_sim",
    "tmobile_easy_connect",
    "infobip_iot",
    "kpn_lora",
    "1nce",
)
"""The config flow's provider steps, in the emulator's port order."""

LOG_NAME: Final = "develop.log"
"""The file in the config folder that gets the emulator's and HA's output."""
DEMO_INTERVALS: Final = {
    "sim_interval": 1,
    "usage_interval": 5,
    "lora_interval": 1,
    "plan_interval": 60,
}
"""The shortest polling intervals (minutes) the options allow: a lively demo."""
TICK_EVERY: Final = 10.0
"""Real seconds between two steps of simulated time on the emulator."""
SIM_HISTORY: Final = 6 * 3600.0
"""Simulated seconds of SIM traffic before Home Assistant first reads it."""
FIRST_PUSH_AFTER: Final = 5.0
DEMO_SIM: Final = "8988280666000001234"
"""The T-Mobile example SIM ("Weather station Utrecht"): it sends the SMS."""
DEMO_1NCE_SIM: Final = "8988303000123456789"
DEMO_MOVED_SIM: Final = "8931087620000000017"
"""The KPN example SIM ("Pumping station Zeeburg"): it moves to another device."""
DEMO_MOVED_IMEI: Final = "353456789012348"
"""The 1NCE demo SIM that is online ("DX-137-B12"): it sends SMS too."""
DEMO_ENABLED: Final = ("_data_quota_runs_out", "_sms_quota_runs_out", "_network_event")
"""Entities of the demo SIMs the demo enables: disabled by default (the cap of
enabled entities per SIM), worth seeing in a demo."""
DEMO_UPLINK_EUI: Final = "0059AC0000170311"
"""The KPN LoRa example device ("Test Device via API"): it sends the uplinks."""
QUIET_SENSOR: Final = "70B3D5E75E100004"
"""The demo sensor that stops reporting ("Cellar climate"): its Reporting goes off."""
DEFAULT_QUIET_AFTER: Final = 5.0
"""Minutes after which the quiet sensor stops, by default."""
CAYENNE_FORMAT: Final = "cayenne_lpp"
"""The payload format select's option for Cayenne LPP devices."""
PAYLOAD_FORMAT_SELECTS: Final = """[{%- for e in integration_entities('iot_connectivity')
  if e.startswith('select.') and e.endswith('_payload_format') -%}
{{ {'entity_id': e, 'eui': device_attr(device_id(e), 'serial_number'),
    'state': states(e)} | tojson }}{{ ',' if not loop.last }}
{%- endfor %}]"""
"""A template that lists the payload format selects with their device's DevEUI.

The REST API has no entity registry; the template API reaches it (a LoRa
device's serial number is its DevEUI)."""
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_TIMEOUT: Final = 15.0
"""Seconds Home Assistant and the emulator get to stop before they are killed."""
KILL_TIMEOUT: Final = 5.0
"""Seconds to wait for killed processes to go."""
REPEAT_GRACE: Final = 1.0
"""A second signal this soon is the same request: ``uv run`` forwards Ctrl-C to
its child, which the terminal has already sent it. A later one kills at once."""
ONBOARDING_LINE: Final = "Onboarding the demo user and adding the demo accounts"
"""Printed once Home Assistant answers (the e2e stop test waits for it)."""
PR_SET_PDEATHSIG: Final = 1

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
  # The emulator pushes uplinks to the routing profile's address (the webhook).
  internal_url: http://127.0.0.1:{port}

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


def demo_account(provider: str, url: str) -> dict[str, Any]:
    """The config flow input of ``provider``'s demo account on the emulator at ``url``."""
    kpn_app = {
        "client_id": kpn_gateway.DEFAULT_CLIENT_ID,
        "client_secret": kpn_gateway.DEFAULT_CLIENT_SECRET,
    }
    match provider:
        case "kpn_iot_sim":
            return {**kpn_app, "url": url}
        case "tmobile_easy_connect":
            return {
                "username": tmobile.DEFAULT_USERNAME,
                "password": tmobile.DEFAULT_PASSWORD,
                "url": url,
            }
        case "1nce":
            return {
                "username": onence.DEFAULT_USERNAME,
                "password": onence.DEFAULT_PASSWORD,
                "url": url,
            }
        case "infobip_iot":
            return {"api_key": infobip.DEFAULT_API_KEY, "url": url}
        case _:
            # The route of the emulator's routing profile signs the downlinks.
            route = load_example(kpn_lora.EXAMPLES, "routing_profile_request")[
                "routes"
            ][0]
            return {
                **kpn_app,
                "username": kpn_lora.DEFAULT_THINGPARK_USERNAME,
                "password": kpn_lora.DEFAULT_THINGPARK_PASSWORD,
                "url": url,
                "downlinks": {
                    "as_id": route["asId"],
                    "as_key": route["asKey"],
                    "lrc_url": url,
                },
            }


def _storage(key: str, version: int, data: dict[str, Any], minor: int = 1) -> str:
    return json.dumps(
        {"version": version, "minor_version": minor, "key": key, "data": data}, indent=2
    )


def prepare_config(config: Path, port: int) -> None:
    """Create the config folder once; later starts reuse it as it is."""
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    files = {
        config / "configuration.yaml": CONFIGURATION_YAML.replace("{port}", str(port)),
        config / "automations.yaml": "[]\n",
        config / "scripts.yaml": "{}\n",
        # Listen on 127.0.0.1 only (the stored http config replaces YAML `http:`).
        storage / "http": _storage(
            "http",
            2,
            {
                "stable": {
                    "server_host": ["127.0.0.1"],
                    "server_port": port,
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


def http_json(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: str | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    """Send a JSON (or form) request to 127.0.0.1 and parse the JSON answer."""
    data: bytes | None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        data = None if body is None else json.dumps(body).encode()
        content_type = "application/json"
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


class HomeAssistantApi:
    """The REST API of the demo instance, as the frontend uses it."""

    def __init__(self, url: str) -> None:
        """Talk to Home Assistant at ``url``; :meth:`log_in` before the admin API."""
        self.url = url
        self._token: str | None = None

    @property
    def token(self) -> str | None:
        """The demo user's access token, once logged in (for the websocket API)."""
        return self._token

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``path`` with the access token of the demo user."""
        return http_json(method, f"{self.url}{path}", body, token=self._token)

    def ensure_onboarded(self) -> None:
        """Finish onboarding with the demo user when it has not been done yet."""
        try:
            steps = self.request("GET", "/api/onboarding")
        except urllib.error.HTTPError as err:
            if err.code == HTTPStatus.NOT_FOUND:  # finished on an earlier start
                return
            raise
        if any(step["step"] == "user" and step["done"] for step in steps):
            return
        self.request(
            "POST",
            "/api/onboarding/users",
            {**DEMO_USER, "client_id": f"{self.url}/", "language": "en"},
        )

    def log_in(self) -> None:
        """Sign in as the demo user through the login flow the login page uses."""
        client_id = f"{self.url}/"
        flow = self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": client_id,
            },
        )
        result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": client_id,
                "username": DEMO_USER["username"],
                "password": DEMO_USER["password"],
            },
        )
        if result["type"] != "create_entry":
            sys.exit(f"The demo user cannot log in: {result.get('errors')}")
        tokens = http_json(
            "POST",
            f"{self.url}/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": client_id,
            },
        )
        self._token = tokens["access_token"]

    def add_account(self, provider: str, user_input: dict[str, Any]) -> str | None:
        """Add an account through the config flow; None when it is already there."""
        flows = "/api/config/config_entries/flow"
        menu = self.request("POST", flows, {"handler": DOMAIN})
        self.request("POST", f"{flows}/{menu['flow_id']}", {"next_step_id": provider})
        result = self.request("POST", f"{flows}/{menu['flow_id']}", user_input)
        match result["type"]:
            case "create_entry":
                entry_id: str = result["result"]["entry_id"]
                return entry_id
            case "abort" if result["reason"] == "already_configured":
                return None
        sys.exit(f"Adding the {provider} demo account failed: {result}")

    def enable_demo_entities(self, timeout: float = 60.0) -> None:
        """Enable the forecast and network event entities of the demo SIMs.

        Through the websocket API, as the entity settings dialog does; once
        the entries have created them. Home Assistant reloads the entries.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if asyncio.run(self._enable_demo_entities()):
                return
            time.sleep(2)
        print(
            "demo: the forecast and network event entities did not appear", flush=True
        )

    async def _enable_demo_entities(self) -> bool:
        url = self.url.replace("http", "ws", 1) + "/api/websocket"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self._token})
            if (await ws.receive_json())["type"] != "auth_ok":
                return False
            await ws.send_json({"id": 1, "type": "config/entity_registry/list"})
            entities = [
                entity
                for entity in (await ws.receive_json())["result"]
                if entity["platform"] == DOMAIN
                and entity["unique_id"].endswith(DEMO_ENABLED)
                and any(sim in entity["unique_id"] for sim in (DEMO_SIM, DEMO_1NCE_SIM))
            ]
            for number, entity in enumerate(entities, start=2):
                if entity["disabled_by"] != "integration":
                    continue  # enabled already, or disabled by the user
                await ws.send_json(
                    {
                        "id": number,
                        "type": "config/entity_registry/update",
                        "entity_id": entity["entity_id"],
                        "disabled_by": None,
                    }
                )
                await ws.receive_json()
            return len(entities) == len(DEMO_ENABLED) * 2

    def set_demo_options(self, entry_id: str) -> None:
        """Poll as often as the options allow, through the options flow.

        A LoRa account's options open with a menu: its first choice is the form.
        """
        flows = "/api/config/config_entries/options/flow"
        form = self.request("POST", flows, {"handler": entry_id})
        if form["type"] == "menu":
            form = self.request(
                "POST",
                f"{flows}/{form['flow_id']}",
                {"next_step_id": form["menu_options"][0]},
            )
        asked = {field["name"] for field in form["data_schema"]}
        options = {key: value for key, value in DEMO_INTERVALS.items() if key in asked}
        self.request("POST", f"{flows}/{form['flow_id']}", options)

    def payload_format_selects(self) -> dict[str, tuple[str, str]]:
        """Each LoRa device's payload format select and its option, by DevEUI."""
        selects = self.request(
            "POST", "/api/template", {"template": PAYLOAD_FORMAT_SELECTS}
        )
        return {
            str(select["eui"]).upper(): (select["entity_id"], select["state"])
            for select in selects
            if select.get("eui")
        }

    def select_option(self, entity_id: str, option: str) -> None:
        """Choose ``option`` of a select entity through its action."""
        self.request(
            "POST",
            "/api/services/select/select_option",
            {"entity_id": entity_id, "option": option},
        )


def wait_for(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Wait until ``url`` answers; exit if ``process`` dies or never gets there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            sys.exit(f"{tail}\nThe server of {url} exited ({process.returncode})")
        if answers(url):
            return
        time.sleep(0.5)
    sys.exit(f"{url} did not answer within {timeout:.0f} s; see {log}")


def answers(url: str) -> bool:
    """Whether something already serves ``url`` (a demo started earlier)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class DemoEntry:
    """A config entry of the integration as Home Assistant stored it."""

    entry_id: str
    provider: str
    webhook_id: str | None
    routing_profile: str | None = None
    """The routing profile the entry's options created (KPN LoRa), if any."""


def stored_entries(config: Path) -> list[DemoEntry]:
    """The integration's entries in the config folder's entry store.

    The REST API does not show entry data, and the webhook id lives there.
    """
    path = config / ".storage" / "core.config_entries"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]
    except FileNotFoundError, ValueError, KeyError:
        return []
    return [
        DemoEntry(
            entry["entry_id"],
            entry["data"].get("provider", ""),
            entry["data"].get("webhook_id"),
            entry["data"].get("routing_profile"),
        )
        for entry in entries
        if entry["domain"] == DOMAIN
    ]


def wait_for_stored(config: Path, entry_ids: set[str], timeout: float) -> None:
    """Wait until Home Assistant has written the new entries (a delayed save)."""
    deadline = time.monotonic() + timeout
    while entry_ids - {entry.entry_id for entry in stored_entries(config)}:
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


def emulator_control(emulator_url: str, route: str, body: dict[str, Any]) -> bool:
    """Call an emulator control route; a failure is reported, not fatal."""
    try:
        http_json("POST", f"{emulator_url}/_emulator/{route}", body)
    except (OSError, ValueError) as err:
        print(f"demo: {route} failed: {err}", flush=True)
        return False
    return True


class DemoActivity:
    """What happens on the emulator while the demo runs.

    Simulated time runs ``speed`` times faster, so usage grows, a LoRa device
    goes quiet and raises an alarm within minutes. Every ``push_every`` seconds
    the example SIM sends an SMS and the example device an uplink, both pushed
    to the webhook of their entry, when the entry has one.
    """

    def __init__(
        self,
        api: HomeAssistantApi,
        emulator_urls: dict[str, str],
        config: Path,
        *,
        speed: float,
        push_every: float,
        imei_change_after: float = 0.0,
        quiet_after: float = DEFAULT_QUIET_AFTER,
    ) -> None:
        """Push soon, so a fresh demo shows an SMS and an uplink within seconds.

        Not at once: Home Assistant stores new webhook ids with a short delay.
        ``quiet_after`` minutes from now the quiet sensor stops (0: never).
        """
        self._api = api
        self._ha_url = api.url
        self._emulators = emulator_urls
        self._config = config
        self._speed = speed
        self._push_every = push_every
        self._next_tick = time.monotonic() + TICK_EVERY
        self._next_push = time.monotonic() + FIRST_PUSH_AFTER
        self._pushes = 0
        self._move_at = (
            time.monotonic() + imei_change_after if imei_change_after else None
        )
        self._quiet_at = (
            time.monotonic() + quiet_after * 60 if quiet_after else float("inf")
        )
        self._formats_set: set[str] = set()
        self._told: set[str] = set()
        self._unknown_profiles: set[str] = set()

    def run_due(self) -> None:
        """Do whatever is due now."""
        now = time.monotonic()
        if self._speed and now >= self._next_tick:
            self._next_tick = now + TICK_EVERY
            for url in self._emulators.values():
                emulator_control(url, "tick", {"seconds": TICK_EVERY * self._speed})
        if self._push_every and now >= self._next_push:
            self._next_push = now + self._push_every
            self._push()
        if self._move_at is not None and now >= self._move_at:
            self._move_at = None
            emulator_control(
                self._emulators["kpn_iot_sim"],
                "move-sim",
                {"iccid": DEMO_MOVED_SIM, "imei": DEMO_MOVED_IMEI},
            )

    def _push(self) -> None:
        self._pushes += 1
        entries = stored_entries(self._config)
        webhooks = {
            entry.provider: f"{self._ha_url}/api/webhook/{entry.webhook_id}"
            for entry in entries
            if entry.webhook_id
        }
        profile = next(
            (entry.routing_profile for entry in entries if entry.routing_profile),
            None,
        )
        if url := webhooks.get("tmobile_easy_connect"):
            emulator_control(
                self._emulators["tmobile_easy_connect"],
                "push/sms-mo",
                {
                    "url": url,
                    "iccid": DEMO_SIM,
                    "text": f"Report {self._pushes}: 18.{self._pushes % 10} C, door closed",
                },
            )
        if url := webhooks.get("1nce"):
            emulator_control(
                self._emulators["1nce"],
                "push/sms-mo",
                {
                    "url": url,
                    "iccid": DEMO_1NCE_SIM,
                    "text": f"Gate {'open' if self._pushes % 2 else 'closed'}",
                },
            )
        if url := webhooks.get("kpn_lora"):
            target = self._route(url, profile)
            emulator_control(
                self._emulators["kpn_lora"],
                "push/uplink",
                {
                    "dev_eui": DEMO_UPLINK_EUI,
                    "payload_hex": f"{self._pushes % 256:02x}01",
                }
                | ({"url": target} if target else {}),
            )
            self._push_sensors(target)
            self._choose_cayenne()

    def _route(self, url: str, profile: str | None) -> str | None:
        """Where the sensors' uplinks go: the entry's own routing profile, once made.

        The entry then verifies uplinks with the profile's new key, so the demo
        attaches its sensors to the profile on the emulator, as one does in
        ThingPark, and lets the emulator push to the profile's address (None).
        """
        if profile is None or profile in self._unknown_profiles:
            return url
        if profile not in self._told:
            attached = all(
                emulator_control(
                    self._emulators["kpn_lora"],
                    "lora/attach",
                    {"dev_eui": eui, "routing_profile_id": profile},
                )
                for eui in (DEMO_UPLINK_EUI, *(eui for eui, _, _ in DEMO_SENSORS))
            )
            if not attached:
                # A restarted emulator forgot it: the entry's key signs nothing now.
                self._unknown_profiles.add(profile)
                say(
                    f"demo: the emulator does not know routing profile {profile}; "
                    "create one again in the KPN LoRa options to receive uplinks"
                )
                return url
            self._tell_once(
                profile, f"demo: LoRa sensors attached to routing profile {profile}"
            )
        return None

    def _push_sensors(self, url: str | None) -> None:
        """Push each demo sensor's next uplink; the quiet one stops in time.

        Without ``url`` the emulator pushes to the device's routing profile.
        """
        quiet = time.monotonic() >= self._quiet_at
        if quiet:
            self._tell_once(
                "quiet",
                f"demo: LoRa device {QUIET_SENSOR} stopped reporting: "
                "its Reporting sensor goes off after its usual interval",
            )
        for eui, _, _ in DEMO_SENSORS:
            if quiet and eui == QUIET_SENSOR:
                continue
            emulator_control(
                self._emulators["kpn_lora"],
                "push/uplink",
                {"dev_eui": eui} | ({"url": url} if url else {}),
            )

    def _choose_cayenne(self) -> None:
        """Set the Cayenne devices' payload format, once each, when the select is there."""
        if self._formats_set >= set(CAYENNE_SENSORS):
            return
        try:
            selects = self._api.payload_format_selects()
        except (OSError, ValueError) as err:
            self._tell_once(
                "formats", f"demo: cannot list payload format selects: {err}"
            )
            return
        for eui in CAYENNE_SENSORS:
            if eui in self._formats_set:
                continue
            if eui not in selects:
                self._tell_once(
                    f"select {eui}",
                    f"demo: no payload format select for LoRa device {eui} yet; "
                    "its Cayenne LPP readings wait for it",
                )
                continue
            entity_id, option = selects[eui]
            try:
                if option != CAYENNE_FORMAT:
                    self._api.select_option(entity_id, CAYENNE_FORMAT)
            except (OSError, ValueError) as err:
                self._tell_once(f"set {eui}", f"demo: {entity_id}: {err}")
                continue
            self._formats_set.add(eui)
            say(f"demo: {entity_id} set to {CAYENNE_FORMAT}")

    def _tell_once(self, key: str, text: str) -> None:
        if key not in self._told:
            self._told.add(key)
            say(text)


def what_to_try(ha_url: str, emulator_urls: dict[str, str], speed: float) -> str:
    """The text printed once the demo is ready."""
    pace = f"runs {speed:g} times faster" if speed else "stands still"
    emulators = ", ".join(f"{key} {url}" for key, url in emulator_urls.items())
    return f"""
IoT Connectivity demo: {ha_url}
  login: {DEMO_USER["username"]} / {DEMO_USER["password"]}
  emulator: {emulators}

What to try first:
  1. Settings > Devices & services > IoT Connectivity: one account per provider,
     each added through the config flow with the emulator's demo credentials.
  2. Search "Weather station Utrecht" there and open the T-Mobile SIM: status,
     data used and the Active switch. Switch it off: the emulator suspends it.
  3. Every minute that SIM and the 1NCE SIM "DX-137-B12" send an SMS, and LoRa
     device "Test Device via API" an uplink, pushed to the entries' webhooks:
     see their SMS / Uplink events. The 1NCE account (the fifth provider, on
     T-Mobile's API family) shows quota, usage and connectivity like T-Mobile.
  4. Developer tools > Actions > "IoT Connectivity: Send SMS" to that SIM.
  5. The T-Mobile and 1NCE demo SIMs show "Data quota runs out" (after three
     usage reads) and their network events. Developer tools > Statistics lists their daily use
     ("Weather station Utrecht data used"); a Statistics graph card of it (bar
     chart, period day, "change") shows it per day since last month began.
  6. LoRa device "Alarm device 41201" has stopped reporting: within about three
     minutes it raises a new "No uplink activity" alarm (its Alarm sensor lists
     the open alarms); the older example alarms clear after about six minutes.
  7. LoRa sensors with decoded readings, pushed every minute: "Living room
     climate" (temperature, humidity, battery) and "Front door" (a contact
     that opens and closes) in Cayenne LPP, "Bike tracker" (GPS: see it move on
     the map), and "Cellar climate", whose ThingPark driver decodes its payload.
     The demo sets the Cayenne devices' Payload format to Cayenne LPP.
     "Cellar climate" stops reporting after a few minutes: its Reporting
     sensor turns off while its readings keep their last values.
  8. KPN LoRa options > "Receive uplinks: create a routing profile": Home
     Assistant creates a routing profile to its webhook, with its own keys.
  9. After --imei-change-after seconds the KPN SIM "Pumping station Zeeburg"
     moves to another device: "SIM moved to another device" triggers, its IMEI
     changed sensor turns on, and its Acknowledge IMEI change button clears it.
  10. Blueprints to import: blueprints/automation/iot_connectivity/ (suspend
      a SIM on data used, notify on a LoRa alarm, on an SMS, on a SIM that
      moved, on a LoRa device that stopped reporting).
Time {pace} on the emulator. Ctrl-C stops both.
"""


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "config")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HA port")
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=DEFAULT_EMULATOR_PORT,
        help="first of the emulator's five ports",
    )
    parser.add_argument(
        "--sims", type=int, default=30, help="generated SIMs per provider"
    )
    parser.add_argument("--lora-devices", type=int, default=20)
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (0: time stands still)",
    )
    parser.add_argument(
        "--quiet-after",
        type=float,
        default=DEFAULT_QUIET_AFTER,
        help="minutes after which LoRa sensor 'Cellar climate' stops (0: never)",
    )
    parser.add_argument(
        "--push-every",
        type=float,
        default=60.0,
        help="seconds between pushed SMS and uplinks (0: none)",
    )
    parser.add_argument(
        "--imei-change-after",
        type=float,
        default=90.0,
        help="seconds until a demo SIM moves to another device (0: never)",
    )
    return parser.parse_args()


class StopRequested(BaseException):
    """Raised in the main thread by the first SIGINT, SIGTERM or SIGHUP.

    A BaseException, so no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        """Remember which signal asked to stop."""
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stopper:
    """What the stop signals do; installed before anything is started.

    The first signal raises :class:`StopRequested` wherever the demo is
    (starting, onboarding, running), so the ``finally`` of :func:`main` stops
    the children. Once stopping has begun, signals raise nothing: a repeat
    within ``REPEAT_GRACE`` is ignored, a later one (Ctrl-C pressed again)
    makes the stop kill at once.
    """

    def __init__(self) -> None:
        """Nothing received yet."""
        self.stopping = False
        self.hurry = False
        self.phase = "starting"
        self._first = 0.0

    def install(self) -> None:
        """Handle the stop signals from now on."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        now = time.monotonic()
        if not self.stopping:
            self.stopping = True
            self._first = now
            raise StopRequested(signum)
        if now - self._first > REPEAT_GRACE:
            self.hurry = True


def say(text: str) -> None:
    """Print at once; a closed output (the reader is gone) must not stop a stop."""
    with suppress(OSError, ValueError):
        print(text, flush=True)


_LIBC: Final = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def die_with_parent(parent: int) -> None:
    """In a child before exec: SIGTERM when ``parent`` dies, even by SIGKILL.

    Linux only (prctl); elsewhere a no-op. Run as ``preexec_fn`` from the
    parent's main thread: the signal follows the thread that forked.
    """
    if _LIBC is None:
        return
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


class Children:
    """The processes this script starts, each the leader of its own group.

    Own sessions: a Ctrl-C in the terminal reaches this script only, which
    stops each child once and in order. Signals go to the whole group, so
    whatever a child started goes too.
    """

    def __init__(self) -> None:
        """None started yet."""
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], log: IO[bytes]) -> None:
        """Start ``python -m command`` with its output in ``log``."""
        self.processes[name] = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=functools.partial(die_with_parent, os.getpid()),  # noqa: PLW1509
        )

    def exited(self) -> str | None:
        """The first child that has exited by itself, with its exit code."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return f"{name} exited ({process.returncode})"
        return None

    def running(self) -> list[str]:
        """The children whose process group still has a process."""
        left = []
        for name, process in self.processes.items():
            process.poll()  # reaps the leader once it has exited
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError, PermissionError:  # none left that is ours
                continue
            left.append(name)
        return left

    def signal_all(self, signum: int) -> None:
        """Send ``signum`` to every child's process group."""
        for process in self.processes.values():
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signum)

    def stop(self, hurry: Callable[[], bool] = lambda: False) -> None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT`` (or when ``hurry()``)."""
        if not self.running():
            return
        self.signal_all(signal.SIGTERM)
        if left := self._wait(STOP_TIMEOUT, hurry):
            say(f"demo: killing {' and '.join(left)} (not stopped in time)")
            self.signal_all(signal.SIGKILL)
            if left := self._wait(KILL_TIMEOUT, lambda: False):
                say(f"demo: {' and '.join(left)} still there after SIGKILL")

    def kill(self) -> None:
        """The last resort, at exit: SIGKILL whatever is left."""
        if self.running():
            self.signal_all(signal.SIGKILL)

    def _wait(self, timeout: float, hurry: Callable[[], bool]) -> list[str]:
        deadline = time.monotonic() + timeout
        while (left := self.running()) and time.monotonic() < deadline:
            if hurry():
                return left
            time.sleep(0.05)
        return left


def start(args: argparse.Namespace, children: Children) -> None:
    """Start the emulator and Home Assistant; their output goes to ``LOG_NAME``."""
    with (args.config / LOG_NAME).open("ab") as log:
        children.start(
            "the emulator",
            [
                "iot_emulator",
                "--port",
                str(args.emulator_port),
                "--sims",
                str(args.sims),
                "--lora-devices",
                str(args.lora_devices),
            ],
            log,
        )
        children.start(
            "Home Assistant",
            ["homeassistant", "--config", str(args.config), "--skip-pip"],
            log,
        )


def add_demo_accounts(api: HomeAssistantApi, emulator_urls: dict[str, str]) -> set[str]:
    """Add the accounts that are not there yet; the ids of the new entries."""
    added = set()
    for provider, url in emulator_urls.items():
        entry_id = api.add_account(provider, demo_account(provider, url))
        if entry_id is not None:
            api.set_demo_options(entry_id)
            added.add(entry_id)
    return added


def run(args: argparse.Namespace, children: Children, stopper: Stopper) -> int:
    """Start both processes, onboard, add the accounts, run the demo until stopped.

    Returns the exit code when a child exits by itself.
    """
    ha_url = f"http://127.0.0.1:{args.port}"
    if answers(ha_url):
        sys.exit(f"Something already answers on {ha_url}: is the demo running?")
    emulator_urls = {
        key: f"http://127.0.0.1:{args.emulator_port + offset}"
        for offset, key in enumerate(PROVIDERS)
    }
    started = time.monotonic()
    prepare_config(args.config, args.port)
    start(args, children)
    emulator = children.processes["the emulator"]
    hass = children.processes["Home Assistant"]
    log = args.config / LOG_NAME
    print(f"Starting the emulator and Home Assistant (output: {log})", flush=True)
    stopper.phase = "waiting for the emulator"
    for url in emulator_urls.values():
        wait_for(f"{url}/_emulator/state", emulator, log, timeout=60)
    # The LoRa demo sensors exist before the account is added: its first read has them.
    emulator_control(emulator_urls["kpn_lora"], "lora/sensors", {})
    # The SIMs have used some data today before the first read; LoRa devices
    # keep the document's state, so their alarms come and go while one watches.
    for provider in ("kpn_iot_sim", "tmobile_easy_connect", "infobip_iot", "1nce"):
        emulator_control(emulator_urls[provider], "tick", {"seconds": SIM_HISTORY})
    # Daily use since the previous month began: the statistics' back-fill.
    for provider in ("tmobile_easy_connect", "1nce"):
        emulator_control(emulator_urls[provider], "usage-history", {})
    stopper.phase = "waiting for Home Assistant"
    # The frontend's manifest is served once onboarding can start.
    wait_for(f"{ha_url}/manifest.json", hass, log, timeout=300)
    stopper.phase = "adding the demo accounts"
    print(ONBOARDING_LINE, flush=True)
    api = HomeAssistantApi(ha_url)
    api.ensure_onboarded()
    api.log_in()
    added = add_demo_accounts(api, emulator_urls)
    wait_for_stored(args.config, added, timeout=15)
    api.enable_demo_entities()
    print(what_to_try(ha_url, emulator_urls, args.speed), flush=True)
    stopper.phase = "running"
    print(
        f"demo ready after {time.monotonic() - started:.1f} s "
        f"({len(added)} accounts added, {len(PROVIDERS) - len(added)} reused)",
        flush=True,
    )
    activity = DemoActivity(
        api,
        emulator_urls,
        args.config,
        speed=args.speed,
        push_every=args.push_every,
        imei_change_after=args.imei_change_after,
        quiet_after=args.quiet_after,
    )
    while not (exited := children.exited()):
        activity.run_due()
        time.sleep(1)
    say(f"demo: {exited}; stopping")
    return 1


def main() -> int:
    """Run the demo; whatever ends it, stop every process it started."""
    stopper = Stopper()
    stopper.install()  # before anything is started
    children = Children()
    atexit.register(children.kill)
    stopped_by: StopRequested | None = None
    try:
        return run(parse_args(), children, stopper)
    except StopRequested as stop:
        stopped_by = stop
        return 0
    finally:
        stopper.stopping = True
        if children.running():
            why = f"{stopped_by} while {stopper.phase}" if stopped_by else "exiting"
            say(f"demo: {why}: stopping {' and '.join(children.running())}")
            began = time.monotonic()
            children.stop(lambda: stopper.hurry)
            say(f"demo: stopped in {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
