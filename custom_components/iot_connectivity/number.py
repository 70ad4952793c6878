"""Numbers: the reporting interval a LoRa device is expected to keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfTime

from .entity import IoTConnectivityEntityDescription, async_add_item_entities
from .lora_readings import MAX_INTERVAL_MINUTES, LoraDeviceEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IoTConnectivityConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ReportingIntervalDescription(
    IoTConnectivityEntityDescription[Any], NumberEntityDescription
):
    """The reporting interval override of a LoRa device."""


REPORTING_INTERVAL = ReportingIntervalDescription(
    key="reporting_interval",
    translation_key="reporting_interval",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
    device_class=NumberDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.MINUTES,
    native_min_value=0,
    native_max_value=MAX_INTERVAL_MINUTES,
    native_step=1,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a reporting interval to every LoRa device."""
    if (lora := entry.runtime_data.lora) is not None:
        async_add_item_entities(
            lora, (REPORTING_INTERVAL,), ReportingIntervalNumber, async_add_entities
        )


class ReportingIntervalNumber(LoraDeviceEntity, NumberEntity):
    """Minutes between the device's uplinks; 0: learned from its recent uplinks."""

    entity_description: ReportingIntervalDescription

    @property
    @override
    def native_value(self) -> float:
        return self.device.interval_override or 0

    @override
    async def async_set_native_value(self, value: float) -> None:
        self.readings.async_set_interval(self.eui, round(value) or None)
        self.async_write_ha_state()
