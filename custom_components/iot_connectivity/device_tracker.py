"""Device trackers: the GPS positions that LoRa devices report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, override

from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.const import Platform

from .api.reading_types import Position
from .lora_readings import LoraReadingEntity, async_add_reading_entities

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IoTConnectivityConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a tracker for each position a LoRa device reports, now and later."""
    async_add_reading_entities(
        hass, entry, Platform.DEVICE_TRACKER, LoraPositionTracker, async_add_entities
    )


class LoraPositionTracker(LoraReadingEntity, TrackerEntity):
    """Where a LoRa device last said it was; its altitude as an attribute."""

    _attr_source_type = SourceType.GPS

    @property
    def _position(self) -> Position | None:
        value = self.reading.value
        return value if isinstance(value, Position) else None

    @property
    @override
    def latitude(self) -> float | None:
        return None if (position := self._position) is None else position.latitude

    @property
    @override
    def longitude(self) -> float | None:
        return None if (position := self._position) is None else position.longitude

    @property
    @override
    def location_accuracy(self) -> float:
        position = self._position
        return 0 if position is None or position.accuracy is None else position.accuracy

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        position = self._position
        if position is None or position.altitude is None:
            return None
        return {"altitude": position.altitude}
