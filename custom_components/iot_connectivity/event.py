"""Event entities of pushes: SMS of T-Mobile SIMs and uplinks of LoRa devices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import push_signal
from .entity import (
    AnyCoordinator,
    IoTConnectivityEntity,
    IoTConnectivityEntityDescription,
    async_add_item_entities,
)
from .webhook import (
    EVENT_TYPE_DELIVERY_REPORT,
    EVENT_TYPE_RECEIVED,
    EVENT_TYPE_UPLINK,
    SMS_EVENT_KEY,
    UPLINK_EVENT_KEY,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IoTConnectivityConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class IoTConnectivityEventEntityDescription(
    IoTConnectivityEntityDescription[Any], EventEntityDescription
):
    """An event entity fed by the entry's webhook."""


SIM_EVENTS = (
    IoTConnectivityEventEntityDescription(
        key=SMS_EVENT_KEY,
        translation_key=SMS_EVENT_KEY,
        event_types=[EVENT_TYPE_RECEIVED, EVENT_TYPE_DELIVERY_REPORT],
    ),
)
LORA_EVENTS = (
    IoTConnectivityEventEntityDescription(
        key=UPLINK_EVENT_KEY,
        translation_key=UPLINK_EVENT_KEY,
        event_types=[EVENT_TYPE_UPLINK],
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an event entity per SIM or device whose provider pushes."""
    data = entry.runtime_data
    if data.spec.push is None:
        return
    if data.sims is not None:
        async_add_item_entities(
            data.sims, SIM_EVENTS, IoTConnectivityEvent, async_add_entities
        )
    if data.lora is not None:
        async_add_item_entities(
            data.lora, LORA_EVENTS, IoTConnectivityEvent, async_add_entities
        )


class IoTConnectivityEvent(IoTConnectivityEntity[AnyCoordinator], EventEntity):
    """The latest push for a SIM or LoRa device."""

    entity_description: IoTConnectivityEventEntityDescription

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                push_signal(
                    self.coordinator.config_entry.entry_id,
                    self.item_id,
                    self.entity_description.key,
                ),
                self._async_pushed,
            )
        )

    @callback
    def _async_pushed(self, event_type: str, data: dict[str, Any]) -> None:
        self._trigger_event(event_type, data)
        self.async_write_ha_state()
