"""Home Assistant's own floor: the time to add trivial entities and devices.

A stand-in integration adds as many entities, enabled and disabled, on as many
devices and on the same platforms as an ``iot_connectivity`` entry did, with
constant states and no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.button import ButtonEntity
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.components.event import EventEntity
from homeassistant.components.notify import NotifyEntity
from homeassistant.components.number import NumberEntity
from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import SensorEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigFlow
from homeassistant.const import Platform
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
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
    """What an entry registered: entities (of them enabled) and devices.

    ``platforms`` splits the entities by platform: (platform, entities, enabled).
    """

    entities: int
    enabled: int
    devices: int
    platforms: tuple[tuple[str, int, int], ...] = ()


class TrivialEntity(Entity):
    """An entity with a constant state, a unique id and a device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, device: str, key: str, *, enabled: bool) -> None:
        """Entity ``key`` of device ``device``."""
        self._attr_unique_id = f"{device}_{key}"
        self._attr_name = f"Value {key}"
        self._attr_entity_registry_enabled_default = enabled
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device)}, name=f"Device {device}"
        )


class TrivialSensor(TrivialEntity, SensorEntity):
    """A sensor that reads 1."""

    _attr_native_value = 1


class TrivialBinarySensor(TrivialEntity, BinarySensorEntity):
    """A binary sensor that is off."""

    _attr_is_on = False


class TrivialSwitch(TrivialEntity, SwitchEntity):
    """A switch that stays off."""

    _attr_is_on = False

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Do nothing."""

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Do nothing."""


class TrivialButton(TrivialEntity, ButtonEntity):
    """A button that does nothing."""

    async def async_press(self) -> None:
        """Do nothing."""


class TrivialNotify(TrivialEntity, NotifyEntity):
    """A notifier that sends nothing."""

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Do nothing."""


class TrivialEvent(TrivialEntity, EventEntity):
    """An event entity that never fires."""

    _attr_event_types = ["event"]  # noqa: RUF012 - as Home Assistant declares it


class TrivialSelect(TrivialEntity, SelectEntity):
    """A select with one option."""

    _attr_options = ["one"]  # noqa: RUF012 - as Home Assistant declares it
    _attr_current_option = "one"

    async def async_select_option(self, option: str) -> None:
        """Do nothing."""


class TrivialNumber(TrivialEntity, NumberEntity):
    """A number that reads 1."""

    _attr_native_value = 1

    async def async_set_native_value(self, value: float) -> None:
        """Do nothing."""


class TrivialTracker(TrivialEntity, TrackerEntity):
    """A tracker at a fixed GPS position."""

    _attr_latitude = 52.09
    _attr_longitude = 5.12


TRIVIAL: dict[str, type[TrivialEntity]] = {
    Platform.SENSOR: TrivialSensor,
    Platform.BINARY_SENSOR: TrivialBinarySensor,
    Platform.SWITCH: TrivialSwitch,
    Platform.BUTTON: TrivialButton,
    Platform.NOTIFY: TrivialNotify,
    Platform.EVENT: TrivialEvent,
    Platform.SELECT: TrivialSelect,
    Platform.NUMBER: TrivialNumber,
    Platform.DEVICE_TRACKER: TrivialTracker,
}
"""A trivial entity for every platform the integration adds entities to."""


def trivial_entities(
    count: EntityCount, platform: str, prefix: str
) -> list[TrivialEntity]:
    """The platform's share of ``count``, spread evenly over its devices."""
    devices = max(count.devices, 1)
    kind = TRIVIAL[platform]
    for name, entities, enabled in count.platforms:
        if name == platform:
            return [
                kind(
                    f"{prefix}_{index % devices}",
                    f"{platform}_{index}",
                    enabled=index < enabled,
                )
                for index in range(entities)
            ]
    return []


class FloorConfigFlow(ConfigFlow, domain=DOMAIN):
    """The stand-in's config flow: entries are made directly, never through it."""


@contextmanager
def floor_integration(hass: HomeAssistant) -> Iterator[None]:
    """Make the stand-in integration and its sensor platform loadable."""

    async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        count = _count(entry)
        await hass.config_entries.async_forward_entry_setups(
            entry, [Platform(platform) for platform, _, _ in count.platforms]
        )
        return True

    def platform_setup(platform: str) -> Any:
        async def async_setup_platform(
            hass: HomeAssistant,
            entry: ConfigEntry,
            async_add_entities: AddEntitiesCallback,
        ) -> None:
            del hass
            async_add_entities(
                trivial_entities(_count(entry), platform, prefix=entry.entry_id)
            )

        return async_setup_platform

    mock_integration(hass, MockModule(DOMAIN, async_setup_entry=async_setup_entry))
    mock_platform(hass, f"{DOMAIN}.config_flow")
    for platform in TRIVIAL:
        mock_platform(
            hass,
            f"{DOMAIN}.{platform}",
            MockPlatform(async_setup_entry=platform_setup(platform)),
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
            "platforms": [list(platform) for platform in count.platforms],
        },
    )


def _count(entry: ConfigEntry) -> EntityCount:
    """The count a floor entry was made with."""
    data = entry.data
    return EntityCount(
        entities=data["entities"],
        enabled=data["enabled"],
        devices=data["devices"],
        platforms=tuple(
            (str(name), int(entities), int(enabled))
            for name, entities, enabled in data["platforms"]
        ),
    )
