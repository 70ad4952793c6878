"""KPN LoRa activation: once when the account is added, not at every start.

A refused activation is refused credentials: reauthentication asks for them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_CLIENT_SECRET, CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
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
from iot_emulator.core import Fault, FaultKind

from .conftest import CREDENTIALS, state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.kpn_lora import KpnLoraEmulator
    from iot_emulator.server import EmulatorServer

NEW_THINGPARK_PASSWORD = "changed-thingpark-password"
HEALTH = "sensor.alarm_device_32611_health"
ACCOUNT_ID = f"{Provider.KPN_LORA}_{kpn_lora.DEFAULT_THINGPARK_USERNAME.lower()}"
"""The unique id the config flow gives the demo account."""


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
    change_thingpark_password(lora)
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


def change_thingpark_password(lora: KpnLoraEmulator) -> None:
    """The ThingPark user's password changes: activating with the old one fails."""
    lora.thingpark_users[kpn_lora.DEFAULT_THINGPARK_USERNAME] = NEW_THINGPARK_PASSWORD


def entry_state(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state now (a call, so checks before and after a change type-check)."""
    return entry.state


def our_issues(hass: HomeAssistant) -> list[str]:
    """The ids of this integration's repair issues."""
    return [
        issue_id for domain, issue_id in ir.async_get(hass).issues if domain == DOMAIN
    ]


def reauth_flows(hass: HomeAssistant) -> list[ConfigFlowResult]:
    """The reauthentication flows in progress."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def reauthenticate(
    hass: HomeAssistant, flow_id: str, thingpark_password: str
) -> Any:
    """Answer the reauthentication form with the app secret and this password."""
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
            CONF_PASSWORD: thingpark_password,
        },
    )
    await hass.async_block_till_done()
    return result


async def test_refused_activation_at_setup_is_reauthenticated(
    hass: HomeAssistant, lora: KpnLoraEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """A project its ThingPark user cannot activate asks for new credentials.

    The reauthentication form says which provider; the still wrong password is
    refused as an activation, the current one activates and loads the entry.
    """
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, unique_id=ACCOUNT_ID)
    change_thingpark_password(lora)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert entry_state(mock_config_entry) is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.error_reason_translation_key == "lora_activation_failed"
    assert not our_issues(hass)
    [flow] = reauth_flows(hass)
    assert flow["context"]["entry_id"] == mock_config_entry.entry_id

    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {
        "provider": "KPN LoRa",
        "name": mock_config_entry.title,
    }
    result = await reauthenticate(hass, flow["flow_id"], "still-wrong")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "activation_failed"}

    result = await reauthenticate(hass, flow["flow_id"], NEW_THINGPARK_PASSWORD)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_PASSWORD] == NEW_THINGPARK_PASSWORD
    assert mock_config_entry.data[CONF_ACTIVATED] is True
    assert entry_state(mock_config_entry) is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("break_gateway", "error"),
    [
        (
            lambda lora: lora.clients.update(
                {kpn_gateway.DEFAULT_CLIENT_ID: "rotated-secret"}
            ),
            "invalid_auth",
        ),
        (
            lambda lora: lora.faults.add(
                Fault(kind=FaultKind.STATUS, endpoint="token", status=503)
            ),
            "cannot_connect",
        ),
    ],
)
async def test_reauthentication_errors_after_a_refused_activation(
    hass: HomeAssistant,
    lora: KpnLoraEmulator,
    mock_config_entry: MockConfigEntry,
    break_gateway: Any,
    error: str,
) -> None:
    """A refused app secret or an unreachable gateway keeps the form open."""
    mock_config_entry.add_to_hass(hass)
    change_thingpark_password(lora)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    break_gateway(lora)
    [flow] = reauth_flows(hass)

    result = await reauthenticate(hass, flow["flow_id"], NEW_THINGPARK_PASSWORD)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR


async def test_refused_activation_while_running_is_reauthenticated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lora: KpnLoraEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A lost activation that the ThingPark user can no longer renew starts reauth."""
    lora.activated.clear()
    change_thingpark_password(lora)

    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, HEALTH).state == STATE_UNAVAILABLE
    [flow] = reauth_flows(hass)
    assert flow["context"]["entry_id"] == init_integration.entry_id
    assert not our_issues(hass)
