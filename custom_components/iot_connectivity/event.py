"""Event entities of pushes: SMS of T-Mobile SIMs and uplinks of LoRa devices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util

from .api.models import Capability
from .const import push_signal
from .coordinator import TrafficCoordinator
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
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api.models import NetworkEvent
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
    if data.traffic is not None:
        async_add_item_entities(
            data.traffic, NETWORK_EVENTS, NetworkEventEntity, async_add_entities
        )
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


EVENT_TYPE_INFO = "info"
EVENT_TYPE_ALERT = "alert"
ATTR_TIMESTAMP = "timestamp"
NETWORK_EVENTS = (
    IoTConnectivityEventEntityDescription(
        key="network_event",
        translation_key="network_event",
        capability=Capability.NETWORK_EVENTS,
        event_types=[EVENT_TYPE_INFO, EVENT_TYPE_ALERT],
        # A request per SIM and turn: read only for the SIMs it is enabled for.
        entity_registry_enabled_default=False,
    ),
)


def event_data(event: NetworkEvent) -> dict[str, Any]:
    """What a network event entity shows of one event."""
    return {
        ATTR_TIMESTAMP: event.timestamp.isoformat(),
        "description": event.description,
        "severity": event.severity,
        "country": event.country,
        "operator": event.operator,
    }


class NetworkEventEntity(IoTConnectivityEntity[TrafficCoordinator], EventEntity):
    """A SIM's network events, read in the SIM's turn while this entity is enabled.

    The first read shows the latest event; later reads fire every newer event,
    oldest first. The last one fired is restored after a restart, so none
    fires twice.
    """

    entity_description: IoTConnectivityEventEntityDescription
    _last: tuple[datetime, str] | None = None
    """(time, description) of the latest event shown."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        attributes = self.state_attributes
        moment = dt_util.parse_datetime(str(attributes.get(ATTR_TIMESTAMP, "")))
        if moment is not None:
            self._last = (moment, str(attributes.get("description", "")))
        item_id = str(self.item_id)
        sims = self.coordinator.event_sims
        sims.add(item_id)
        self.async_on_remove(lambda: sims.discard(item_id))
        self._async_fire_new()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._async_fire_new()
        super()._handle_coordinator_update()

    @callback
    def _async_fire_new(self) -> None:
        if self.item_id not in self.coordinator.items:
            return
        events = self.value.events
        if not events:
            return
        if self._last is None:
            new = list(events[-1:])
        else:
            last = self._last
            new = [e for e in events if (e.timestamp, e.description) > last]
        for event in new:
            self._last = (event.timestamp, event.description)
            self._trigger_event(
                EVENT_TYPE_ALERT if event.alert else EVENT_TYPE_INFO, event_data(event)
            )
            self.async_write_ha_state()
        if new:
            self._shown = self._output()
