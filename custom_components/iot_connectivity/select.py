"""Selects: how each LoRa device's uplink payloads are decoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory

from .api.reading_types import PayloadFormat
from .entity import IoTConnectivityEntityDescription, async_add_item_entities
from .lora_readings import LoraDeviceEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IoTConnectivityConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PayloadFormatDescription(
    IoTConnectivityEntityDescription[Any], SelectEntityDescription
):
    """The payload format select of a LoRa device."""


PAYLOAD_FORMAT = PayloadFormatDescription(
    key="payload_format",
    translation_key="payload_format",
    entity_category=EntityCategory.CONFIG,
    options=[payload_format.value for payload_format in PayloadFormat],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a payload format select to every LoRa device."""
    if (lora := entry.runtime_data.lora) is not None:
        async_add_item_entities(
            lora, (PAYLOAD_FORMAT,), PayloadFormatSelect, async_add_entities
        )


class PayloadFormatSelect(LoraDeviceEntity, SelectEntity):
    """The format the device's next uplinks are decoded in; no restart needed."""

    entity_description: PayloadFormatDescription

    @property
    @override
    def current_option(self) -> str:
        return self.device.payload_format.value

    @override
    async def async_select_option(self, option: str) -> None:
        self.readings.async_set_format(self.eui, PayloadFormat(option))
        self.async_write_ha_state()
