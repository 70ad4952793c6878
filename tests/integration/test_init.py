"""Setting up, retrying, reauthenticating and unloading provider accounts."""

from __future__ import annotations

from datetime import timedelta
import re
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.components import cloud
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    STATE_UNAVAILABLE,
)
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.iot_connectivity import async_remove_config_entry_device
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_ENTITY_GROUPS,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_SMS_RECEIVED,
)
from iot_emulator import tmobile
from iot_emulator.core import Fault, FaultKind

from .conftest import state_of

if TYPE_CHECKING:
    import aiohttp
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from iot_emulator.server import EmulatorServer

SECRETS = (CONF_API_KEY, CONF_CLIENT_SECRET, CONF_PASSWORD)

SLOW_DATA_ENDPOINT = {
    Provider.KPN_IOT_SIM: "session_status",
    Provider.TMOBILE_EASY_CONNECT: "usage",
    Provider.ONENCE: "usage",
    Provider.INFOBIP_IOT: "usage_monthly",
    Provider.KPN_LORA: "connectivity_plans",
}
"""An endpoint read after the credentials were proven, by a second coordinator."""


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each provider's demo account loads and unloads."""
    assert hass.config_entries.async_loaded_entries(DOMAIN) == [init_integration]

    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_provider_unavailable_retries_setup(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A provider answering 503 to everything makes setup retry, then succeed."""
    faults = emulator.providers[provider].faults
    faults.add(Fault(kind=FaultKind.STATUS, status=503))
    mock_config_entry.add_to_hass(hass)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    faults.clear()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_loaded_entries(DOMAIN) == [mock_config_entry]


async def test_first_refresh_failure_retries_setup(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Credentials that work but data that cannot be read also retry setup."""
    emulator.providers[provider].faults.add(
        Fault(kind=FaultKind.STATUS, endpoint=SLOW_DATA_ENDPOINT[provider], status=500)
    )
    mock_config_entry.add_to_hass(hass)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_wrong_credentials_start_reauth(
    hass: HomeAssistant, provider: Provider, mock_config_entry: MockConfigEntry
) -> None:
    """Refused credentials fail setup and start the reauthentication flow."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            key: "wrong" if key in SECRETS else value
            for key, value in mock_config_entry.data.items()
        },
    )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_hub_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """The account is a service device every SIM or LoRa device hangs off."""
    hub = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{init_integration.unique_id}"), init_integration.entry_id
    )
    assert hub is not None
    assert hub.name == init_integration.title
    assert hub.entry_type is dr.DeviceEntryType.SERVICE
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert len(devices) > 1
    assert all(device.via_device_id == hub.id for device in devices if device != hub)


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_remove_device(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Only a device the provider no longer lists may be deleted by the user."""
    hub, *sims = sorted(
        dr.async_entries_for_config_entry(device_registry, init_integration.entry_id),
        key=lambda device: device.serial_number or "",
    )
    assert not await async_remove_config_entry_device(hass, init_integration, hub)
    assert not await async_remove_config_entry_device(hass, init_integration, sims[0])

    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "8900000000")}
    )
    assert await async_remove_config_entry_device(hass, init_integration, stale)


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_options_change_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """New options take effect at once: a longer interval, no usage entities."""
    assert hass.states.get("sensor.1st_activated_data_used_this_period")
    flow = await hass.config_entries.options.async_init(init_integration.entry_id)

    await hass.config_entries.options.async_configure(
        flow["flow_id"],
        {CONF_SIM_INTERVAL: 10, CONF_USAGE_INTERVAL: 60, CONF_ENTITY_GROUPS: []},
    )
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    data = init_integration.runtime_data
    assert data.traffic is None
    assert data.sims is not None
    assert data.sims.update_interval == timedelta(minutes=10)
    # No longer provided: only the registry entry's restored placeholder is left.
    state = state_of(hass, "sensor.1st_activated_data_used_this_period")
    assert state.state == STATE_UNAVAILABLE
    assert state.attributes["restored"]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_device_gone_while_stopped_is_removed(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A device the provider dropped while Home Assistant was stopped goes at setup."""
    mock_config_entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "0059AC00000DEAD0")},
    )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, "0059AC00000DEAD0"), mock_config_entry.entry_id
        )
        is None
    )


@pytest.mark.parametrize(
    ("provider", "pushes"),
    [
        (Provider.KPN_IOT_SIM, False),
        (Provider.TMOBILE_EASY_CONNECT, True),
        (Provider.INFOBIP_IOT, False),
        (Provider.KPN_LORA, True),
    ],
)
async def test_webhook_created_once(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_integration: MockConfigEntry,
    pushes: bool,
) -> None:
    """A provider that pushes gets a random webhook, kept across reloads."""
    webhook_id = init_integration.data.get(CONF_WEBHOOK_ID)

    assert (webhook_id is not None) is pushes
    if webhook_id is not None:
        assert re.fullmatch("[0-9a-f]{64}", webhook_id)
        assert webhook_id in await webhooks(hass, hass_ws_client)

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.data.get(CONF_WEBHOOK_ID) == webhook_id


async def webhooks(hass: HomeAssistant, ws_client: WebSocketGenerator) -> set[str]:
    """The ids of the registered webhooks, as the webhook/list command lists them."""
    client = await ws_client(hass)
    await client.send_json_auto_id({"type": "webhook/list"})
    answer = await client.receive_json()
    assert answer["success"]
    return {hook["webhook_id"] for hook in answer["result"]}


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_unload_unregisters_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """After unloading, pushes reach nothing: no event, and PATCH is refused."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    (result,) = await tmobile.push_sms_mo(
        http_session, webhook_url, iccid="8988280666000001234", text="Anyone?"
    )
    report = await tmobile.push_delivery_report(
        http_session, webhook_url, sms_id=1, iccid="8988280666000001234"
    )

    # The webhook component answers 200 for unknown webhooks, revealing nothing.
    assert (result.status, report.status) == (200, 405)
    assert not events


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("cloud_active", [True, False])
async def test_remove_deletes_cloudhook(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud_active: bool
) -> None:
    """Removing the entry removes its cloudhook, when Home Assistant Cloud is on."""
    with (
        patch.object(cloud, "async_active_subscription", return_value=cloud_active),
        patch.object(cloud, "async_delete_cloudhook") as delete,
    ):
        await hass.config_entries.async_remove(init_integration.entry_id)

    if cloud_active:
        delete.assert_awaited_once_with(hass, init_integration.data[CONF_WEBHOOK_ID])
    else:
        delete.assert_not_called()


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_remove_without_webhook(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An entry without a webhook has no cloudhook to remove."""
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(cloud, "async_delete_cloudhook") as delete,
    ):
        await hass.config_entries.async_remove(init_integration.entry_id)

    delete.assert_not_called()


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_remove_with_cloud_unavailable(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A cloud that cannot be reached does not stop the removal."""
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(
            cloud, "async_delete_cloudhook", side_effect=cloud.CloudNotAvailable
        ),
    ):
        await hass.config_entries.async_remove(init_integration.entry_id)

    assert not hass.config_entries.async_entries(DOMAIN)
