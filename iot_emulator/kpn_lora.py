"""KPN LoRa device management (ThingPark) behind the KPN gateway, and the LRC.

Serves ``kpn-lora-thingpark.txt`` under ``/data/lora/thingpark`` plus the
ThingPark LRC downlink route, and pushes signed uplinks to application servers.

Seeded with the document's examples (``examples/kpn_lora``): its connectivity
plans, its routing profile (with the request's AS key, so downlinks can be
signed), the two devices of the device examples, one device for each alarm's
``deviceRef``, both alarms and the frame statistics rows (on device
``0059ac0000170311``). Health statistics are counted from the devices.

Shapes the document leaves open and the emulator had to choose (the client
reads each in one parser): device pages are numbered from 1; ``statistics=true``
adds the statistics flat to each device; frame statistics rows carry a
``deviceEUI``; creations answer 201; ``errorId`` values other than the
document's ``OSS-214`` are the emulator's own. LRC refusals are plain text:
400 for a malformed request, 403 for a bad AS_ID, Token or Time, 404 for an
unknown DevEUI.

Routing profiles need a known ``hsmGroupId`` and HTTPS addresses (plain HTTP
only for loopback hosts, which the tests and the demo use). Uplinks pushed
without a ``url`` go to the addresses of the device's routing profile, signed
with its route's key; a profile created with an ``rsaPublicKey`` gets them
encrypted for the application server (``AppSKey`` wrapped with the profile's
ASK, as Actility's reference code shows). Control routes beyond the common
ones: ``push/uplink``, ``lora/sensors`` (the demo sensors of
:mod:`.lora_payloads`, sending realistic payloads) and ``lora/attach`` (a
device to a profile, as one does in the ThingPark portal).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
import random
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aiohttp
from aiohttp import web

from .core import CONTROL_PREFIX, Handler, json_error, json_response
from .examples import load_example
from .kpn_gateway import KpnGatewayEmulator, unauthorized
from .lora_payloads import (
    DEMO_SENSORS,
    DemoSensor,
    lorawan_encrypt,
    wrap_session_key,
)

EXAMPLES = "kpn_lora"
BASE_PATH = "/data/lora/thingpark"
LRC_DOWNLINK_PATH = "/thingpark/lrc/rest/downlink"
PUSH_UPLINK_PATH = f"{CONTROL_PREFIX}/push/uplink"
SENSORS_PATH = f"{CONTROL_PREFIX}/lora/sensors"
ATTACH_PATH = f"{CONTROL_PREFIX}/lora/attach"
HSM_GROUPS = frozenset({"HSM_KPN-OPE.1", "HSM_KPN-ACC-OPE.1"})
"""The HSM groups the document's examples name (it says there is one per platform)."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Where a route may point over plain HTTP: only the tests and the demo use it."""

DEFAULT_THINGPARK_USERNAME = "Demo.User@ThingPark.example"
DEFAULT_THINGPARK_PASSWORD = "demo-thingpark-password"  # noqa: S105 - demo credential
DEFAULT_CUSTOMER_ID = "100001135"
"""The subscriber of the document's ``TWA_100001135.*`` routing profile ids."""
DEFAULT_LRR_ID = "FF0109A4"


PAGE_SIZE = 100
LRC_QUEUED = "Request queued by LRC"
LRC_QUEUED_PAGE = f"<html><body>{LRC_QUEUED}</body></html>"
"""What the LRC answers to a queued downlink: the success text wrapped in HTML."""
DEFAULT_MAX_TIME_DEVIATION = 60.0
"""Seconds a downlink's ``Time`` may differ from the server clock."""
MIN_PORT, MAX_PORT = 1, 223
MAX_PAYLOAD_BYTES = 242
DEFAULT_FRAME_DURATION_DAYS = 7
MAX_AGGREGATION_HOURS = 24

INIT, ACTIVE, RF_CNX_ERROR = "INIT", "ACTIVE", "RF_CNX_ERROR"
CLEARED = "CLEARED"
NO_UPLINK_ALARM = 4
QUIET_DEVICE_REF = "41201"
"""The device that stops reporting in ``tick`` (the one already struggling)."""
NO_UPLINK_ALARM_AFTER = 2 * 3600.0
"""Simulated seconds of silence before a "no uplink activity" alarm."""
ALARM_CLEAR_AFTER = 6 * 3600.0
"""Simulated seconds after which any other open alarm clears."""

_HEX = re.compile(r"[0-9A-Fa-f]*")
_EUI = re.compile(r"[0-9A-Fa-f]{16}")
_AS_KEY = re.compile(r"[0-9A-Fa-f]{32}")
_REQUIRED_DOWNLINK_PARAMS = ("DevEUI", "FPort", "Payload", "AS_ID", "Time")
_REQUIRED_DEVICE_FIELDS = ("name", "EUI", "activationType", "hsmGroupId")
_PROVISIONING_FIELDS = (
    "name",
    "EUI",
    "activationType",
    "deviceProfileId",
    "connectivityPlanId",
    "routingProfileId",
    "processingStrategyId",
    "applicationEUI",
    "hsmGroupId",
)
_GENERATED_HEALTH = ((INIT, 15), (ACTIVE, 80), (RF_CNX_ERROR, 5))
_UPLINK_INTERVALS = (300, 600, 900, 1800, 3600)

type ClientHandler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
"""A handler that also gets the gateway client id of the request."""

_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
}


def lora_error(status: int, message: str, error_id: str) -> web.HTTPException:
    """Build the LoRa API's ``{"code","message","errorId"}`` answer, to raise."""
    body = {"code": status, "message": message, "errorId": error_id}
    return _ERRORS[status](text=json.dumps(body), content_type="application/json")


def lrc_refusal(status: int, message: str) -> web.HTTPException:
    """Build the LRC's plain-text refusal of a downlink, to raise."""
    return _ERRORS[status](text=message)


def iso(moment: datetime) -> str:
    """Format like the document: UTC with milliseconds, ``…T11:06:59.073+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _parse_time(text: str) -> datetime | None:
    """Read an ISO 8601 time; naive means UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _unescaped_params(query: str) -> dict[str, str]:
    """Split a raw query string; ``+`` stays ``+`` as the LRC reads it."""
    params: dict[str, str] = {}
    for part in filter(None, query.split("&")):
        key, _, value = part.partition("=")
        params[unquote(key)] = unquote(value)
    return params


def _int_param(
    value: str | None, name: str, lowest: int, highest: int | None = None
) -> int | None:
    """Read an optional integer query parameter, refused when out of bounds."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = lowest - 1
    if number < lowest or (highest is not None and number > highest):
        bound = f"between {lowest} and {highest}" if highest else f"at least {lowest}"
        raise lora_error(400, f"Bad request: {name} must be {bound}", "OSS-400")
    return number


def _check_addresses(addresses: Any) -> None:
    """Refuse a route without addresses, or with one that is no HTTPS URL.

    The document: "List of HTTPS endpoint destination(s) of the application
    server". Plain HTTP is taken for loopback hosts only, which no real
    ThingPark could reach: the tests and the demo point routes there.
    """
    if not isinstance(addresses, list) or not addresses:
        raise lora_error(400, "Bad request: every route needs addresses", "OSS-400")
    for address in addresses:
        parts = urlsplit(address) if isinstance(address, str) else None
        secure = parts is not None and parts.scheme == "https" and parts.netloc
        loopback = (
            parts is not None
            and parts.scheme == "http"
            and parts.hostname in LOOPBACK_HOSTS
        )
        if not (secure or loopback):
            raise lora_error(
                400, f"Bad request: {address} is not an HTTPS address", "OSS-400"
            )


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise lora_error(400, "Bad request: the body is not JSON", "OSS-400") from None
    if not isinstance(data, dict):
        raise lora_error(400, "Bad request: the body must be an object", "OSS-400")
    return data


@dataclass(frozen=True, slots=True)
class AcceptedDownlink:
    """A downlink the LRC queued."""

    dev_eui: str
    port: int
    payload_hex: str
    as_id: str
    time: str
    fcnt_down: int | None = None
    confirmed: bool = False
    flush_queue: bool = False


@dataclass(slots=True, kw_only=True)
class Device:
    """A provisioned device: its record as created, plus what the network saw."""

    ref: str
    record: dict[str, Any]
    """The provisioning fields as the API echoes them (never the AppKey)."""
    created: datetime
    health: str = INIT
    uplink_interval: float = 600.0
    last_rssi: float | None = None
    last_snr: float | None = None
    average_rssi: float | None = None
    average_snr: float | None = None
    last_sf: int | None = None
    last_uplink: datetime | None = None
    last_downlink: datetime | None = None
    battery_level: int | None = None
    battery_time: datetime | None = None
    uplinks_24h: int = 0
    downlinks_24h: int = 0
    mean_per: float | None = None
    fcnt_up: int = 0
    fcnt_down: int = 0
    frames: list[dict[str, Any]] = field(default_factory=list)
    """Hourly frame statistics rows, as ``/deviceFrameStatistics`` serves them."""
    pending_uplinks: float = 0.0
    silent_for: float = 0.0

    @property
    def eui(self) -> str:
        """The EUI as provisioned."""
        return str(self.record["EUI"])

    @property
    def dev_addr(self) -> str:
        """A stable device address derived from the EUI."""
        return self.eui[-8:].upper()

    def statistics(self) -> dict[str, Any]:
        """Return the fields ``statistics=true`` adds."""

        def when(moment: datetime | None) -> str | None:
            return iso(moment) if moment else None

        return {
            "healthState": self.health,
            "lastRSSI": self.last_rssi,
            "lastSNR": self.last_snr,
            "averageRSSI": self.average_rssi,
            "averageSNR": self.average_snr,
            "lastSF": self.last_sf,
            "last24hUplinkCount": self.uplinks_24h,
            "last24hDownlinkCount": self.downlinks_24h,
            "lastUplinkTime": when(self.last_uplink),
            "lastDownlinkTime": when(self.last_downlink),
            "lastBatteryLevel": self.battery_level,
            "lastBatteryLevelTime": when(self.battery_time),
            "lastMeanPER": self.mean_per,
        }

    def to_json(
        self, *, statistics: bool = False, extended: bool = False
    ) -> dict[str, Any]:
        """Serve the device, with the statistics and extended info when asked."""
        data: dict[str, Any] = {"ref": self.ref, **self.record}
        if statistics:
            data |= self.statistics()
        if extended:
            data |= {"devAddr": self.dev_addr, "creationTime": iso(self.created)}
        return data

    def record_frames(
        self, direction: str, moment: datetime, count: int, payload_size: int
    ) -> None:
        """Add ``count`` frames to the hourly statistics row of ``moment``."""
        date = iso(_hour(moment))
        row = next(
            (r for r in self.frames if r["type"] == direction and r["date"] == date),
            None,
        )
        if row is None:
            row = _empty_frame_row(direction, date)
            self.frames.append(row)
        row["frameCount"] += count
        row["payloadSize"] = payload_size
        done, done_size = (
            ("payloadReceivedOnTime", "payloadReceivedOnTimeSize")
            if direction == "UPLINK"
            else ("payloadSentWithSuccess", "payloadSentWithSuccessSize")
        )
        row[done] += count
        row[done_size] += count * payload_size
        if direction == "UPLINK":
            row["baseStationRSSI"] = self.last_rssi
            row["baseStationSNR"] = self.last_snr


def _empty_frame_row(direction: str, date: str) -> dict[str, Any]:
    """Start a frame statistics row with the document's fields for its type."""
    if direction == "UPLINK":
        return {
            "type": direction,
            "date": date,
            "frameCount": 0,
            "payloadSize": 0,
            "baseStationRSSI": None,
            "baseStationSNR": None,
            "payloadReceivedOnTime": 0,
            "payloadReceivedLate": 0,
            "payloadReceivedOnTimeSize": 0,
            "payloadReceivedLateSize": 0,
            "averagePER": 0.0,
        }
    return {
        "type": direction,
        "date": date,
        "frameCount": 0,
        "payloadSize": 0,
        "payloadSentWithSuccess": 0,
        "payloadSentWithSuccessSize": 0,
        "payloadSentWithFailure": 0,
        "payloadSentWithFailureSize": 0,
    }


_SUMMED_FRAME_FIELDS = (
    "frameCount",
    "payloadReceivedOnTime",
    "payloadReceivedLate",
    "payloadReceivedOnTimeSize",
    "payloadReceivedLateSize",
    "payloadSentWithSuccess",
    "payloadSentWithSuccessSize",
    "payloadSentWithFailure",
    "payloadSentWithFailureSize",
)
_AVERAGED_FRAME_FIELDS = (
    "payloadSize",
    "baseStationRSSI",
    "baseStationSNR",
    "averagePER",
)


def _aggregate(rows: list[dict[str, Any]], hours: int) -> list[dict[str, Any]]:
    """Merge rows of one device and type into slots of ``hours`` hours.

    Counts are summed; sizes, RSSI, SNR and PER averaged.
    """
    step = hours * 3600
    slots: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for row in rows:
        moment = datetime.fromisoformat(row["date"]).timestamp()
        key = (row["deviceEUI"], row["type"], moment - moment % step)
        slots.setdefault(key, []).append(row)
    merged = []
    for (eui, direction, start), members in slots.items():
        row = {"type": direction, "date": iso(datetime.fromtimestamp(start, UTC))}
        for name in _SUMMED_FRAME_FIELDS:
            if name in members[0]:
                row[name] = sum(member[name] for member in members)
        for name in _AVERAGED_FRAME_FIELDS:
            values = [m[name] for m in members if m.get(name) is not None]
            if name in members[0]:
                row[name] = round(sum(values) / len(values), 1) if values else None
        row["deviceEUI"] = eui
        merged.append(row)
    return merged


def _body_value(value: float, *, numeric: bool, decimals: int = 0) -> Any:
    """Render an uplink value as ThingPark does: text by default, else a number."""
    if numeric:
        return value
    return f"{value:.{decimals}f}"


async def push_uplink(
    session: aiohttp.ClientSession,
    url: str,
    *,
    as_id: str,
    as_key: str,
    dev_eui: str,
    fport: int,
    payload_hex: str,
    fcnt_up: int = 0,
    fcnt_down: int = 0,
    customer_id: str = DEFAULT_CUSTOMER_ID,
    dev_addr: str | None = None,
    rssi: float = -100.0,
    snr: float = 7.5,
    sf: int = 7,
    lrr_id: str = DEFAULT_LRR_ID,
    frequency: float = 868.1,
    lrn_infos: str | None = None,
    time: datetime | None = None,
    numeric: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """POST a signed ThingPark uplink to an application server; return its status.

    Body values are strings like ``"-100.000000"`` unless ``numeric``; ``extra``
    adds fields to ``DevEUI_uplink`` (a driver's ``payload`` and ``points``). The Token
    covers ``CustomerID + DevEUI + FPort + FCntUp + payload_hex``, then the query
    string (unescaped), then the AS key.
    """
    # ThingPark writes the time with its own offset, e.g. "+02:00".
    moment = (time or datetime.now(UTC)).isoformat(timespec="milliseconds")
    query = [
        ("LrnDevEui", dev_eui),
        ("LrnFPort", str(fport)),
        ("LrnInfos", lrn_infos or f"TWA_{customer_id}.AS-1-{fcnt_up}"),
        ("AS_ID", as_id),
        ("Time", moment),
    ]
    signed = "&".join(f"{key}={value}" for key, value in query)
    token = _sha256(
        f"{customer_id}{dev_eui}{fport}{fcnt_up}{payload_hex}{signed}{as_key}"
    )
    sent = "&".join(f"{key}={quote(value, safe=':')}" for key, value in query)

    def number(value: float, decimals: int = 0) -> Any:
        return _body_value(value, numeric=numeric, decimals=decimals)

    gateway = {
        "Lrrid": lrr_id,
        "Chain": number(0),
        "LrrRSSI": number(rssi, 6),
        "LrrSNR": number(snr, 6),
    }
    body = {
        "DevEUI_uplink": {
            "Time": moment,
            "DevEUI": dev_eui,
            "FPort": number(fport),
            "FCntUp": number(fcnt_up),
            "FCntDn": number(fcnt_down),
            "payload_hex": payload_hex,
            "LrrRSSI": number(rssi, 6),
            "LrrSNR": number(snr, 6),
            "SpFact": number(sf),
            "DevLrrCnt": number(1),
            "Lrrid": lrr_id,
            "Lrrs": {"Lrr": [gateway]},
            "CustomerID": customer_id,
            "DevAddr": dev_addr or dev_eui[-8:].upper(),
            "InstantPER": number(0.0, 6),
            "MeanPER": number(0.0, 6),
            "Frequency": number(frequency, 1),
            **(extra or {}),
        }
    }
    separator = "&" if "?" in url else "?"
    async with session.post(
        f"{url}{separator}{sent}&Token={token}", json=body
    ) as response:
        return response.status


class KpnLoraEmulator(KpnGatewayEmulator):
    """The KPN LoRa API (activation per gateway client id) and the LRC.

    ``thingpark_users`` maps ThingPark usernames to passwords; ``activated``
    holds the gateway client ids that activated; ``as_keys`` maps each route's
    AS_ID to its AS key. ``downlinks`` records what the LRC queued. ``now`` is
    the simulated clock that ``tick`` advances; the LRC checks ``Time`` against
    the real clock, within ``max_time_deviation`` seconds.
    """

    name = "kpn_lora"

    def __init__(self, *, generated: int = 0, seed: int = 0) -> None:
        """Seed the document's examples, then ``generated`` random devices."""
        super().__init__()
        self._rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self._elapsed = 0.0
        self._next_ref = 60000
        self.thingpark_users: dict[str, str] = {
            DEFAULT_THINGPARK_USERNAME: DEFAULT_THINGPARK_PASSWORD
        }
        self.activated: set[str] = set()
        self.max_time_deviation = DEFAULT_MAX_TIME_DEVIATION
        self.quiet_device_ref: str | None = QUIET_DEVICE_REF
        self.connectivity_plans: list[dict[str, Any]] = load_example(
            EXAMPLES, "connectivity_plans"
        )
        self.routing_profiles: list[dict[str, Any]] = []
        self.as_keys: dict[str, str] = {}
        self.devices: dict[str, Device] = {}
        self.alarms: dict[str, dict[str, Any]] = {}
        self._alarm_raised_at: dict[str, float] = {}
        self.downlinks: list[AcceptedDownlink] = []
        self.application_server_keys: dict[str, str] = {}
        """The ASK of each routing profile created with an RSA key, by profile id."""
        self.sensors: dict[str, DemoSensor] = {}
        """The demo devices that send realistic payloads, by upper-case DevEUI."""
        self._seed_routing_profile()
        self._seed_devices()
        self._generate(generated)

    # Seeding

    def _seed_routing_profile(self) -> None:
        request = load_example(EXAMPLES, "routing_profile_request")
        profile = load_example(EXAMPLES, "routing_profile_response")
        del profile["rsaEncryptedASKey"]  # returned once, at creation
        self.routing_profiles.append(profile)
        for route in request["routes"]:
            self.as_keys[route["asId"]] = route["asKey"]

    @property
    def default_as_id(self) -> str:
        """The AS_ID of the document's routing profile."""
        return next(iter(self.as_keys))

    def _seed_devices(self) -> None:
        created = load_example(EXAMPLES, "device_create_request")
        del created["applicationKey"]
        answered = load_example(EXAMPLES, "device_create_response")
        answered_ref = answered.pop("ref")
        template = {
            key: answered[key]
            for key in _PROVISIONING_FIELDS
            if key not in ("name", "EUI") and key in answered
        } | {"applicationEUI": "0000000000000000"}

        def alarm_device(ref: str) -> dict[str, Any]:
            return {
                "name": f"Alarm device {ref}",
                "EUI": f"0059AC0000{ref:0>6}",
            } | template

        # Radio (RSSI, SNR, SF) and battery level; the alarms' devices report
        # SF12 where SF10 was expected, and a battery at 20 %.
        seeds: list[
            tuple[str, dict[str, Any], str, tuple[float, float, int] | None, int | None]
        ] = [
            ("15531", created, ACTIVE, (-38.2, 2.6, 7), 254),
            (answered_ref, answered, INIT, None, None),
            ("41201", alarm_device("41201"), ACTIVE, (-118.0, -15.0, 12), 203),
            ("32611", alarm_device("32611"), ACTIVE, (-96.5, 4.25, 9), 51),
        ]
        for ref, record, health, radio, battery in seeds:
            device = Device(
                ref=ref,
                record=record,
                created=self.now - timedelta(days=30),
                health=health,
                battery_level=battery,
            )
            if radio is not None:
                self._set_radio(device, *radio)
            self.devices[ref] = device
        self.devices["15531"].frames = load_example(EXAMPLES, "frame_statistics")
        for alarm in load_example(EXAMPLES, "device_alarms"):
            self.alarms[alarm["ref"]] = alarm
            self._alarm_raised_at[alarm["ref"]] = 0.0

    def _set_radio(self, device: Device, rssi: float, snr: float, sf: int) -> None:
        """Give a reporting device its radio figures and a recent uplink."""
        device.last_rssi = device.average_rssi = rssi
        device.last_snr = device.average_snr = snr
        device.last_sf = sf
        device.mean_per = 0.0
        device.last_uplink = self.now - timedelta(seconds=device.uplink_interval / 2)
        device.battery_time = device.last_uplink
        device.uplinks_24h = int(86400 / device.uplink_interval)
        device.fcnt_up = device.uplinks_24h * 7

    def _generate(self, count: int) -> None:
        rng = self._rng
        states = [state for state, _ in _GENERATED_HEALTH]
        weights = [weight for _, weight in _GENERATED_HEALTH]
        plan = self.connectivity_plans[-1]
        for index in range(count):
            ref = self._new_ref()
            device = Device(
                ref=ref,
                record={
                    "name": f"Sensor {index + 1:03d}",
                    "EUI": f"70B3D5E75E{index:06X}",
                    "activationType": "OTAA",
                    "deviceProfileId": "CUSTOM/Static V 1.0 Class A",
                    "connectivityPlanId": plan["id"],
                    "routingProfileId": self.routing_profiles[0]["id"],
                    "applicationEUI": "70B3D5E75E000000",
                    "hsmGroupId": "HSM_KPN-OPE.1",
                },
                created=self.now - timedelta(days=rng.randint(1, 400)),
                health=rng.choices(states, weights)[0],
                uplink_interval=rng.choice(_UPLINK_INTERVALS),
                battery_level=rng.choice((0, 255, rng.randint(1, 254))),
            )
            if device.health != INIT:
                self._set_radio(
                    device,
                    round(rng.uniform(-120.0, -60.0), 1),
                    round(rng.uniform(-15.0, 10.0), 1),
                    rng.randint(7, 12),
                )
                device.record_frames("UPLINK", self.now, 1, rng.randint(1, 51))
            plan["usedConnections"] += 1
            self.devices[ref] = device

    def _new_ref(self) -> str:
        self._next_ref += 1
        return str(self._next_ref)

    # Routes

    def add_routes(self, app: web.Application) -> None:
        """Add the gateway token route, the LoRa API, the LRC and the push control."""
        self.add_gateway_routes(app)
        app.router.add_post(
            f"{BASE_PATH}/activate",
            self._authenticated(self._activate),
            name="activate",
        )
        # Each route is named after its handler, e.g. "list_devices".
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/connectivityPlans", self._connectivity_plans),
            ("GET", "/routingProfiles", self._list_routing_profiles),
            ("POST", "/routingProfiles", self._create_routing_profile),
            ("GET", "/devices", self._list_devices),
            ("POST", "/devices", self._create_device),
            ("GET", "/devices/{ref}", self._get_device),
            ("DELETE", "/devices/{ref}", self._delete_device),
            ("GET", "/deviceAlarms", self._list_alarms),
            ("POST", "/deviceAlarms/{ref}/acks", self._ack_alarm),
            ("GET", "/deviceFrameStatistics", self._frame_statistics),
            ("GET", "/deviceHealthStatistics", self._health_statistics),
        ]
        for method, path, handler in routes:
            app.router.add_route(
                method,
                f"{BASE_PATH}{path}",
                self._activated(handler),
                name=handler.__name__.removeprefix("_"),
            )
        app.router.add_post(LRC_DOWNLINK_PATH, self._lrc_downlink, name="lrc_downlink")
        app.router.add_post(PUSH_UPLINK_PATH, self._control_push_uplink)
        app.router.add_post(SENSORS_PATH, self._control_sensors)
        app.router.add_post(ATTACH_PATH, self._control_attach)

    def _authenticated(self, handler: ClientHandler) -> Handler:
        """Require a valid gateway bearer token; pass its client id on."""

        async def checked(request: web.Request) -> web.StreamResponse:
            client_id = self.authorized(request)
            if client_id is None:
                return unauthorized()
            return await handler(request, client_id)

        return checked

    def _activated(self, handler: Handler) -> Handler:
        """Require a bearer token of a client id that activated the LoRa API."""

        async def checked(request: web.Request, client_id: str) -> web.StreamResponse:
            if client_id not in self.activated:
                raise lora_error(
                    403, "Forbidden: the LoRa API is not activated", "OSS-403"
                )
            return await handler(request)

        return self._authenticated(checked)

    def control_state(self) -> Any:
        """Summarise devices, activations, alarms and queued downlinks."""
        return {
            "now": iso(self.now),
            "activated_clients": sorted(self.activated),
            "routing_profiles": [profile["id"] for profile in self.routing_profiles],
            "devices": len(self.devices),
            "open_alarms": sum(
                alarm["alarmState"] != CLEARED and not alarm["acked"]
                for alarm in self.alarms.values()
            ),
            "downlinks": [asdict(downlink) for downlink in self.downlinks],
        }

    # Simulated time

    def tick(self, seconds: float) -> None:
        """Let devices report; the quiet device raises an alarm; old alarms clear."""
        self._elapsed += seconds
        self.now += timedelta(seconds=seconds)
        for device in self.devices.values():
            if device.eui.upper() in self.sensors:
                continue  # their uplinks are the ones pushed
            if device.ref == self.quiet_device_ref:
                self._stay_quiet(device, seconds)
            elif device.health != INIT:
                self._report(device, seconds)
        for ref, alarm in self.alarms.items():
            raised = self._alarm_raised_at.get(ref, 0.0)
            if (
                alarm["alarmState"] != CLEARED
                and alarm["deviceAlarmTypeId"] != NO_UPLINK_ALARM
                and self._elapsed - raised >= ALARM_CLEAR_AFTER
            ):
                self._clear(alarm)

    def _report(self, device: Device, seconds: float) -> None:
        """Receive the uplinks a device sent in ``seconds``; its radio drifts."""
        device.pending_uplinks += seconds / device.uplink_interval
        frames = int(device.pending_uplinks)
        if not frames:
            return
        device.pending_uplinks -= frames
        rng = self._rng
        rssi = device.last_rssi if device.last_rssi is not None else -100.0
        snr = device.last_snr if device.last_snr is not None else 0.0
        self._receive_uplinks(
            device,
            frames,
            rssi=min(max(rssi + rng.uniform(-3.0, 3.0), -125.0), -40.0),
            snr=min(max(snr + rng.uniform(-1.0, 1.0), -20.0), 12.0),
        )

    def _receive_uplinks(
        self, device: Device, frames: int, *, rssi: float, snr: float
    ) -> None:
        """Count uplinks of a device, as the network saw them now."""
        device.last_rssi, device.last_snr = round(rssi, 1), round(snr, 1)
        device.average_rssi = round(0.9 * (device.average_rssi or rssi) + 0.1 * rssi, 1)
        device.average_snr = round(0.9 * (device.average_snr or snr) + 0.1 * snr, 1)
        device.fcnt_up += frames
        device.uplinks_24h = min(
            device.uplinks_24h + frames, int(86400 / device.uplink_interval)
        )
        device.last_uplink = self.now
        device.silent_for = 0.0
        device.health = ACTIVE
        device.record_frames("UPLINK", self.now, frames, 12)
        for alarm in self._alarms_of(device):
            if alarm["deviceAlarmTypeId"] == NO_UPLINK_ALARM:
                self._clear(alarm)

    def _stay_quiet(self, device: Device, seconds: float) -> None:
        """Raise, then keep up to date, the "no uplink activity" alarm."""
        device.silent_for += seconds
        if device.silent_for < NO_UPLINK_ALARM_AFTER:
            return
        hours = str(int(device.silent_for // 3600))
        device.health = RF_CNX_ERROR
        for alarm in self._alarms_of(device):
            if (
                alarm["deviceAlarmTypeId"] == NO_UPLINK_ALARM
                and alarm["alarmState"] != CLEARED
            ):
                alarm["additionalInfo1"] = hours
                alarm["lastUpdateTime"] = iso(self.now)
                return
        ref = f"{self._rng.getrandbits(96):024x}"
        self.alarms[ref] = {
            "ref": ref,
            "alarmState": "MAJOR",
            "occurrence": 1,
            "acked": False,
            "creationTime": iso(self.now),
            "lastUpdateTime": iso(self.now),
            "additionalInfo1": hours,
            "deviceRef": device.ref,
            "deviceAlarmTypeId": NO_UPLINK_ALARM,
        }
        self._alarm_raised_at[ref] = self._elapsed

    def _clear(self, alarm: dict[str, Any]) -> None:
        alarm["alarmState"] = CLEARED
        alarm["lastUpdateTime"] = iso(self.now)

    def _alarms_of(self, device: Device) -> Iterable[dict[str, Any]]:
        return [a for a in self.alarms.values() if a["deviceRef"] == device.ref]

    # Lookups

    def device_by_eui(self, eui: str) -> Device | None:
        """Find the device with ``eui`` (any case)."""
        wanted = eui.upper()
        return next((d for d in self.devices.values() if d.eui.upper() == wanted), None)

    def _device(self, request: web.Request) -> Device:
        device = self.devices.get(request.match_info["ref"])
        if device is None:
            raise lora_error(404, "Not found: no such device", "OSS-404")
        return device

    def _plan(self, plan_id: str | None) -> dict[str, Any]:
        """Find the plan asked for, or the first with a free connection."""
        if plan_id is None:
            plan = next(
                (
                    p
                    for p in self.connectivity_plans
                    if p["usedConnections"] < p["grantedConnections"]
                ),
                None,
            )
            if plan is None:
                raise lora_error(
                    400,
                    "Bad request: no connectivity plan has a free connection",
                    "OSS-215",
                )
            return plan
        for plan in self.connectivity_plans:
            if plan["id"] == plan_id:
                if plan["usedConnections"] >= plan["grantedConnections"]:
                    raise lora_error(
                        400,
                        f"Bad request: ConnectivityPlan {plan_id} is full",
                        "OSS-215",
                    )
                return plan
        raise lora_error(
            400,
            f"Bad request: No ConnectivityPlan for ID: {plan_id} and Operator: 24",
            "OSS-214",
        )

    # LoRa API handlers

    async def _activate(self, request: web.Request, client_id: str) -> web.Response:
        body = await _json_object(request)
        username = body.get("thingpark_username")
        password = body.get("thingpark_password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise lora_error(
                400, "Bad request: thingpark_username and thingpark_password", "OSS-400"
            )
        if self.thingpark_users.get(username) != password:
            raise lora_error(403, "Forbidden: invalid ThingPark credentials", "OSS-401")
        self.activated.add(client_id)
        return web.Response(status=200)

    async def _connectivity_plans(self, _: web.Request) -> web.Response:
        return json_response(self.connectivity_plans)

    async def _list_routing_profiles(self, _: web.Request) -> web.Response:
        return json_response(self.routing_profiles)

    async def _create_routing_profile(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        routes = body.get("routes")
        if not isinstance(body.get("name"), str) or not isinstance(routes, list):
            raise lora_error(
                400, "Bad request: name and routes are required", "OSS-400"
            )
        if body.get("hsmGroupId") not in HSM_GROUPS:
            raise lora_error(
                400,
                f"Bad request: unknown hsmGroupId {body.get('hsmGroupId')}",
                "OSS-400",
            )
        keys: dict[str, str] = {}
        for route in routes:
            route_map = route if isinstance(route, dict) else {}
            _check_addresses(route_map.get("addresses"))
            as_id, as_key = route_map.get("asId"), route_map.get("asKey")
            if not isinstance(as_id, str) or not as_id:
                raise lora_error(
                    400, "Bad request: every route needs an asId", "OSS-400"
                )
            if not isinstance(as_key, str) or not _AS_KEY.fullmatch(as_key):
                raise lora_error(400, "Bad request: asKey is 16 bytes hex", "OSS-400")
            if as_id in self.as_keys or as_id in keys:
                raise lora_error(409, f"Conflict: asId {as_id} exists", "OSS-409")
            keys[as_id] = as_key
        ref = self._new_ref()
        profile = {
            "id": f"TWA_{DEFAULT_CUSTOMER_ID}.{ref}",
            "ref": ref,
            "name": body["name"],
            "default": bool(body.get("default", False)),
            "routes": [
                {key: value for key, value in route.items() if key != "asKey"}
                for route in routes
            ],
        }
        self.routing_profiles.append(profile)
        self.as_keys |= keys
        answer = dict(profile)
        if isinstance(public_key := body.get("rsaPublicKey"), str):
            # Stands in for the ASK encrypted with the key: 256 bytes of hex.
            seed = _sha256(public_key + "".join(keys.values()))
            answer["rsaEncryptedASKey"] = "".join(
                _sha256(f"{seed}{block}") for block in range(8)
            )
            # Uplinks routed by this profile are then encrypted for the AS.
            self.application_server_keys[profile["id"]] = seed[:32]
        return json_response(answer, status=201)

    async def _list_devices(self, request: web.Request) -> web.Response:
        page = _int_param(request.query.get("pageIndex", "1"), "pageIndex", 1) or 1
        flags = self._device_flags(request)
        devices = list(self.devices.values())[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return json_response([device.to_json(**flags) for device in devices])

    def _device_flags(self, request: web.Request) -> dict[str, bool]:
        return {
            "statistics": request.query.get("statistics") == "true",
            "extended": request.query.get("extendedInfo") == "true",
        }

    async def _get_device(self, request: web.Request) -> web.Response:
        return json_response(
            self._device(request).to_json(**self._device_flags(request))
        )

    async def _create_device(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        for key in _REQUIRED_DEVICE_FIELDS:
            if not isinstance(body.get(key), str) or not body[key]:
                raise lora_error(400, f"Bad request: {key} is required", "OSS-400")
        if not _EUI.fullmatch(body["EUI"]):
            raise lora_error(400, "Bad request: EUI is 8 bytes hex", "OSS-400")
        if body["activationType"] != "OTAA":
            raise lora_error(400, "Bad request: only OTAA is supported", "OSS-400")
        app_key = body.get("applicationKey")
        if app_key is not None and not (
            isinstance(app_key, str) and _AS_KEY.fullmatch(app_key)
        ):
            raise lora_error(
                400, "Bad request: applicationKey is 16 bytes hex", "OSS-400"
            )
        if self.device_by_eui(body["EUI"]) is not None:
            raise lora_error(409, f"Conflict: device {body['EUI']} exists", "OSS-409")
        plan = self._plan(body.get("connectivityPlanId"))
        record = {k: body[k] for k in _PROVISIONING_FIELDS if body.get(k) is not None}
        record["connectivityPlanId"] = plan["id"]
        if "routingProfileId" not in record:
            record.setdefault("processingStrategyId", "DATAFLOW")
        plan["usedConnections"] += 1
        device = Device(ref=self._new_ref(), record=record, created=self.now)
        self.devices[device.ref] = device
        return json_response(device.to_json(), status=201)

    async def _delete_device(self, request: web.Request) -> web.Response:
        device = self._device(request)
        del self.devices[device.ref]
        for plan in self.connectivity_plans:
            if plan["id"] == device.record.get("connectivityPlanId"):
                plan["usedConnections"] = max(plan["usedConnections"] - 1, 0)
        for alarm in self._alarms_of(device):
            del self.alarms[alarm["ref"]]
        return web.Response(status=200)

    async def _list_alarms(self, request: web.Request) -> web.Response:
        alarms = list(self.alarms.values())
        if (eui := request.query.get("deviceEUI")) is not None:
            device = self.device_by_eui(eui)
            alarms = list(self._alarms_of(device)) if device else []
        return json_response(alarms)

    async def _ack_alarm(self, request: web.Request) -> web.Response:
        alarm = self.alarms.get(request.match_info["ref"])
        if alarm is None:
            raise lora_error(404, "Not found: no such alarm", "OSS-404")
        alarm["acked"] = True
        alarm["lastUpdateTime"] = iso(self.now)
        return web.Response(status=201)

    async def _frame_statistics(self, request: web.Request) -> web.Response:
        euis = [e for e in request.query.get("deviceEUIList", "").split(",") if e]
        if not euis:
            raise lora_error(400, "Bad request: deviceEUIList is required", "OSS-400")
        step = _int_param(
            request.query.get("aggregationStep"),
            "aggregationStep",
            1,
            MAX_AGGREGATION_HOURS,
        )
        duration = _int_param(request.query.get("duration"), "duration", 1)
        start_text = request.query.get("startDate")
        start = _parse_time(start_text) if start_text is not None else None
        if start_text is not None and start is None:
            raise lora_error(400, "Bad request: startDate is not ISO 8601", "OSS-400")
        rows: list[dict[str, Any]] = []
        for eui in euis:
            device = self.device_by_eui(eui)
            if device is None:
                continue
            selected = _frames_between(
                device.frames, start, duration or DEFAULT_FRAME_DURATION_DAYS
            )
            rows += [row | {"deviceEUI": device.eui} for row in selected]
        return json_response(_aggregate(rows, step) if step else rows)

    async def _health_statistics(self, _: web.Request) -> web.Response:
        states = [device.health for device in self.devices.values()]
        return json_response(
            {
                "initCount": states.count(INIT),
                "activeCount": states.count(ACTIVE),
                "rfConnectionErrorCount": states.count(RF_CNX_ERROR),
                "totalCount": len(states),
            }
        )

    # LRC

    async def _lrc_downlink(self, request: web.Request) -> web.Response:
        """Verify and queue a downlink exactly as the LRC does."""
        raw = request.rel_url.raw_query_string
        signed, separator, token = raw.partition("&Token=")
        if not separator:
            raise lrc_refusal(400, "Missing Token")
        params = _unescaped_params(signed)
        if missing := [p for p in _REQUIRED_DOWNLINK_PARAMS if p not in params]:
            raise lrc_refusal(400, f"Missing parameter: {', '.join(missing)}")
        as_key = self.as_keys.get(params["AS_ID"])
        if as_key is None:
            raise lrc_refusal(403, "Security error: unknown AS_ID")
        expected = _sha256(unquote(signed) + as_key)
        if not hmac.compare_digest(expected, unquote(token)):
            raise lrc_refusal(403, "Security error: invalid Token")
        sent_at = _parse_time(params["Time"])
        if sent_at is None:
            raise lrc_refusal(400, "Invalid Time")
        deviation = abs((datetime.now(UTC) - sent_at).total_seconds())
        if deviation > self.max_time_deviation:
            raise lrc_refusal(403, "Security error: Time deviation too large")
        downlink = _checked_downlink(params)
        device = self.device_by_eui(downlink.dev_eui)
        if device is None:
            raise lrc_refusal(404, "Unknown DevEUI")
        self.downlinks.append(downlink)
        device.fcnt_down = (
            downlink.fcnt_down
            if downlink.fcnt_down is not None
            else device.fcnt_down + 1
        )
        device.downlinks_24h += 1
        device.last_downlink = self.now
        device.record_frames("DOWNLINK", self.now, 1, len(downlink.payload_hex) // 2)
        return web.Response(text=LRC_QUEUED_PAGE, content_type="text/html")

    async def _control_push_uplink(self, request: web.Request) -> web.Response:
        """Push an uplink of a device, signed with its route's AS key.

        Body: ``dev_eui``; optional ``url`` (else every address of the routes
        of the device's routing profile, as ThingPark pushes), ``payload_hex``
        (else a demo sensor's next frame), ``fport`` (1), ``as_id`` (the
        document's, when ``url`` is given), ``numeric``, ``rssi``, ``snr``, ``sf``.
        """
        data = await request.json()
        device = self.device_by_eui(str(data.get("dev_eui", "")))
        if device is None:
            return json_error(404, "Unknown device")
        sensor = self.sensors.get(device.eui.upper())
        if "payload_hex" not in data and sensor is None:
            return json_error(400, "payload_hex is required for this device")
        if isinstance(data.get("url"), str):
            as_id = str(data.get("as_id") or self.default_as_id)
            if as_id not in self.as_keys:
                return json_error(400, "Unknown AS_ID")
            targets = [(str(data["url"]), as_id)]
        else:
            targets = self._profile_targets(device)
            if not targets:
                return json_error(409, "The device's routing profile has no address")
        fport, payload_hex, extra = int(data.get("fport", 1)), "", None
        if "payload_hex" in data:
            payload_hex = str(data["payload_hex"])
        elif sensor is not None:
            uplink = sensor.next_uplink()
            fport, payload_hex, extra = uplink.port, uplink.payload_hex, uplink.decoded
        rssi = float(data.get("rssi", device.last_rssi or -100.0))
        snr = float(data.get("snr", device.last_snr or 0.0))
        self._receive_uplinks(device, 1, rssi=rssi, snr=snr)
        sent_hex, encryption = self._encryption_fields(device, payload_hex)
        statuses = []
        try:
            async with aiohttp.ClientSession() as session:
                for url, as_id in targets:
                    statuses.append(
                        await push_uplink(
                            session,
                            url,
                            as_id=as_id,
                            as_key=self.as_keys[as_id],
                            dev_eui=device.eui.upper(),
                            fport=fport,
                            payload_hex=sent_hex,
                            fcnt_up=device.fcnt_up,
                            fcnt_down=device.fcnt_down,
                            dev_addr=device.dev_addr,
                            rssi=rssi,
                            snr=snr,
                            sf=int(data.get("sf", device.last_sf or 7)),
                            numeric=bool(data.get("numeric", False)),
                            extra=(extra or {}) | encryption,
                        )
                    )
        except aiohttp.ClientError as err:
            return json_error(502, f"Push failed: {type(err).__name__}")
        return json_response(
            {
                "status": statuses[0],
                "statuses": statuses,
                "fcnt_up": device.fcnt_up,
                "fport": fport,
                "payload_hex": payload_hex,
            }
        )

    def _encryption_fields(
        self, device: Device, payload_hex: str
    ) -> tuple[str, dict[str, Any]]:
        """The payload as ThingPark sends it for the device's routing profile.

        A profile with an Application Server Key (created with an RSA key) gets
        the payload still encrypted with the device's AppSKey, and the AppSKey
        wrapped with the ASK (inferred from Actility's reference code: see
        ``docs/providers.md``). Any other profile gets it decrypted.
        """
        ask = self.application_server_keys.get(
            str(device.record.get("routingProfileId"))
        )
        if ask is None:
            return payload_hex, {}
        app_s_key = bytes.fromhex(_sha256(f"AppSKey{device.eui.upper()}")[:32])
        encrypted = lorawan_encrypt(
            bytes.fromhex(payload_hex), app_s_key, device.dev_addr, device.fcnt_up
        )
        return encrypted.hex(), {
            "AppSKey": wrap_session_key(app_s_key, bytes.fromhex(ask))
        }

    def _profile_targets(self, device: Device) -> list[tuple[str, str]]:
        """Each address of each route of the device's routing profile, with its AS ID."""
        profile_id = device.record.get("routingProfileId")
        profile = next(
            (p for p in self.routing_profiles if p["id"] == profile_id), None
        )
        if profile is None:
            return []
        return [
            (address, route["asId"])
            for route in profile["routes"]
            if route.get("asId") in self.as_keys
            for address in route.get("addresses", [])
        ]

    async def _control_sensors(self, _: web.Request) -> web.Response:
        """Provision the demo sensors (once) on the first routing profile.

        They send realistic payloads (:mod:`.lora_payloads`) when pushed
        without a ``payload_hex``.
        """
        self.add_demo_sensors()
        return json_response(
            [
                {"dev_eui": sensor.eui, "name": sensor.name, "kind": sensor.kind}
                for sensor in self.sensors.values()
            ]
        )

    def add_demo_sensors(self) -> None:
        """Provision the demo sensors, unless they are there already."""
        plan = self.connectivity_plans[-1]
        for eui, name, kind in DEMO_SENSORS:
            if eui in self.sensors:
                continue
            device = Device(
                ref=self._new_ref(),
                record={
                    "name": name,
                    "EUI": eui,
                    "activationType": "OTAA",
                    "deviceProfileId": "CUSTOM/Static V 1.0 Class A",
                    "connectivityPlanId": plan["id"],
                    "routingProfileId": self.routing_profiles[0]["id"],
                    "applicationEUI": "70B3D5E75E000000",
                    "hsmGroupId": "HSM_KPN-OPE.1",
                },
                created=self.now - timedelta(days=7),
                health=ACTIVE,
                uplink_interval=60.0,
                battery_level=240,
            )
            self._set_radio(device, -95.0, 6.5, 8)
            plan["usedConnections"] += 1
            self.devices[device.ref] = device
            self.sensors[eui] = DemoSensor(
                eui=eui, name=name, kind=kind, rng=random.Random(eui)
            )

    async def _control_attach(self, request: web.Request) -> web.Response:
        """Attach a device to a routing profile, as one does in the ThingPark GUI.

        Body: ``dev_eui``, ``routing_profile_id``.
        """
        data = await request.json()
        device = self.device_by_eui(str(data.get("dev_eui", "")))
        profile_id = data.get("routing_profile_id")
        if device is None:
            return json_error(404, "Unknown device")
        if not any(p["id"] == profile_id for p in self.routing_profiles):
            return json_error(404, "Unknown routing profile")
        device.record["routingProfileId"] = profile_id
        device.record.pop("processingStrategyId", None)
        return json_response(device.to_json())


def _frames_between(
    frames: list[dict[str, Any]], start: datetime | None, days: int
) -> list[dict[str, Any]]:
    """Select the rows from ``start`` for ``days``, or each type's latest row."""
    if start is None:
        latest = {row["type"]: row for row in sorted(frames, key=_row_time)}
        return list(latest.values())
    end = start + timedelta(days=days)
    return [row for row in frames if start <= _row_time(row) < end]


def _row_time(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["date"])


def _checked_downlink(params: dict[str, str]) -> AcceptedDownlink:
    """Read a signed downlink's parameters, refusing what the LRC refuses."""
    if not _EUI.fullmatch(params["DevEUI"]):
        raise lrc_refusal(400, "Invalid DevEUI")
    try:
        port = int(params["FPort"])
    except ValueError:
        port = 0
    if not MIN_PORT <= port <= MAX_PORT:
        raise lrc_refusal(400, f"Invalid FPort: {MIN_PORT}..{MAX_PORT}")
    payload = params["Payload"]
    if not _HEX.fullmatch(payload) or len(payload) % 2:
        raise lrc_refusal(400, "Invalid Payload: hexadecimal bytes expected")
    if len(payload) // 2 > MAX_PAYLOAD_BYTES:
        raise lrc_refusal(400, "Invalid Payload: too long")
    flags = {}
    for name in ("Confirmed", "FlushDownlinkQueue"):
        value = params.get(name, "0")
        if value not in ("0", "1"):
            raise lrc_refusal(400, f"Invalid {name}: 0 or 1")
        flags[name] = value == "1"
    fcnt_down = params.get("FCntDn")
    if fcnt_down is not None and not fcnt_down.isdigit():
        raise lrc_refusal(400, "Invalid FCntDn")
    return AcceptedDownlink(
        dev_eui=params["DevEUI"],
        port=port,
        payload_hex=payload,
        as_id=params["AS_ID"],
        time=params["Time"],
        fcnt_down=int(fcnt_down) if fcnt_down is not None else None,
        confirmed=flags["Confirmed"],
        flush_queue=flags["FlushDownlinkQueue"],
    )
