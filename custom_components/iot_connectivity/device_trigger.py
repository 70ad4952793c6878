"""Device triggers: an SMS from a SIM, an uplink or a new alarm of a LoRa device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.helpers import device_registry as dr
import probatio

from .const import (
    DOMAIN,
    EVENT_LORA_ALARM,
    EVENT_LORA_REPORTING,
    EVENT_LORA_UPLINK,
    EVENT_SIM_MOVED,
    EVENT_SMS_RECEIVED,
)
from .coordinator import hub_identifier
from .helpers import entry_of_device
from .providers import spec_of

if TYPE_CHECKING:
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant
    from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
    from homeassistant.helpers.typing import ConfigType

TRIGGER_EVENTS: Final = {
    "sms_received": EVENT_SMS_RECEIVED,
    "lora_uplink": EVENT_LORA_UPLINK,
    "lora_alarm": EVENT_LORA_ALARM,
    "sim_moved": EVENT_SIM_MOVED,
    "lora_stopped_reporting": EVENT_LORA_REPORTING,
    "lora_started_reporting": EVENT_LORA_REPORTING,
}
"""The event each trigger type waits for."""
TRIGGER_EVENT_DATA: Final[dict[str, dict[str, object]]] = {
    "lora_stopped_reporting": {"reporting": False},
    "lora_started_reporting": {"reporting": True},
}
"""What else the event's data must hold, beyond the device."""

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(TRIGGER_EVENTS)}
)


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the triggers of a SIM or LoRa device; the account has none."""
    device = dr.async_get(hass).async_get(device_id, include_child_devices=False)
    entry = entry_of_device(hass, device) if device is not None else None
    if device is None or entry is None or hub_identifier(entry) in device.identifiers:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in spec_of(entry).device_triggers
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Wait for the trigger type's event of this device."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: CONF_EVENT,
            event_trigger.CONF_EVENT_TYPE: TRIGGER_EVENTS[config[CONF_TYPE]],
            CONF_EVENT_DATA: {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                **TRIGGER_EVENT_DATA.get(config[CONF_TYPE], {}),
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
