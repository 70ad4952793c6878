"""The IoT Connectivity integration: IoT SIM cards and LoRaWAN devices."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api.base import SimClient
from .api.errors import IoTConnectivityError
from .const import CONF_ENTITY_GROUPS, CONF_WEBHOOK_ID, DOMAIN, ENTITY_GROUPS
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
from .forecast import async_attach_forecast
from .helpers import async_delete_entry_issues, async_remove_entry_stores, setup_error
from .history import async_attach_history
from .imei_watch import async_watch_imeis
from .lora_readings import LoraReadings
from .providers import spec_of
from .quota import async_watch_quotas
from .services import async_setup_services
from .webhook import (
    PatchView,
    async_delete_cloudhook,
    async_migrate_push_log,
    async_register_webhook,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.DEVICE_TRACKER,
    Platform.NUMBER,
    Platform.SELECT,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: its actions, and PATCH at the webhook URL."""
    async_setup_services(hass)
    hass.http.register_view(PatchView)
    await async_migrate_push_log(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> bool:
    """Set up one provider account."""
    spec = spec_of(entry)
    client = spec.create_client(
        async_get_clientsession(hass), entry.data, sign_in=False
    )
    try:
        await client.get_account()
    except IoTConnectivityError as err:
        # Refused credentials (an activation refused with them too) start
        # reauthentication; anything else retries.
        raise setup_error(err) from err
    # An entry from before activations were remembered activated just now.
    if not (state := spec.remembered(client)).items() <= entry.data.items():
        hass.config_entries.async_update_entry(entry, data={**entry.data, **state})

    data = IoTConnectivityData(
        spec=spec,
        client=client,
        entity_groups=frozenset(entry.options.get(CONF_ENTITY_GROUPS, ENTITY_GROUPS)),
    )
    if isinstance(client, SimClient):
        data.sims = sims = SimCoordinator(hass, entry, client)
        # The traffic coordinator reads the SIMs the SIM coordinator listed.
        await sims.async_config_entry_first_refresh()
        if groups := traffic_groups(spec.capabilities, data.entity_groups):
            data.traffic = traffic = TrafficCoordinator(hass, entry, sims, groups)
            data.forecast = await async_attach_forecast(hass, entry, traffic)
            data.history = await async_attach_history(hass, entry, sims, traffic)
            await traffic.async_config_entry_first_refresh()
    else:
        data.lora = lora = LoraCoordinator(hass, entry, client, data.entity_groups)
        data.plans = plans = PlanCoordinator(hass, entry, client)
        await asyncio.gather(
            lora.async_config_entry_first_refresh(),
            plans.async_config_entry_first_refresh(),
        )
    entry.runtime_data = data
    if data.lora is not None:
        data.readings = readings = LoraReadings(hass, entry)
        await readings.async_load()
        entry.async_on_unload(readings.async_unload)

    # Created before the platforms, so SIM and LoRa devices can name it as via_device.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **hub_device_info(entry)
    )
    if spec.push is not None:
        await async_register_webhook(hass, entry, spec.push)
    async_watch_quotas(hass, entry)
    data.imei_watch = await async_watch_imeis(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> bool:
    """Unload one provider account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> None:
    """Remove the entry's cloudhook, its repair issues and what it stored."""
    async_delete_entry_issues(hass, entry)
    if CONF_WEBHOOK_ID in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    await async_remove_entry_stores(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant,
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
