"""KPN LoRa device management (ThingPark, ``/data/lora/thingpark``) and LRC downlinks.

The API sits behind the KPN gateway (OAuth2 client credentials). Each gateway
project must be *activated* once with the ThingPark GUI credentials before any
LoRa call works. A client told that its project is ``activated`` does not
activate again; one that is not activates before its first LoRa call. Either
activates again, once, when the API refuses a call with 403 (the project lost
its activation) and then repeats the call.

Downlinks do not go through the gateway: they are posted to the ThingPark LRC
(``api.kpn-lora.com``) and signed with the routing profile's AS ID and AS key.

Routing profiles (``POST /routingProfiles``) point ThingPark at an
application server: the route's ``asId`` / ``asKey`` sign the uplinks it
pushes and the downlinks sent to the LRC. A profile created with an
``rsaPublicKey`` answers once with ``rsaEncryptedASKey``, the Application
Server Key (ASK) that the application server then needs to decrypt payloads;
:meth:`KpnLoraClient.create_routing_profile` sends no RSA key unless asked.

Shapes inferred rather than documented (one parser each): device statistics
are read flat on the device or from a nested ``statistics`` object; device
pages are numbered from 1; the HSM group of a routing profile defaults to the
document's ``HSM_KPN-OPE.1`` (the document names no endpoint that lists them).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from http import HTTPStatus
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._http import DEFAULT_TIMEOUT, HttpClient, Response
from ._pages import ParsedPages, walk_pages
from ._parse import (
    as_list,
    as_mapping,
    list_of,
    opt_bool,
    opt_datetime,
    opt_float,
    opt_int,
    opt_mapping,
    opt_str,
    require_str,
)
from .errors import (
    ActivationError,
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
)
from .kpn_gateway import KPN_GATEWAY_URL, KpnGatewayAuth
from .lrc import (
    DownlinkValidationError,
    downlink_query,
    normalize_eui,
    validate_downlink,
)
from .models import (
    AccountInfo,
    AlarmSeverity,
    ApiQuota,
    ConnectivityPlan,
    LoraAlarm,
    LoraDevice,
    LoraHealth,
    LoraHealthState,
    RoutingProfile,
    RoutingRoute,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import aiohttp

_LOGGER = logging.getLogger(__name__)

LRC_URL = "https://api.kpn-lora.com"
BASE_PATH = "/data/lora/thingpark"
LRC_DOWNLINK_PATH = "/thingpark/lrc/rest/downlink"
LRC_QUEUED = "Request queued by LRC"
"""What the LRC answers to an accepted downlink, inside an HTML page."""
PAGE_SIZE = 100
"""Devices per ``GET /devices`` page (fixed by the API)."""
DEFAULT_HSM_GROUP = "HSM_KPN-OPE.1"
"""The document's HSM group ("currently there is only 1 option")."""
_DEVICES = list_of("KPN LoRa devices")
_ALARMS = list_of("KPN LoRa alarms")

ALARM_TYPE_NAMES: Mapping[int, str] = {
    1: "Battery level",
    2: "Downlink regulator exceeded",
    3: "Uplink regulator exceeded",
    4: "No uplink activity",
    5: "Higher data rate than expected",
    6: "Lower data rate than expected",
    7: "Join replay (DevNonce)",
    8: "Wrong MIC in join",
    9: "Join replay (MIC correlation)",
    10: "Uplink replay (wrong FCnt)",
    11: "Uplink replay (repeated FCnt)",
    12: "MAC command rejected",
    13: "MAC command unanswered",
    14: "Invalid AppEUI in join",
    15: "Join replay (invalid DevNonce)",
    16: "Wrong MIC in uplink",
}
"""ThingPark device alarm types by ``deviceAlarmTypeId``."""

_HEALTH_STATES: Mapping[str, LoraHealthState] = {
    "INIT": LoraHealthState.INIT,
    "ACTIVE": LoraHealthState.ACTIVE,
    "RF_CNX_ERROR": LoraHealthState.RF_CONNECTION_ERROR,
}
_ADDITIONAL_INFO = re.compile(r"additionalInfo(\d+)")
_SPREADING_FACTOR = re.compile(r"(?:SF)?(\d+)", re.IGNORECASE)
_AS_KEY = re.compile(r"[0-9A-Fa-f]{32}")


def _spreading_factor(value: Any) -> int | None:
    """Read ``12`` from ``12``, ``"12"`` or ``"SF12"``."""
    text = opt_str(value)
    match = _SPREADING_FACTOR.fullmatch(text) if text else None
    return int(match.group(1)) if match else None


def parse_device(data: Any) -> LoraDevice:
    """Parse a device with its statistics (flat or under ``statistics``)."""
    device = as_mapping(data, "KPN LoRa device")
    stats = {**device, **opt_mapping(device.get("statistics"))}
    return LoraDevice(
        eui=require_str(device, "EUI", "KPN LoRa device").upper(),
        ref=opt_str(device.get("ref")),
        name=opt_str(device.get("name")),
        profile=opt_str(device.get("deviceProfileId")),
        connectivity_plan=opt_str(device.get("connectivityPlanId")),
        routing_profile=opt_str(device.get("routingProfileId")),
        health_state=_HEALTH_STATES.get(
            opt_str(stats.get("healthState")) or "", LoraHealthState.UNKNOWN
        ),
        last_rssi=opt_float(stats.get("lastRSSI")),
        last_snr=opt_float(stats.get("lastSNR")),
        last_sf=_spreading_factor(stats.get("lastSF")),
        average_rssi=opt_float(stats.get("averageRSSI")),
        average_snr=opt_float(stats.get("averageSNR")),
        last_uplink=opt_datetime(stats.get("lastUplinkTime")),
        last_downlink=opt_datetime(stats.get("lastDownlinkTime")),
        battery_level=opt_int(stats.get("lastBatteryLevel")),
        uplinks_24h=opt_int(stats.get("last24hUplinkCount")),
        downlinks_24h=opt_int(stats.get("last24hDownlinkCount")),
        mean_per=opt_float(stats.get("lastMeanPER")),
    )


def alarm_type_name(type_id: int | None) -> str:
    """Name a ThingPark alarm type in readable English."""
    if type_id is None:
        return "Unknown alarm"
    return ALARM_TYPE_NAMES.get(type_id, f"Alarm type {type_id}")


def _severity(raw: str | None) -> AlarmSeverity:
    try:
        return AlarmSeverity[(raw or "").upper()]
    except KeyError:
        return AlarmSeverity.UNKNOWN


def _additional_info(alarm: Mapping[str, Any]) -> tuple[str, ...]:
    """Collect ``additionalInfo1``, ``additionalInfo2``, … in numeric order."""
    numbered = sorted(
        (int(match.group(1)), text)
        for key, value in alarm.items()
        if (match := _ADDITIONAL_INFO.fullmatch(key)) and (text := opt_str(value))
    )
    return tuple(text for _, text in numbered)


def parse_alarm(data: Any) -> LoraAlarm:
    """Parse one device alarm."""
    alarm = as_mapping(data, "KPN LoRa alarm")
    type_id = opt_int(alarm.get("deviceAlarmTypeId"))
    raw_severity = opt_str(alarm.get("alarmState"))
    return LoraAlarm(
        ref=require_str(alarm, "ref", "KPN LoRa alarm"),
        device_ref=opt_str(alarm.get("deviceRef")),
        type_id=type_id,
        type_name=alarm_type_name(type_id),
        severity=_severity(raw_severity),
        raw_severity=raw_severity,
        acked=opt_bool(alarm.get("acked")) or False,
        occurrences=opt_int(alarm.get("occurrence")),
        created_at=opt_datetime(alarm.get("creationTime")),
        updated_at=opt_datetime(alarm.get("lastUpdateTime")),
        info=_additional_info(alarm),
    )


def parse_health(data: Any) -> LoraHealth:
    """Parse the account-wide device health counts."""
    health = as_mapping(data, "KPN LoRa health statistics")
    return LoraHealth(
        init=opt_int(health.get("initCount")),
        active=opt_int(health.get("activeCount")),
        rf_error=opt_int(health.get("rfConnectionErrorCount")),
        total=opt_int(health.get("totalCount")),
    )


def parse_connectivity_plan(data: Any) -> ConnectivityPlan:
    """Parse one connectivity plan."""
    plan = as_mapping(data, "KPN LoRa connectivity plan")
    return ConnectivityPlan(
        id=require_str(plan, "id", "KPN LoRa connectivity plan"),
        ref=opt_str(plan.get("ref")),
        name=opt_str(plan.get("name")),
        granted_connections=opt_int(plan.get("grantedConnections")),
        used_connections=opt_int(plan.get("usedConnections")),
        communication_type=opt_str(plan.get("communicationType")),
    )


def _parse_route(data: Any) -> RoutingRoute:
    route = as_mapping(data, "KPN LoRa route")
    return RoutingRoute(
        as_id=opt_str(route.get("asId")),
        addresses=tuple(
            text
            for item in as_list(route.get("addresses") or [], "addresses")
            if (text := opt_str(item))
        ),
        content_type=opt_str(route.get("contentType")),
        strategy=opt_str(route.get("strategy")),
        source_ports=opt_str(route.get("sourcePorts")),
    )


def parse_routing_profile(data: Any) -> RoutingProfile:
    """Parse a routing profile (the creation's answer echoes the request)."""
    profile = as_mapping(data, "KPN LoRa routing profile")
    return RoutingProfile(
        id=require_str(profile, "id", "KPN LoRa routing profile"),
        ref=opt_str(profile.get("ref")),
        name=opt_str(profile.get("name")),
        default=opt_bool(profile.get("default")) or False,
        routes=tuple(
            _parse_route(route)
            for route in as_list(profile.get("routes") or [], "routes")
        ),
        encrypted_as_key=opt_str(profile.get("rsaEncryptedASKey")),
    )


def _parse_list[T](data: Any, what: str, parse: Callable[[Any], T]) -> list[T]:
    """Parse every element of a JSON array with its resource parser."""
    return [parse(item) for item in as_list(data, what)]


class KpnLoraClient:
    """A KPN LoRa (ThingPark) account behind one KPN gateway project.

    ``as_id`` / ``as_key`` (a routing profile route's credentials) are only
    needed for downlinks.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        thingpark_username: str,
        thingpark_password: str,
        *,
        url: str = KPN_GATEWAY_URL,
        lrc_url: str = LRC_URL,
        as_id: str | None = None,
        as_key: str | None = None,
        activated: bool = False,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Use ``session``; ``url`` is the gateway origin, ``lrc_url`` the LRC's.

        ``activated`` says that the project was activated before (with these
        ThingPark credentials), so that it is not activated again.
        """
        self._http = HttpClient(session, url, timeout=timeout or DEFAULT_TIMEOUT)
        self._auth = KpnGatewayAuth(self._http, client_id, client_secret)
        self._username = thingpark_username
        self._password = thingpark_password
        self._lrc_url = lrc_url.rstrip("/")
        self._as_id = as_id
        self._as_key = as_key
        self._activated = activated
        self._activations = 0
        self._activation_lock = asyncio.Lock()
        self._device_pages = ParsedPages(parse_device)
        self._alarm_pages = ParsedPages(parse_alarm)

    def __repr__(self) -> str:
        """Show where it talks to, never credentials."""
        return f"<KpnLoraClient {self._http.base_url} lrc={self._lrc_url}>"

    @property
    def activated(self) -> bool:
        """Whether the project is activated, as far as this client knows."""
        return self._activated

    @property
    def api_quota(self) -> ApiQuota | None:
        """The gateway's request quota as last reported."""
        return self._http.api_quota

    async def activate(self) -> None:
        """Link this gateway project to the ThingPark account (idempotent).

        Raises ActivationError when ThingPark refuses the credentials, and
        AuthenticationError when the gateway refuses the client id or secret.
        """
        # A refused client id / secret must stay an AuthenticationError, so the
        # token is fetched before the activation request itself.
        await self._auth.token()
        try:
            await self._http.request(
                "POST",
                f"{BASE_PATH}/activate",
                auth=self._auth,
                endpoint="activate",
                json_body={
                    "thingpark_username": self._username,
                    "thingpark_password": self._password,
                },
            )
        except AuthenticationError as err:
            raise ActivationError("ThingPark refused the activation") from err
        self._activated = True
        self._activations += 1

    async def _ensure_activated(self) -> None:
        if self._activated:
            return
        async with self._activation_lock:
            if not self._activated:
                await self.activate()

    async def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
    ) -> Response:
        """Send a LoRa API request, activating first if the project is not yet.

        A 403 means the project is not (or no longer) activated: activate
        again, once for all the calls that met it, and send the call again.
        """
        await self._ensure_activated()
        activations = self._activations
        try:
            return await self._send(method, path, endpoint, params, json_body)
        except AuthenticationError as err:
            if err.status != HTTPStatus.FORBIDDEN:
                raise
        async with self._activation_lock:
            if self._activations == activations:
                _LOGGER.debug("The LoRa API refused %s: activating again", endpoint)
                await self.activate()
        return await self._send(method, path, endpoint, params, json_body)

    async def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        params: Mapping[str, str | int] | None,
        json_body: Any = None,
    ) -> Response:
        return await self._http.request(
            method,
            f"{BASE_PATH}{path}",
            auth=self._auth,
            endpoint=endpoint,
            params=params,
            json_body=json_body,
        )

    async def _get(
        self, path: str, endpoint: str, params: Mapping[str, str | int] | None = None
    ) -> Any:
        return (await self._call("GET", path, endpoint, params)).json()

    async def get_account(self) -> AccountInfo:
        """Identify the account: one ThingPark user, its devices.

        Proves the credentials: the client id and secret by a token, the
        ThingPark credentials by activating, unless the project is activated.
        """
        if self._activated:
            await self._auth.token()
        else:
            await self._ensure_activated()
        return AccountInfo(account_id=self._username.lower(), name=self._username)

    async def list_devices(self) -> list[LoraDevice]:
        """Every device with its statistics, page by page until a short page."""

        async def read(page_index: int) -> tuple[Sequence[LoraDevice], bool]:
            response = await self._call(
                "GET",
                "/devices",
                "list_devices",
                {"pageIndex": page_index, "statistics": "true"},
            )
            _, page = self._device_pages.parse(page_index, response, _DEVICES)
            return page, len(page) >= PAGE_SIZE

        devices = await walk_pages(read, lambda device: device.eui)
        return list(devices.values())

    async def get_health(self) -> LoraHealth:
        """How many devices are in each health state."""
        return parse_health(
            await self._get("/deviceHealthStatistics", "health_statistics")
        )

    async def list_alarms(self, eui: str | None = None) -> list[LoraAlarm]:
        """Every device alarm, or one device's."""
        params = {"deviceEUI": eui.strip().upper()} if eui else None
        response = await self._call("GET", "/deviceAlarms", "list_alarms", params)
        if eui:
            return _parse_list(response.json(), "KPN LoRa alarms", parse_alarm)
        _, alarms = self._alarm_pages.parse(None, response, _ALARMS)
        return list(alarms)

    async def acknowledge_alarm(self, ref: str) -> None:
        """Acknowledge one alarm."""
        await self._call(
            "POST", f"/deviceAlarms/{quote(ref, safe='')}/acks", "ack_alarm"
        )

    async def list_connectivity_plans(self) -> list[ConnectivityPlan]:
        """List the subscription's connectivity plans and their used connections."""
        data = await self._get("/connectivityPlans", "connectivity_plans")
        return _parse_list(data, "KPN LoRa connectivity plans", parse_connectivity_plan)

    async def create_routing_profile(
        self,
        *,
        name: str,
        as_id: str,
        as_key: str,
        addresses: Sequence[str],
        hsm_group_id: str = DEFAULT_HSM_GROUP,
        default: bool = False,
        rsa_public_key: str | None = None,
    ) -> RoutingProfile:
        """Create a routing profile with one JSON route to ``addresses``.

        ``as_id`` / ``as_key`` sign the uplinks pushed there and the downlinks
        sent to the LRC. Without ``rsa_public_key`` no Application Server Key
        is made. Raises InvalidRequestError before sending when the AS ID is
        empty, the AS key is not 16 bytes of hex or no address is given, and
        when the API refuses the profile (400; 409 for an AS ID in use).
        """
        if not as_id.strip():
            raise InvalidRequestError("A routing profile's route needs an AS ID")
        if not _AS_KEY.fullmatch(as_key):
            raise InvalidRequestError("An AS key is 16 bytes of hexadecimal")
        if not addresses:
            raise InvalidRequestError("A routing profile's route needs an address")
        body: dict[str, Any] = {
            "name": name,
            "default": default,
            "hsmGroupId": hsm_group_id,
            "routes": [
                {
                    "sourcePorts": "*",
                    "strategy": "SEQUENTIAL",
                    "contentType": "JSON",
                    "asId": as_id,
                    "asKey": as_key,
                    "addresses": list(addresses),
                }
            ],
        }
        if rsa_public_key is not None:
            body["rsaPublicKey"] = rsa_public_key
        response = await self._call(
            "POST", "/routingProfiles", "create_routing_profile", json_body=body
        )
        return parse_routing_profile(response.json())

    async def send_downlink(
        self,
        eui: str,
        payload_hex: str,
        *,
        port: int,
        confirmed: bool = False,
        flush_queue: bool = False,
        fcnt_down: int | None = None,
    ) -> None:
        """Queue a downlink at the LRC, signed with the AS ID and AS key.

        Raises DownlinkValidationError before sending when the downlink is
        invalid or no AS ID / key is configured, InvalidRequestError when the
        LRC refuses it, InvalidResponseError unless its answer (a 2xx, the text
        inside HTML) says that it queued it.
        """
        if not self._as_id or not self._as_key:
            raise DownlinkValidationError(
                "not_configured", "Downlinks need the routing profile's AS ID and key"
            )
        dev_eui = normalize_eui(eui)
        validate_downlink(payload_hex, port, fcnt_down)
        query = downlink_query(
            dev_eui=dev_eui,
            port=port,
            payload_hex=payload_hex,
            as_id=self._as_id,
            as_key=self._as_key,
            time=datetime.now(UTC),
            fcnt_down=fcnt_down,
            confirmed=confirmed,
            flush_queue=flush_queue,
        )
        try:
            response = await self._http.request(
                "POST",
                LRC_DOWNLINK_PATH,
                endpoint="lrc_downlink",
                url=f"{self._lrc_url}{LRC_DOWNLINK_PATH}?{query}",
            )
        except AuthenticationError as err:
            # The LRC's refusal concerns the AS key or clock, not the gateway
            # credentials: no reauthentication can cure it.
            raise InvalidRequestError(
                "The LRC refused the downlink's token or time: "
                "check the AS ID, AS key and clock"
            ) from err
        # The LRC wraps its answer in HTML: look for the text, not for equality.
        if LRC_QUEUED not in response.text:
            raise InvalidResponseError("The LRC did not queue the downlink")
