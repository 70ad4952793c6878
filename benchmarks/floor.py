"""Home Assistant's own floor: the time to add trivial entities and devices.

A stand-in integration adds as many entities, enabled and disabled, on as many
devices as an ``iot_connectivity`` entry did, with constant states and no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigFlow
from homeassistant.const import Platform
from homeassistant.helpers.device_registry import DeviceInfo
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddEntitiesCallback

DOMAIN = "bench_floor"


@dataclass(frozen=True, slots=True)
class EntityCount:
    """What an entry registered: entities (of them enabled) and devices."""

    entities: int
    enabled: int
    devices: int


class TrivialSensor(SensorEntity):
    """A sensor with a constant state, a unique id and a device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_native_value = 1

    def __init__(self, device: str, index: int, *, enabled: bool) -> None:
        """Entity ``index`` of device ``device``."""
        self._attr_unique_id = f"{device}_{index}"
        self._attr_name = f"Value {index}"
        self._attr_entity_registry_enabled_default = enabled
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device)}, name=f"Device {device}"
        )


def trivial_entities(count: EntityCount, prefix: str) -> list[TrivialSensor]:
    """``count`` entities spread evenly over ``count.devices`` devices."""
    devices = max(count.devices, 1)
    return [
        TrivialSensor(
            f"{prefix}_{index % devices}", index, enabled=index < count.enabled
        )
        for index in range(count.entities)
    ]


class FloorConfigFlow(ConfigFlow, domain=DOMAIN):
    """The stand-in's config flow: entries are made directly, never through it."""


@contextmanager
def floor_integration(hass: HomeAssistant) -> Iterator[None]:
    """Make the stand-in integration and its sensor platform loadable."""

    async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, [Platform.SENSOR])
        return True

    async def async_setup_sensors(
        hass: HomeAssistant,
        entry: ConfigEntry,
        async_add_entities: AddEntitiesCallback,
    ) -> None:
        del hass
        async_add_entities(
            trivial_entities(EntityCount(**entry.data), prefix=entry.entry_id)
        )

    mock_integration(hass, MockModule(DOMAIN, async_setup_entry=async_setup_entry))
    mock_platform(hass, f"{DOMAIN}.config_flow")
    mock_platform(
        hass, f"{DOMAIN}.sensor", MockPlatform(async_setup_entry=async_setup_sensors)
    )
    with mock_config_flow(DOMAIN, FloorConfigFlow):
        yield


def floor_entry(count: EntityCount, name: str) -> MockConfigEntry:
    """A config entry of the stand-in integration that adds ``count``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=name,
        entry_id=f"floor_{name}",
        data={
            "entities": count.entities,
            "enabled": count.enabled,
            "devices": count.devices,
        },
    )
