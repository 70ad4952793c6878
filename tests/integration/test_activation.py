"""KPN LoRa activation: once when the account is added, not at every start."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_CLIENT_SECRET, CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_ACTIVATED,
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_LRC_URL,
    DOMAIN,
)
from iot_emulator import kpn_gateway, kpn_lora

from .conftest import CREDENTIALS, state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.kpn_lora import KpnLoraEmulator
    from iot_emulator.server import EmulatorServer

NEW_THINGPARK_PASSWORD = "changed-thingpark-password"
HEALTH = "sensor.alarm_device_32611_health"


@pytest.fixture
def provider() -> Provider:
    """Only KPN LoRa activates."""
    return Provider.KPN_LORA


@pytest.fixture
def lora(emulator: EmulatorServer) -> KpnLoraEmulator:
    """The KPN LoRa emulator."""
    emulated: KpnLoraEmulator = emulator.kpn_lora
    return emulated


def activations(lora: KpnLoraEmulator) -> int:
    """How many times the project was activated."""
    return len(lora.requests_to("activate"))


async def test_activated_once_when_added(
    hass: HomeAssistant, emulator: EmulatorServer, lora: KpnLoraEmulator
) -> None:
    """Adding the account activates the project once; starts do not again."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": Provider.KPN_LORA}
    )
    credentials = CREDENTIALS[Provider.KPN_LORA](emulator.url(Provider.KPN_LORA))
    downlinks = {
        key: credentials.pop(key) for key in (CONF_AS_ID, CONF_AS_KEY, CONF_LRC_URL)
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials, "downlinks": downlinks}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_ACTIVATED] is True
    assert activations(lora) == 1

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert activations(lora) == 1


async def test_entry_from_before_remembers_its_activation(
    hass: HomeAssistant,
    lora: KpnLoraEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """An entry that never recorded an activation activates once, then remembers."""
    assert init_integration.data[CONF_ACTIVATED] is True
    assert activations(lora) == 1

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert activations(lora) == 1


async def test_reauthentication_activates_with_the_new_credentials(
    hass: HomeAssistant,
    lora: KpnLoraEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """New ThingPark credentials activate the project again."""
    hass.config_entries.async_update_entry(
        init_integration,
        unique_id=f"{Provider.KPN_LORA}_{kpn_lora.DEFAULT_THINGPARK_USERNAME.lower()}",
    )
    lora.thingpark_users[kpn_lora.DEFAULT_THINGPARK_USERNAME] = NEW_THINGPARK_PASSWORD
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
            CONF_PASSWORD: NEW_THINGPARK_PASSWORD,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_PASSWORD] == NEW_THINGPARK_PASSWORD
    assert init_integration.state is ConfigEntryState.LOADED
    [*_, activation] = lora.requests_to("activate")
    assert activation.json()["thingpark_password"] == NEW_THINGPARK_PASSWORD
    # At the first start, and by the reauthentication: not by the reload after it.
    assert activations(lora) == 2


async def test_lost_activation_is_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lora: KpnLoraEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """When the API says the project is not activated, it is activated again."""
    lora.activated.clear()

    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, HEALTH).state != STATE_UNAVAILABLE
    assert activations(lora) == 2
    assert kpn_gateway.DEFAULT_CLIENT_ID in lora.activated
