"""Actions: SMS and LoRa downlinks, alarm acknowledgement, top-ups and SIM labels.

Each action names its SIM cards or LoRa devices by device. Every target and
every input is checked before the first request goes out, so a bad one sends
nothing; provider failures become translated errors (see ``provider_errors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util.json import JsonValueType
import probatio

from .api.lrc import (
    MAX_PAYLOAD_BYTES,
    MAX_PORT,
    MIN_PORT,
    DownlinkValidationError,
    validate_downlink,
)
from .api.management_api import DCS_UCS2
from .api.models import Capability, LoraAlarm, SimStatus
from .api.sms import SmsEncoding, SmsValidationError
from .const import CONF_AS_ID, CONF_AS_KEY, DOMAIN
from .helpers import entry_of_device, provider_errors

if TYPE_CHECKING:
    from collections.abc import Callable

    from .coordinator import (
        IoTConnectivityConfigEntry,
        IoTConnectivityData,
        LoraCoordinator,
        SimCoordinator,
    )
    from .entity import AnyCoordinator

SERVICE_SEND_SMS: Final = "send_sms"
SERVICE_SEND_LORA_DOWNLINK: Final = "send_lora_downlink"
SERVICE_ACKNOWLEDGE_ALARM: Final = "acknowledge_alarm"
SERVICE_TOP_UP: Final = "top_up"
SERVICE_SET_SIM_LABEL: Final = "set_sim_label"
SERVICE_ACKNOWLEDGE_IMEI_CHANGE: Final = "acknowledge_imei_change"

ATTR_MESSAGE: Final = "message"
ATTR_ENCODING: Final = "encoding"
ATTR_PAYLOAD: Final = "payload"
ATTR_PORT: Final = "port"
ATTR_CONFIRMED: Final = "confirmed"
ATTR_FLUSH_QUEUE: Final = "flush_queue"
ATTR_ALARM_REF: Final = "alarm_ref"
ATTR_LABEL: Final = "label"

DEVICES = probatio.All(cv.ensure_list, [cv.string])

SEND_SMS_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_MESSAGE): cv.string,
        probatio.Optional(ATTR_ENCODING): probatio.Coerce(SmsEncoding),
    }
)
SEND_LORA_DOWNLINK_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_PAYLOAD): cv.string,
        probatio.Required(ATTR_PORT): probatio.Coerce(int),
        probatio.Optional(ATTR_CONFIRMED, default=False): cv.boolean,
        probatio.Optional(ATTR_FLUSH_QUEUE, default=False): cv.boolean,
    }
)
ACKNOWLEDGE_ALARM_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Optional(ATTR_ALARM_REF): cv.string,
    }
)
DEVICES_SCHEMA = probatio.Schema({probatio.Required(ATTR_DEVICE_ID): DEVICES})
"""Actions that take devices and nothing else (top-up, acknowledge an IMEI change)."""
SET_SIM_LABEL_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): DEVICES,
        probatio.Required(ATTR_LABEL): cv.string,
    }
)

DCS_BY_ENCODING: Final = {SmsEncoding.GSM7: 0, SmsEncoding.UCS2: DCS_UCS2}
"""The data coding scheme that asks a provider for an encoding (T-Mobile)."""
SMS_STATUSES: Final = frozenset({SimStatus.ACTIVE, SimStatus.TEST})
"""The statuses in which a SIM can receive an SMS."""


@dataclass(frozen=True, slots=True)
class Target[CoordinatorT: AnyCoordinator]:
    """A SIM card or LoRa device an action acts on, and what it belongs to."""

    entry: IoTConnectivityConfigEntry
    device: dr.DeviceEntry
    coordinator: CoordinatorT
    item_id: str
    """ICCID or DevEUI."""

    @property
    def name(self) -> str:
        """The device's name as the user sees it."""
        return _device_name(self.device)


def _device_name(device: dr.DeviceEntry) -> str:
    return device.name_by_user or device.name or device.id


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """A translated error about what the user asked for."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _targets[CoordinatorT: AnyCoordinator](
    call: ServiceCall,
    coordinator_of: Callable[[IoTConnectivityData], CoordinatorT | None],
    wrong_kind: str,
) -> list[Target[CoordinatorT]]:
    """Resolve the call's devices to items of ``coordinator_of`` a loaded entry.

    ``wrong_kind`` is the error's translation key for a device of this
    integration that is not such an item (a SIM where a LoRa device is needed,
    or the account itself).
    """
    registry = dr.async_get(call.hass)
    targets: list[Target[CoordinatorT]] = []
    for device_id in call.data[ATTR_DEVICE_ID]:
        device = registry.async_get(device_id, include_child_devices=False)
        if device is None:
            raise _invalid("device_not_found", device=device_id)
        if (entry := entry_of_device(call.hass, device)) is None:
            raise _invalid("not_our_device", device=_device_name(device))
        if entry.state is not ConfigEntryState.LOADED:
            raise _invalid(
                "entry_not_loaded", device=_device_name(device), account=entry.title
            )
        coordinator = coordinator_of(entry.runtime_data)
        item_ids = [
            item_id
            for domain, item_id in device.identifiers
            if domain == DOMAIN
            and coordinator is not None
            and item_id in coordinator.items
        ]
        if coordinator is None or not item_ids:
            raise _invalid(wrong_kind, device=_device_name(device))
        targets.append(Target(entry, device, coordinator, item_ids[0]))
    return targets


def _sim_targets(call: ServiceCall) -> list[Target[SimCoordinator]]:
    return _targets(call, lambda data: data.sims, "not_a_sim")


def _lora_targets(call: ServiceCall) -> list[Target[LoraCoordinator]]:
    return _targets(call, lambda data: data.lora, "not_a_lora_device")


def _require(target: Target[SimCoordinator], capability: Capability) -> None:
    """Refuse a SIM whose provider has no API for the action."""
    client = target.coordinator.client
    if capability not in client.capabilities:
        raise _invalid(
            "action_not_supported",
            provider=target.coordinator.config_entry.runtime_data.spec.name,
            device=target.name,
        )


def _check_sms(
    target: Target[SimCoordinator], message: str, encoding: SmsEncoding | None
) -> None:
    """Refuse an SMS the SIM cannot receive or the provider would refuse."""
    _require(target, Capability.SMS)
    client = target.coordinator.client
    provider = target.coordinator.config_entry.runtime_data.spec.name
    status = target.coordinator.items[target.item_id].status
    if status not in SMS_STATUSES:
        raise _invalid("sim_not_active", device=target.name, status=status)
    if encoding is not None and Capability.SMS_DCS not in client.capabilities:
        raise _invalid("sms_encoding_not_supported", provider=provider)
    try:
        client.sms_rules.check(message, encoding)
    except SmsValidationError as err:
        limit = {} if err.limit is None else {"limit": str(err.limit)}
        raise _invalid(f"sms_{err.reason}", provider=provider, **limit) from err


async def async_send_sms(
    hass: HomeAssistant,
    targets: list[Target[SimCoordinator]],
    message: str,
    encoding: SmsEncoding | None = None,
) -> list[JsonValueType]:
    """Send one SMS to each SIM, every one checked first; the provider's ids.

    The ``send_sms`` action and the notify entities both send through here.
    """
    for target in targets:
        _check_sms(target, message, encoding)
    dcs = DCS_BY_ENCODING[encoding] if encoding is not None else None
    sent: list[JsonValueType] = []
    for target in targets:
        with provider_errors(hass, target.entry):
            result = await target.coordinator.client.send_sms(
                target.item_id, message, dcs=dcs
            )
        sent.append(
            {
                ATTR_DEVICE_ID: target.device.id,
                "iccid": target.item_id,
                "message_id": result.message_id,
            }
        )
    return sent


async def _async_send_sms(call: ServiceCall) -> ServiceResponse:
    """Send one SMS to each SIM; respond with the provider's message ids."""
    sent = await async_send_sms(
        call.hass,
        _sim_targets(call),
        call.data[ATTR_MESSAGE],
        call.data.get(ATTR_ENCODING),
    )
    return {"messages": sent}


async def _async_send_lora_downlink(call: ServiceCall) -> None:
    """Queue one downlink to each LoRa device at the LRC."""
    payload: str = call.data[ATTR_PAYLOAD].strip()
    port: int = call.data[ATTR_PORT]
    targets = _lora_targets(call)
    for target in targets:
        # Settings the user gives with Reconfigure, which the error points to.
        if not (
            target.entry.data.get(CONF_AS_ID) and target.entry.data.get(CONF_AS_KEY)
        ):
            raise _invalid("downlink_not_configured", account=target.entry.title)
    try:
        validate_downlink(payload, port, None)
    except DownlinkValidationError as err:
        raise _invalid(
            f"downlink_{err.reason}",
            min_port=str(MIN_PORT),
            max_port=str(MAX_PORT),
            max_bytes=str(MAX_PAYLOAD_BYTES),
        ) from err
    for target in targets:
        with provider_errors(call.hass, target.entry):
            await target.coordinator.client.send_downlink(
                target.item_id,
                payload,
                port=port,
                confirmed=call.data[ATTR_CONFIRMED],
                flush_queue=call.data[ATTR_FLUSH_QUEUE],
            )


async def _async_acknowledge_alarm(call: ServiceCall) -> ServiceResponse:
    """Acknowledge one open alarm by ref, or every open alarm of the devices.

    The alarms are read afresh, so an alarm the last poll has not seen yet is
    acknowledged too.
    """
    ref: str | None = call.data.get(ATTR_ALARM_REF)
    targets = _lora_targets(call)
    chosen: list[tuple[Target[LoraCoordinator], LoraAlarm]] = []
    for target in targets:
        with provider_errors(call.hass, target.entry):
            alarms = await target.coordinator.client.list_alarms(target.item_id)
        chosen += [
            (target, alarm)
            for alarm in alarms
            if alarm.is_open and ref in (None, alarm.ref)
        ]
    if ref is not None and not chosen:
        raise _invalid(
            "alarm_not_found",
            alarm_ref=ref,
            devices=", ".join(target.name for target in targets),
        )
    for target, alarm in chosen:
        with provider_errors(call.hass, target.entry):
            await target.coordinator.client.acknowledge_alarm(alarm.ref)
    for coordinator in dict.fromkeys(target.coordinator for target in targets):
        await coordinator.async_request_refresh()
    return {"acknowledged": [alarm.ref for _, alarm in chosen]}


async def _async_top_up(call: ServiceCall) -> None:
    """Order each SIM's top-up package; the provider decides its volume."""
    targets = _sim_targets(call)
    for target in targets:
        _require(target, Capability.TOP_UP)
    for target in targets:
        with provider_errors(call.hass, target.entry):
            await target.coordinator.client.top_up(target.item_id)
    for traffic in dict.fromkeys(
        target.entry.runtime_data.traffic for target in targets
    ):
        if traffic is not None:
            await traffic.async_refresh_sims(
                t.item_id for t in targets if t.entry.runtime_data.traffic is traffic
            )


async def _async_set_sim_label(call: ServiceCall) -> None:
    """Rename SIMs at the provider, and their devices here."""
    label: str = call.data[ATTR_LABEL].strip()
    if not label:
        raise _invalid("label_empty")
    targets = _sim_targets(call)
    for target in targets:
        _require(target, Capability.LABEL)
    registry = dr.async_get(call.hass)
    for target in targets:
        with provider_errors(call.hass, target.entry):
            await target.coordinator.client.set_label(target.item_id, label)
        registry.async_update_device(target.device.id, name=label)
    for coordinator in dict.fromkeys(target.coordinator for target in targets):
        await coordinator.async_request_refresh()


async def _async_acknowledge_imei_change(call: ServiceCall) -> None:
    """Accept each SIM's new IMEI as its baseline; every SIM must have one open."""
    targets = _sim_targets(call)
    for target in targets:
        _require(target, Capability.IMEI)
        watch = target.entry.runtime_data.imei_watch
        if watch is None:
            raise _invalid("no_imei_change", device=target.name)
        watch.check_acknowledgeable(target.item_id, target.name)
    for target in targets:
        if (watch := target.entry.runtime_data.imei_watch) is not None:
            watch.async_acknowledge([target.item_id])


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_SMS,
        _async_send_sms,
        schema=SEND_SMS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_LORA_DOWNLINK,
        _async_send_lora_downlink,
        schema=SEND_LORA_DOWNLINK_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ACKNOWLEDGE_ALARM,
        _async_acknowledge_alarm,
        schema=ACKNOWLEDGE_ALARM_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_TOP_UP, _async_top_up, schema=DEVICES_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_SIM_LABEL, _async_set_sim_label, schema=SET_SIM_LABEL_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ACKNOWLEDGE_IMEI_CHANGE,
        _async_acknowledge_imei_change,
        schema=DEVICES_SCHEMA,
    )
