"""The IoT Connectivity integration: IoT SIM cards and LoRaWAN devices."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .api.base import SimClient
from .api.errors import AuthenticationError, IoTConnectivityError
from .client import create_client
from .const import CONF_ENTITY_GROUPS, DOMAIN, ENTITY_GROUPS
from .coordinator import (
    IoTConnectivityConfigEntry,
    IoTConnectivityData,
    LoraCoordinator,
    PlanCoordinator,
    SimCoordinator,
    TrafficCoordinator,
    hub_device_info,
    hub_identifier,
    traffic_groups,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]


async def async_setup(
    hass: HomeAssistant,  # noqa: ARG001 - Home Assistant's setup signature
    config: ConfigType,  # noqa: ARG001
) -> bool:
    """Set up the integration; actions are registered here once."""
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> bool:
    """Set up one provider account."""
    client = create_client(hass, entry.data)
    try:
        await client.get_account()
    except AuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except IoTConnectivityError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_failed",
            translation_placeholders={"error": str(err)},
        ) from err

    data = IoTConnectivityData(
        client=client,
        entity_groups=frozenset(entry.options.get(CONF_ENTITY_GROUPS, ENTITY_GROUPS)),
    )
    if isinstance(client, SimClient):
        data.sims = sims = SimCoordinator(hass, entry, client)
        # The traffic coordinator reads the SIMs the SIM coordinator listed.
        await sims.async_config_entry_first_refresh()
        if groups := traffic_groups(client.capabilities, data.entity_groups):
            data.traffic = traffic = TrafficCoordinator(hass, entry, sims, groups)
            await traffic.async_config_entry_first_refresh()
    else:
        data.lora = lora = LoraCoordinator(hass, entry, client, data.entity_groups)
        data.plans = plans = PlanCoordinator(hass, entry, client)
        await asyncio.gather(
            lora.async_config_entry_first_refresh(),
            plans.async_config_entry_first_refresh(),
        )
    entry.runtime_data = data

    # Created before the platforms, so SIM and LoRa devices can name it as via_device.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **hub_device_info(entry)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> bool:
    """Unload one provider account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant,  # noqa: ARG001 - Home Assistant's signature
    entry: IoTConnectivityConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    """Let the user delete a device the provider no longer lists."""
    data = entry.runtime_data
    current = {
        (DOMAIN, item_id)
        for coordinator in (data.sims, data.lora)
        if coordinator is not None
        for item_id in coordinator.items
    }
    return not device.identifiers & (current | {hub_identifier(entry)})
