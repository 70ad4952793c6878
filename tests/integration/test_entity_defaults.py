"""Which entities of a SIM or LoRa device are enabled by default."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.const import Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.budget import MIN_SLICE as MIN_SLICE_SECONDS
from custom_components.iot_connectivity.const import DOMAIN

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

MIN_SLICE: Final = timedelta(seconds=MIN_SLICE_SECONDS)
TURNS: Final = 4
"""Turns of reads in the budget's slices: more than the emulators' demo SIMs need."""
MAX_ENABLED_PER_ITEM: Final = 8
"""Home Assistant enables at most 10,000 entities per entry: 1,250 items' worth."""

MANAGEMENT_API_ENABLED: Final = {
    (Platform.SENSOR, "status"),
    (Platform.BINARY_SENSOR, "online"),
    (Platform.SWITCH, "active"),
    (Platform.SENSOR, "data_used"),
    (Platform.SENSOR, "data_quota_left"),
    (Platform.SENSOR, "sms_quota_left"),
    (Platform.SENSOR, "last_seen"),
    (Platform.EVENT, "sms"),
}
"""T-Mobile and 1NCE: the management API's SIMs have the same entities."""

ENABLED_BY_DEFAULT: Final[dict[Provider, set[tuple[Platform, str]]]] = {
    Provider.KPN_IOT_SIM: {
        (Platform.SENSOR, "status"),
        (Platform.BINARY_SENSOR, "online"),
        (Platform.SWITCH, "active"),
        (Platform.SENSOR, "operator"),
        (Platform.SENSOR, "last_seen"),
        (Platform.BINARY_SENSOR, "imei_changed"),
        (Platform.BUTTON, "acknowledge_imei_change"),
    },
    Provider.TMOBILE_EASY_CONNECT: MANAGEMENT_API_ENABLED,
    Provider.ONENCE: MANAGEMENT_API_ENABLED,
    Provider.INFOBIP_IOT: {
        (Platform.SENSOR, "status"),
        (Platform.SWITCH, "active"),
        (Platform.SENSOR, "data_used"),
        (Platform.BUTTON, "run_diagnostics"),
    },
    Provider.KPN_LORA: {
        (Platform.SENSOR, "health_state"),
        (Platform.SENSOR, "last_rssi"),
        (Platform.SENSOR, "battery"),
        (Platform.BINARY_SENSOR, "alarm"),
        (Platform.SENSOR, "last_uplink"),
        (Platform.EVENT, "uplink"),
        # Issue 14: in place of last_snr and alarm_severity (the alarm's attributes)
        (Platform.BINARY_SENSOR, "reporting"),
        (Platform.SELECT, "payload_format"),
    },
}
"""Per provider, the (platform, key) of every entity of an item enabled by default."""


async def test_enabled_by_default(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    provider: Provider,
    init_integration: MockConfigEntry,
) -> None:
    """Every SIM or LoRa device has the same few entities enabled, the rest disabled.

    A thousand items then stay within Home Assistant's enabled entities per entry.
    """
    assert len(ENABLED_BY_DEFAULT[provider]) <= MAX_ENABLED_PER_ITEM
    # SIMs are read in turns under the request budget: let every SIM have its turn.
    for _ in range(TURNS):
        freezer.tick(MIN_SLICE)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    items = [
        device
        for device in dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
        if device.entry_type is None
    ]
    assert items
    for device in items:
        (item_id,) = (ident for domain, ident in device.identifiers if domain == DOMAIN)
        prefix = f"{init_integration.unique_id}_{item_id}_"
        entities = er.async_entries_for_device(
            entity_registry, device.id, include_disabled_entities=True
        )
        enabled = {
            (entity.domain, entity.unique_id.removeprefix(prefix))
            for entity in entities
            if not entity.disabled
        }
        assert enabled == ENABLED_BY_DEFAULT[provider], device.name
        # The others are created all the same, for the user to enable.
        assert len(entities) > len(enabled), device.name
