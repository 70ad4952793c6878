"""Pushes from the providers, received at one webhook per config entry.

T-Mobile POSTs the SMS its SIMs send (SMS MO) and PATCHes delivery reports of
the SMS sent to them; ThingPark POSTs the uplinks of KPN LoRa devices, signed
with the route's AS key. Each push becomes a Home Assistant event and, for the
event entities, a dispatcher signal.

What the senders need from the answer: T-Mobile retries any non-2xx answer for
24 hours, so a push is answered 2xx only once its event fired, and a repeated
id fires nothing. Pushes that can never succeed (malformed, unauthenticated,
too large) get a 4xx; pushes for SIMs or devices this entry does not know get a
2xx, so they are not retried, and a warning once.

Home Assistant's webhook component serves GET, HEAD, POST and PUT only, so the
delivery reports' PATCH reaches the same URL through a view of this
integration (:class:`PatchView`). Cloudhooks do not relay PATCH.
"""

from __future__ import annotations

import abc
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from contextlib import suppress
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, override
from urllib.parse import unquote

from aiohttp import hdrs, web
from homeassistant.components import cloud, webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import json_loads

from .api.errors import InvalidResponseError
from .api.lrc import parse_uplink, verify_uplink_token
from .api.models import Provider, SmsReceived
from .api.tmobile import parse_delivery_report, parse_sms_mo
from .const import (
    CONF_AS_KEY,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_LORA_UPLINK,
    EVENT_SMS_DELIVERY,
    EVENT_SMS_RECEIVED,
    LOGGER,
    push_signal,
)
from .coordinator import iso_or_none

if TYPE_CHECKING:
    from collections.abc import Callable

    from .coordinator import IoTConnectivityConfigEntry, IoTConnectivityCoordinator

MAX_BODY_BYTES: Final = 64 * 1024
"""Far above any SMS or uplink push; larger bodies are refused unread."""
MAX_UPLINK_AGE: Final = timedelta(minutes=10)
"""How far an uplink's signed ``Time`` may be from now: older ones are replays."""
REMEMBERED_KEYS: Final = 1024
"""Push ids (and unknown senders) remembered, to fire (and warn) once each."""
PENDING_MESSAGES: Final = 64
MAX_PARTS: Final = 255
"""Concatenated SMS carry the part count in one byte of the user data header."""
"""Multi-part SMS waiting for their other parts; the oldest is dropped beyond."""

SMS_EVENT_KEY: Final = "sms"
UPLINK_EVENT_KEY: Final = "uplink"
EVENT_TYPE_RECEIVED: Final = "received"
EVENT_TYPE_DELIVERY_REPORT: Final = "delivery_report"
EVENT_TYPE_UPLINK: Final = "uplink"
DELIVERED: Final = "DELIVERED"

_PATCH_RECEIVERS: HassKey[dict[str, PushReceiver]] = HassKey(f"{DOMAIN}_patch")


class PushRefusedError(Exception):
    """A push answered with a client error; nothing was fired."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the status to answer and why, for the debug log."""
        super().__init__(reason)
        self.status = status


class RecentKeys:
    """The most recent keys seen, the oldest forgotten first."""

    def __init__(self, size: int = REMEMBERED_KEYS) -> None:
        """Remember up to ``size`` keys."""
        self._size = size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` was seen lately."""
        return key in self._keys

    def add(self, key: Hashable) -> None:
        """Remember ``key`` as the newest."""
        self._keys[key] = None
        self._keys.move_to_end(key)
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)


async def _read_json(request: web.Request) -> Any:
    """The JSON body of a push, refused when not JSON or too large."""
    mime_type = request.headers.get(hdrs.CONTENT_TYPE, "").partition(";")[0]
    if mime_type.strip().lower() != "application/json":
        raise PushRefusedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "not JSON")
    declared = request.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    # Taken once: a cloudhook's request makes a new reader at every access.
    stream = request.content
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = await stream.read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        raise PushRefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    try:
        return json_loads(body)
    except ValueError as err:
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "malformed JSON") from err


def _raw_query(request: web.Request | MockRequest) -> str:
    """The query string exactly as sent: the uplink Token signs it so."""
    if isinstance(request, MockRequest):
        # A cloudhook's request carries the query string as it came in.
        return request.query_string
    return request.rel_url.raw_query_string


def _query_value(query: str, name: str) -> str | None:
    """One parameter of a raw query string, unescaped (``+`` stays ``+``)."""
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return unquote(value)
    return None


class PushReceiver(abc.ABC):
    """Turns one entry's pushes into events; one subclass per pushing provider."""

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Receive for ``entry``."""
        self.hass = hass
        self.entry = entry
        self._seen = RecentKeys()
        self._warned = RecentKeys()

    @property
    @abc.abstractmethod
    def handlers(self) -> Mapping[str, Callable[[web.Request, Any], None]]:
        """The handler of each HTTP method, given the request and its JSON body."""

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer a push: 200 once handled, a 4xx when it cannot be handled."""
        if (handler := self.handlers.get(request.method)) is None:
            return web.Response(status=HTTPStatus.METHOD_NOT_ALLOWED)
        try:
            handler(request, await _read_json(request))
        except PushRefusedError as err:
            LOGGER.debug("Refused a push to %s: %s", self.entry.title, err)
            return web.Response(status=err.status)
        return web.Response(status=HTTPStatus.OK)

    def _device_id(
        self, coordinator: IoTConnectivityCoordinator[Any, Any] | None, item_id: str
    ) -> str | None:
        """The device of a known SIM or LoRa device; warn once about others.

        None means: answer 2xx and ignore, as the sender cannot do better.
        """
        if coordinator is not None and item_id in coordinator.items:
            return coordinator.registry_device_id(item_id)
        if item_id not in self._warned:
            self._warned.add(item_id)
            LOGGER.warning(
                "Ignoring pushes for %s, which %s does not list",
                item_id,
                self.entry.title,
            )
        return None

    @callback
    def _fire(
        self, event: str, item_id: str, key: str, event_type: str, data: dict[str, Any]
    ) -> None:
        """Fire ``event`` and pass it to the item's event entity ``key``."""
        self.hass.bus.async_fire(event, data)
        async_dispatcher_send(
            self.hass, push_signal(self.entry.entry_id, item_id, key), event_type, data
        )


class TMobileReceiver(PushReceiver):
    """SMS MO (POST) and delivery reports (PATCH) of T-Mobile's SMS gateway."""

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Start with no parts of multi-part messages waiting."""
        super().__init__(hass, entry)
        self._pending: OrderedDict[tuple[str, str], dict[int, SmsReceived]] = (
            OrderedDict()
        )

    @property
    @override
    def handlers(self) -> Mapping[str, Callable[[web.Request, Any], None]]:
        return {hdrs.METH_POST: self._sms_received, hdrs.METH_PATCH: self._delivery}

    def _sms_received(self, request: web.Request, body: Any) -> None:
        try:
            sms = parse_sms_mo(body)
        except InvalidResponseError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, str(err)) from err
        device_id = self._device_id(self.entry.runtime_data.sims, sms.iccid)
        if device_id is None or sms.id in self._seen:
            return
        parts = self._complete_message(sms)
        if parts is None:
            return
        data = {
            "device_id": device_id,
            "iccid": sms.iccid,
            "text": "".join(part.text for part in parts),
            "message_ids": [part.id for part in parts],
            "source_address": sms.source_address,
            "dest_address": sms.dest_address,
            "dcs": sms.dcs,
            "submitted_at": iso_or_none(parts[0].submitted_at),
            "received_at": dt_util.utcnow().isoformat(),
        }
        self._fire(
            EVENT_SMS_RECEIVED, sms.iccid, SMS_EVENT_KEY, EVENT_TYPE_RECEIVED, data
        )
        for part in parts:
            self._seen.add(part.id)

    def _complete_message(self, sms: SmsReceived) -> list[SmsReceived] | None:
        """The parts of the message, in order, once all arrived; else None.

        Parts wait in memory: a message whose parts straddle a restart is lost.
        """
        info = sms.multipart
        if info is None or info.total <= 1:
            return [sms]
        if not 1 <= info.part <= info.total <= MAX_PARTS:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "impossible multi_part_info")
        key = (sms.iccid, info.identifier)
        parts = self._pending.setdefault(key, {})
        parts[info.part] = sms
        self._pending.move_to_end(key)
        if len(self._pending) > PENDING_MESSAGES:
            dropped, _ = self._pending.popitem(last=False)
            LOGGER.warning("Dropped an incomplete multi-part SMS of %s", dropped[0])
        # ``total`` comes from the push: count, never build a range of it.
        if len(parts) != info.total or any(
            number not in parts for number in range(1, len(parts) + 1)
        ):
            return None
        del self._pending[key]
        return [parts[number] for number in sorted(parts)]

    def _delivery(self, request: web.Request, body: Any) -> None:
        try:
            report = parse_delivery_report(body)
        except InvalidResponseError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, str(err)) from err
        iccid = report.iccid or ""
        device_id = self._device_id(self.entry.runtime_data.sims, iccid)
        key = ("report", report.id, report.status)
        if device_id is None or key in self._seen:
            return
        data = {
            "device_id": device_id,
            "iccid": iccid,
            "message_id": report.id,
            "status": report.status,
            "status_id": report.status_id,
            "delivered": report.status.upper() == DELIVERED,
            "submitted_at": iso_or_none(report.submitted_at),
            "final_at": iso_or_none(report.final_at),
        }
        self._fire(
            EVENT_SMS_DELIVERY, iccid, SMS_EVENT_KEY, EVENT_TYPE_DELIVERY_REPORT, data
        )
        self._seen.add(key)


class LoraReceiver(PushReceiver):
    """ThingPark uplinks (POST), verified with the AS key before anything else."""

    @property
    @override
    def handlers(self) -> Mapping[str, Callable[[web.Request, Any], None]]:
        return {hdrs.METH_POST: self._uplink}

    def _uplink(self, request: web.Request, body: Any) -> None:
        query = _raw_query(request)
        self._verify(query, body)
        try:
            uplink = parse_uplink(body)
        except InvalidResponseError as err:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, str(err)) from err
        lora = self.entry.runtime_data.lora
        device_id = self._device_id(lora, uplink.eui)
        key = (uplink.eui, uplink.fcnt_up, _query_value(query, "Time"))
        if lora is None or device_id is None or key in self._seen:
            return
        lora.async_apply_uplink(uplink)
        data = {
            "device_id": device_id,
            "dev_eui": uplink.eui,
            "port": uplink.port,
            "payload_hex": uplink.payload_hex,
            "fcnt_up": uplink.fcnt_up,
            "fcnt_down": uplink.fcnt_down,
            "rssi": uplink.rssi,
            "snr": uplink.snr,
            "spreading_factor": uplink.sf,
            "frequency": uplink.frequency,
            "gateway_id": uplink.gateway_id,
            "gateway_count": uplink.gateway_count,
            "time": iso_or_none(uplink.time),
        }
        self._fire(
            EVENT_LORA_UPLINK, uplink.eui, UPLINK_EVENT_KEY, EVENT_TYPE_UPLINK, data
        )
        self._seen.add(key)

    def _verify(self, query: str, body: Any) -> None:
        """Refuse an uplink without the AS key's Token, or signed too long ago."""
        as_key = self.entry.data.get(CONF_AS_KEY)
        if not as_key:
            if "as_key" not in self._warned:
                self._warned.add("as_key")
                LOGGER.warning(
                    "Refusing uplinks to %s: configure the AS key of the routing "
                    "profile's route to accept them",
                    self.entry.title,
                )
            raise PushRefusedError(HTTPStatus.UNAUTHORIZED, "no AS key configured")
        if not isinstance(body, Mapping):
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not an object")
        if not verify_uplink_token(query, body, as_key):
            raise PushRefusedError(HTTPStatus.UNAUTHORIZED, "bad Token")
        try:
            signed_at = dt_util.parse_datetime(_query_value(query, "Time") or "")
        except ValueError:  # shaped like a time, but no real date
            signed_at = None
        if signed_at is None:
            raise PushRefusedError(HTTPStatus.UNAUTHORIZED, "no Time")
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=dt_util.UTC)
        if abs(dt_util.utcnow() - signed_at) > MAX_UPLINK_AGE:
            raise PushRefusedError(HTTPStatus.UNAUTHORIZED, "Time too far from now")


RECEIVERS: Final[Mapping[Provider, type[PushReceiver]]] = {
    Provider.TMOBILE_EASY_CONNECT: TMobileReceiver,
    Provider.KPN_LORA: LoraReceiver,
}


class PatchView(HomeAssistantView):
    """PATCH at the webhook URL, which the webhook component does not serve."""

    url = webhook.URL_WEBHOOK_PATH
    name = f"api:{DOMAIN}:webhook:patch"
    requires_auth = False

    async def patch(self, request: web.Request, webhook_id: str) -> web.Response:
        """Hand a PATCH to the receiver of this integration's webhook."""
        receiver = request.app[KEY_HASS].data.get(_PATCH_RECEIVERS, {}).get(webhook_id)
        if receiver is None:
            return web.Response(status=HTTPStatus.METHOD_NOT_ALLOWED)
        return await receiver.async_handle(receiver.hass, webhook_id, request)


@callback
def async_register_webhook(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> None:
    """Receive the entry's pushes at its webhook until the entry unloads.

    An entry without a webhook gets one, kept for good: the provider's portal
    points at it.
    """
    if CONF_WEBHOOK_ID not in entry.data:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
        )
    receiver = RECEIVERS[Provider(entry.data[CONF_PROVIDER])](hass, entry)
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        receiver.async_handle,
        allowed_methods=[hdrs.METH_POST],
    )
    patch_receivers = hass.data.setdefault(_PATCH_RECEIVERS, {})
    patch_receivers[webhook_id] = receiver

    @callback
    def unregister() -> None:
        webhook.async_unregister(hass, webhook_id)
        patch_receivers.pop(webhook_id, None)

    entry.async_on_unload(unregister)


async def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Where the provider should push a webhook's requests.

    That is the cloudhook while Home Assistant Cloud is active, else this
    instance's (preferably external) URL; without any configured URL, the path
    alone, for the user to prefix with their address.
    """
    if cloud.async_active_subscription(hass):
        with suppress(cloud.CloudNotAvailable):
            return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Remove the entry's cloudhook, if Home Assistant Cloud made one."""
    if cloud.async_active_subscription(hass):
        with suppress(cloud.CloudNotAvailable):
            await cloud.async_delete_cloudhook(hass, webhook_id)
