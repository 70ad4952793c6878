"""Pushes from the providers, received at one webhook per config entry.

The management API's SMS gateway (T-Mobile, 1NCE) POSTs the SMS its SIMs send
(SMS MO) and PATCHes delivery reports of the SMS sent to them; ThingPark POSTs
the uplinks of KPN LoRa devices, signed with the route's AS key. Each push becomes a Home Assistant event and, for the
event entities, a dispatcher signal.

What the senders need from the answer: the SMS gateway retries any answer but
200 for 24 hours, so a push is answered 2xx only once its event fired, and a repeated
id fires nothing. Pushes that can never succeed (malformed, unauthenticated,
too large) get a 4xx; pushes for SIMs or devices this entry does not know get a
2xx, so they are not retried, and a warning once.

What was already fired, and the parts of multi-part SMS still waiting for the
rest, are kept in a store per entry, so a restart of Home Assistant neither
fires a retried push twice nor loses half a message. The store also keeps when
the first push arrived: until one did, :class:`WebhookWatch` raises a repair
issue once the provider reports traffic it should have pushed.

Home Assistant's webhook component serves GET, HEAD, POST and PUT only, so the
delivery reports' PATCH reaches the same URL through a view of this
integration (:class:`PatchView`). Cloudhooks do not relay PATCH.
"""

from __future__ import annotations

import abc
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final, override
from urllib.parse import unquote

from aiohttp import hdrs, web
from homeassistant.components import cloud, webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import json_loads

from .api.errors import InvalidResponseError
from .api.lrc import parse_uplink, verify_uplink_token
from .api.management_api import parse_delivery_report, parse_sms_mo
from .api.models import SmsMultipart, SmsReceived
from .const import (
    CONF_AS_KEY,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_LORA_UPLINK,
    EVENT_SMS_DELIVERY,
    EVENT_SMS_RECEIVED,
    LOGGER,
    push_signal,
)
from .coordinator import iso_or_none
from .helpers import async_create_entry_issue, async_delete_entry_issue, entry_store
from .providers import PushKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from .coordinator import (
        IoTConnectivityConfigEntry,
        IoTConnectivityCoordinator,
        LoraData,
        SimTraffic,
    )

MAX_BODY_BYTES: Final = 64 * 1024
"""Far above any SMS or uplink push; larger bodies are refused unread."""
MAX_UPLINK_AGE: Final = timedelta(minutes=10)
"""How far an uplink's signed ``Time`` may be from now: older ones are replays."""
UPLINK_REPEAT_WINDOW: Final = MAX_UPLINK_AGE
"""How long after its first push the same uplink frame is a repeat.

ThingPark may push a frame again, signed anew with a later ``Time``, which the
signing window therefore does not stop. A device that rejoins counts its frames
from 0 again, so later the same counter, port and payload can be a new frame:
a frame is held for as long as a push may be late, no longer.
"""
PUSH_MEMORY: Final = timedelta(hours=24)
"""How long SMS ids, report keys and waiting parts are kept: T-Mobile retries
for 24 hours, then gives up."""
REMEMBERED_KEYS: Final = 1024
"""Push ids (and unknown senders) remembered, to fire (and warn) once each."""
PENDING_MESSAGES: Final = 64
"""Multi-part SMS waiting for their other parts; the oldest is dropped beyond."""
MAX_PARTS: Final = 255
"""Concatenated SMS carry the part count in one byte of the user data header."""

STORE_VERSION: Final = 1
SAVE_DELAY: Final = 5
"""Seconds to wait before writing the store, so a burst of pushes is one write."""
FIRST_PUSH: Final = "first_push"
"""Stored: when the entry's webhook first received a push (ISO 8601)."""
PUSH_GRACE: Final = timedelta(hours=1)
"""Time after adding an account to point the provider at the webhook."""

SMS_EVENT_KEY: Final = "sms"
UPLINK_EVENT_KEY: Final = "uplink"
EVENT_TYPE_RECEIVED: Final = "received"
EVENT_TYPE_DELIVERY_REPORT: Final = "delivery_report"
EVENT_TYPE_UPLINK: Final = "uplink"
DELIVERED: Final = "DELIVERED"

_PATCH_RECEIVERS: HassKey[dict[str, PushReceiver]] = HassKey(f"{DOMAIN}_patch")

type PushKey = str | tuple[str | int | None, ...]
"""What identifies a push already fired: made of JSON scalars, so it can be stored."""


class PushRefusedError(Exception):
    """A push answered with a client error; nothing was fired."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the status to answer and why, for the debug log."""
        super().__init__(reason)
        self.status = status


class RecentKeys[KeyT: Hashable]:
    """The keys seen lately and when, the oldest forgotten first."""

    def __init__(
        self, size: int = REMEMBERED_KEYS, max_age: timedelta | None = None
    ) -> None:
        """Remember up to ``size`` keys, each for ``max_age`` (None: until pushed out)."""
        self._size = size
        self._max_age = max_age
        self._seen_at: OrderedDict[KeyT, datetime] = OrderedDict()

    def __contains__(self, key: KeyT) -> bool:
        """Whether ``key`` was seen lately."""
        seen_at = self._seen_at.get(key)
        return seen_at is not None and not self._expired(seen_at)

    def add(self, key: KeyT, seen_at: datetime | None = None) -> None:
        """Remember ``key`` as the newest, seen now or at ``seen_at``.

        A key seen longer ago than the keys are kept is not remembered.
        """
        seen_at = seen_at or dt_util.utcnow()
        if self._expired(seen_at):
            return
        self._seen_at[key] = seen_at
        self._seen_at.move_to_end(key)
        if len(self._seen_at) > self._size:
            self._seen_at.popitem(last=False)

    def fresh(self) -> list[tuple[KeyT, datetime]]:
        """The keys still remembered and when each was seen, the oldest first."""
        return [(key, at) for key, at in self._seen_at.items() if not self._expired(at)]

    def _expired(self, seen_at: datetime) -> bool:
        return self._max_age is not None and dt_util.utcnow() - seen_at > self._max_age


@dataclass(slots=True)
class WaitingMessage:
    """The parts of a multi-part SMS received so far, by part number."""

    parts: dict[int, SmsReceived] = field(default_factory=dict)
    updated_at: datetime = field(default_factory=dt_util.utcnow)
    """When the latest part came: a message is forgotten a day after that."""


def _key_to_json(key: PushKey) -> str | list[str | int | None]:
    return list(key) if isinstance(key, tuple) else key


def _key_from_json(value: Any) -> PushKey:
    """A stored key as it was remembered: JSON turned its tuples into lists."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        item is None or isinstance(item, str | int) for item in value
    ):
        return tuple(value)
    raise TypeError("not a push key")


def _time_from_json(value: Any) -> datetime:
    """A stored time; always written with its offset."""
    moment = dt_util.parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise TypeError("not a time")
    return moment


def _part_to_json(sms: SmsReceived) -> dict[str, Any]:
    """A waiting part as stored: what joining its message needs.

    The addresses and data coding of a message are taken from the part that
    completes it, so the waiting parts' are not stored (the source address is
    the SIM's MSISDN, which diagnostics redact too).
    """
    multipart = sms.multipart
    return {
        "id": sms.id,
        "iccid": sms.iccid,
        "text": sms.text,
        "submitted_at": iso_or_none(sms.submitted_at),
        "multipart": None
        if multipart is None
        else {
            "part": multipart.part,
            "total": multipart.total,
            "identifier": multipart.identifier,
        },
    }


def _part_from_json(data: Any) -> tuple[SmsReceived, SmsMultipart]:
    """A stored waiting part and where it belongs; TypeError if it is none."""
    if not isinstance(data, Mapping) or not isinstance(
        multipart := data.get("multipart"), Mapping
    ):
        raise TypeError("not a part of a multi-part SMS")
    info = SmsMultipart(
        part=_stored_int(multipart.get("part")),
        total=_stored_int(multipart.get("total")),
        identifier=_stored_str(multipart.get("identifier")),
    )
    submitted_at = data.get("submitted_at")
    sms = SmsReceived(
        id=_stored_str(data.get("id")),
        iccid=_stored_str(data.get("iccid")),
        text=_stored_str(data.get("text")),
        submitted_at=None if submitted_at is None else _time_from_json(submitted_at),
        multipart=info,
    )
    return sms, info


def _stored_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _stored_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _readable[T](
    items: Any, read: Callable[[Any], T], what: str, entry_title: str
) -> Iterable[T]:
    """The stored ``items`` that ``read`` understands; the others are skipped.

    Only this integration writes the store, but a store edited by hand must not
    keep the entry from starting.
    """
    if not isinstance(items, list):
        items = []
    for item in items:
        try:
            yield read(item)
        except (TypeError, ValueError) as err:
            LOGGER.debug("Skipped stored %s of %s: %s", what, entry_title, err)


async def _read_json(request: web.Request) -> Any:
    """The JSON body of a push, refused when not JSON or too large.

    The body decides, not its Content-Type: T-Mobile's guide shows none for
    delivery reports, and a refused push is retried for 24 hours in vain.
    """
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
        raise PushRefusedError(HTTPStatus.BAD_REQUEST, "not JSON") from err


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


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The entry's store of pushes already fired and parts still waiting."""
    return entry_store(hass, entry_id, "pushes", STORE_VERSION)


class PushReceiver(abc.ABC):
    """Turns one entry's pushes into events; one subclass per pushing provider."""

    repeat_window: ClassVar[timedelta]
    """How long a push already fired is recognised when it comes again."""
    silent_issue: ClassVar[str]
    """The repair issue (and its translation) while no push has arrived yet:
    it says what to set up at the provider."""

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Receive for ``entry``; :meth:`async_load` what it received before."""
        self.hass = hass
        self.entry = entry
        self._seen: RecentKeys[PushKey] = RecentKeys(max_age=self.repeat_window)
        self._warned: RecentKeys[str] = RecentKeys()
        self._store = _store(hass, entry.entry_id)
        self._unsaved = False
        self.first_push_at: str | None = None
        """When the first push arrived (ISO 8601); None: none ever did."""

    @property
    @abc.abstractmethod
    def handlers(self) -> Mapping[str, Callable[[web.Request, Any], None]]:
        """The handler of each HTTP method, given the request and its JSON body."""

    async def async_load(self) -> None:
        """Take up what was received before the last restart, less what expired."""
        self._restore(await self._store.async_load() or {})

    async def async_flush(self) -> None:
        """Write what is not written yet, now: the entry unloads."""
        if self._unsaved:
            await self._store.async_save(self._data_to_save())

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

    def _restore(self, stored: Mapping[str, Any]) -> None:
        """Take up the stored state (subclasses add theirs)."""
        for key, seen_at in _readable(
            stored.get("seen"), _seen_from_json, "push", self.entry.title
        ):
            self._seen.add(key, seen_at)
        if isinstance(first_push := stored.get(FIRST_PUSH), str):
            self.first_push_at = first_push

    def _stored(self) -> dict[str, Any]:
        """The state to store (subclasses add theirs)."""
        stored: dict[str, Any] = {
            "seen": [
                {"key": _key_to_json(key), "at": seen_at.isoformat()}
                for key, seen_at in self._seen.fresh()
            ]
        }
        if self.first_push_at is not None:
            stored[FIRST_PUSH] = self.first_push_at
        return stored

    def _data_to_save(self) -> dict[str, Any]:
        """The store's data, taken when it is written."""
        self._unsaved = False
        return self._stored()

    @callback
    def _async_schedule_save(self) -> None:
        """Write the store soon; Home Assistant's final write catches a stop."""
        self._unsaved = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def _remember(self, key: PushKey) -> None:
        """Remember a push as fired, also across a restart."""
        self._seen.add(key)
        self._async_schedule_save()

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
        if self.first_push_at is None:
            # The webhook works: the provider was pointed at it.
            self.first_push_at = dt_util.utcnow().isoformat()
            self._async_schedule_save()
            async_delete_entry_issue(self.hass, self.entry, self.silent_issue)


def _seen_from_json(item: Any) -> tuple[PushKey, datetime]:
    if not isinstance(item, Mapping):
        raise TypeError("not a remembered push")
    return _key_from_json(item.get("key")), _time_from_json(item.get("at"))


class SmsGatewayReceiver(PushReceiver):
    """SMS MO (POST) and delivery reports (PATCH) of the management API's SMS gateway.

    T-Mobile sends values as strings, 1NCE as numbers: the parsers take both.
    """

    repeat_window = PUSH_MEMORY
    silent_issue = "webhook_silent_sms"

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Start with no parts of multi-part messages waiting."""
        super().__init__(hass, entry)
        self._pending: OrderedDict[tuple[str, str], WaitingMessage] = OrderedDict()

    @property
    @override
    def handlers(self) -> Mapping[str, Callable[[web.Request, Any], None]]:
        return {hdrs.METH_POST: self._sms_received, hdrs.METH_PATCH: self._delivery}

    @override
    def _restore(self, stored: Mapping[str, Any]) -> None:
        super()._restore(stored)
        for updated_at, parts in _readable(
            stored.get("pending"), _waiting_from_json, "SMS", self.entry.title
        ):
            if dt_util.utcnow() - updated_at > PUSH_MEMORY:
                continue
            for sms, info in parts:
                self._wait(sms, info, updated_at)

    @override
    def _stored(self) -> dict[str, Any]:
        now = dt_util.utcnow()
        return super()._stored() | {
            "pending": [
                {
                    "at": message.updated_at.isoformat(),
                    "parts": [_part_to_json(sms) for sms in message.parts.values()],
                }
                for message in self._pending.values()
                if now - message.updated_at <= PUSH_MEMORY
            ]
        }

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
            self._async_schedule_save()
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
            self._remember(part.id)

    def _complete_message(self, sms: SmsReceived) -> list[SmsReceived] | None:
        """The parts of the message, in order, once all arrived; else None.

        Waiting parts are stored with the pushes seen, so a message whose parts
        straddle a restart is still joined (within :data:`PUSH_MEMORY`).
        """
        info = sms.multipart
        if info is None or info.total <= 1:
            return [sms]
        if not 1 <= info.part <= info.total <= MAX_PARTS:
            raise PushRefusedError(HTTPStatus.BAD_REQUEST, "impossible multi_part_info")
        parts = self._wait(sms, info, dt_util.utcnow())
        # ``total`` comes from the push: count, never build a range of it.
        if len(parts) != info.total or any(
            number not in parts for number in range(1, len(parts) + 1)
        ):
            return None
        del self._pending[sms.iccid, info.identifier]
        return [parts[number] for number in sorted(parts)]

    def _wait(
        self, sms: SmsReceived, info: SmsMultipart, received_at: datetime
    ) -> dict[int, SmsReceived]:
        """Add a part to its message's waiting parts; return them all."""
        key = (sms.iccid, info.identifier)
        message = self._pending.setdefault(key, WaitingMessage())
        message.parts[info.part] = sms
        message.updated_at = received_at
        self._pending.move_to_end(key)
        if len(self._pending) > PENDING_MESSAGES:
            dropped, _ = self._pending.popitem(last=False)
            LOGGER.warning("Dropped an incomplete multi-part SMS of %s", dropped[0])
        return message.parts

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
        self._remember(key)


def _waiting_from_json(
    item: Any,
) -> tuple[datetime, list[tuple[SmsReceived, SmsMultipart]]]:
    """When a stored message's latest part came, and its parts."""
    if not isinstance(item, Mapping) or not isinstance(
        parts := item.get("parts"), list
    ):
        raise TypeError("not a waiting message")
    return _time_from_json(item.get("at")), [_part_from_json(part) for part in parts]


class LoraReceiver(PushReceiver):
    """ThingPark uplinks (POST), verified with the AS key before anything else."""

    repeat_window = UPLINK_REPEAT_WINDOW
    silent_issue = "webhook_silent_uplinks"

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
        # The frame itself, not the signed Time: a repeat is signed anew.
        key = (uplink.eui, uplink.fcnt_up, uplink.port, uplink.payload_hex.lower())
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
        self._remember(key)
        if (readings := self.entry.runtime_data.readings) is not None:
            readings.async_uplink(uplink)

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


RECEIVERS: Final[Mapping[PushKind, type[PushReceiver]]] = {
    PushKind.SMS_GATEWAY: SmsGatewayReceiver,
    PushKind.LORA_UPLINKS: LoraReceiver,
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


async def async_register_webhook(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry, push: PushKind
) -> None:
    """Receive the entry's ``push`` at its webhook until the entry unloads.

    An entry without a webhook gets one, kept for good: the provider's portal
    points at it. What the entry received before is loaded first, so a push
    repeated across a restart is recognised from the first request on. Until
    a push arrives, :class:`WebhookWatch` looks for pushes that should have.
    """
    if CONF_WEBHOOK_ID not in entry.data:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
        )
    receiver = RECEIVERS[push](hass, entry)
    await receiver.async_load()
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

    async def unregister() -> None:
        webhook.async_unregister(hass, webhook_id)
        patch_receivers.pop(webhook_id, None)
        # After the last push could arrive: the next setup reads a new store
        # object, which knows nothing of this one's delayed write.
        await receiver.async_flush()

    entry.async_on_unload(unregister)
    await WebhookWatch(hass, entry, receiver).async_start()


class WebhookWatch:
    """Raise the receiver's silent issue when pushes are due but none ever arrived.

    Pushes are due once the provider reports, after the grace period, what it
    pushes: an uplink of a LoRa device, or SMS sent by a SIM (its SMS count
    grew while Home Assistant watched). The first push clears the issue
    (:meth:`PushReceiver._fire`), for good.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        receiver: PushReceiver,
    ) -> None:
        """Watch ``entry``'s webhook, which ``receiver`` answers."""
        self.hass = hass
        self.entry = entry
        self.receiver = receiver
        self._traffic_seen: Mapping[str, SimTraffic] = {}
        """Each SIM's traffic at the previous check."""
        self._webhook_url = ""

    async def async_start(self) -> None:
        """Follow the provider's reports, unless a push arrived before."""
        entry = self.entry
        if self.receiver.first_push_at is not None:
            async_delete_entry_issue(self.hass, entry, self.receiver.silent_issue)
            return
        self._webhook_url = await async_webhook_url(
            self.hass, entry.data[CONF_WEBHOOK_ID]
        )
        data = entry.runtime_data
        for coordinator in (data.lora, data.traffic):
            if coordinator is not None:
                entry.async_on_unload(
                    coordinator.async_add_item_listener(self._async_check)
                )
        self._async_check()

    @callback
    def _async_check(self) -> None:
        """Raise the issue when the provider reports traffic it should have pushed."""
        if self.receiver.first_push_at is not None:
            return
        due_since = self.entry.created_at + PUSH_GRACE
        if dt_util.utcnow() < due_since or not self._pushes_due(due_since):
            return
        LOGGER.debug("No push reached the webhook of %s yet", self.entry.title)
        async_create_entry_issue(
            self.hass,
            self.entry,
            self.receiver.silent_issue,
            placeholders={"webhook_url": self._webhook_url},
        )

    def _pushes_due(self, due_since: datetime) -> bool:
        """Whether the provider reports traffic after ``due_since`` that it pushes."""
        data = self.entry.runtime_data
        if data.lora is not None:
            return _uplink_since(data.lora.data, due_since)
        if data.traffic is None:
            return False
        # Per SIM: reads may be spread, so a SIM read for the first time (or
        # anew in a new period) proves nothing. Only SIMs read anew are looked at.
        sims = data.traffic.data.sims
        before, self._traffic_seen = self._traffic_seen, sims
        changed = data.traffic.changed_items
        return any(
            (sim := sims.get(iccid)) is not None
            and (last := before.get(iccid)) is not None
            and (now := _sms_sent(sim)) is not None
            and (then := _sms_sent(last)) is not None
            and now > then
            for iccid in (sims if changed is None else changed)
        )


def _sms_sent(traffic: SimTraffic) -> int | None:
    """SMS the SIM card sent this period, if known."""
    return traffic.usage.sms_mo if traffic.usage is not None else None


def _uplink_since(lora: LoraData, moment: datetime) -> bool:
    return any(
        state.device.last_uplink is not None and state.device.last_uplink > moment
        for state in lora.devices.values()
    )


LEGACY_PUSH_LOG: Final = f"{DOMAIN}.pushes"
"""The store in which versions up to 0.1 kept every entry's first push."""


async def async_migrate_push_log(hass: HomeAssistant) -> None:
    """Move the first pushes of the old shared store into each entry's store.

    Runs before any entry is set up, so no receiver holds a store yet.
    """
    legacy: Store[dict[str, str]] = Store(hass, STORE_VERSION, LEGACY_PUSH_LOG)
    if (first_pushes := await legacy.async_load()) is None:
        return
    for entry_id, first_push in first_pushes.items():
        if hass.config_entries.async_get_entry(entry_id) is None:
            continue
        store = _store(hass, entry_id)
        stored = await store.async_load() or {}
        await store.async_save({FIRST_PUSH: first_push} | stored)
    await legacy.async_remove()


DIRECT_PUSHES: Final = frozenset({PushKind.SMS_GATEWAY})
"""Pushes that also come by PATCH (delivery reports), which Cloud does not relay."""


async def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """Where the provider should POST a webhook's pushes.

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


async def async_direct_webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Where the provider should send the pushes that Cloud does not relay.

    Cloudhooks pass on POST only, so PATCH pushes need an address that reaches
    Home Assistant itself: while Cloud is active its external URL, or Cloud's
    remote access URL, which passes every request on; None when it has
    neither. Without Cloud, the same address as every other push.
    """
    if not cloud.async_active_subscription(hass):
        return await async_webhook_url(hass, webhook_id)
    try:
        url = get_url(
            hass, allow_internal=False, allow_cloud=True, prefer_external=True
        )
    except NoURLAvailableError:
        return None
    return f"{url}{webhook.async_generate_path(webhook_id)}"


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Remove the entry's cloudhook, if Home Assistant Cloud made one."""
    if cloud.async_active_subscription(hass):
        with suppress(cloud.CloudNotAvailable):
            await cloud.async_delete_cloudhook(hass, webhook_id)
