"""Fixtures for the Home Assistant side: the integration, an entry per provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    Platform,
)
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components import iot_connectivity
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_LRC_URL,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from custom_components.iot_connectivity.providers import PROVIDERS
from iot_emulator import infobip, kpn_gateway, kpn_lora, onence, tmobile
from iot_emulator.examples import load_example

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import HomeAssistant, State
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from iot_emulator.server import EmulatorServer

FROZEN_TIME = "2026-11-16T12:00:00+00:00"
"""When the snapshot tests run: the emulators' own clock follows it."""

ROUTE = load_example("kpn_lora", "routing_profile_request")["routes"][0]
AS_ID: str = ROUTE["asId"]
AS_KEY: str = ROUTE["asKey"]
"""The route of the document's routing profile: the LRC emulator knows its key."""

CREDENTIALS: dict[Provider, Callable[[str], dict[str, Any]]] = {
    Provider.KPN_IOT_SIM: lambda url: {
        CONF_CLIENT_ID: kpn_gateway.DEFAULT_CLIENT_ID,
        CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
        CONF_URL: url,
    },
    Provider.TMOBILE_EASY_CONNECT: lambda url: {
        CONF_USERNAME: tmobile.DEFAULT_USERNAME,
        CONF_PASSWORD: tmobile.DEFAULT_PASSWORD,
        CONF_URL: url,
    },
    Provider.ONENCE: lambda url: {
        CONF_USERNAME: onence.DEFAULT_USERNAME,
        CONF_PASSWORD: onence.DEFAULT_PASSWORD,
        CONF_URL: url,
    },
    Provider.INFOBIP_IOT: lambda url: {
        CONF_API_KEY: infobip.DEFAULT_API_KEY,
        CONF_URL: url,
    },
    Provider.KPN_LORA: lambda url: {
        CONF_CLIENT_ID: kpn_gateway.DEFAULT_CLIENT_ID,
        CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
        CONF_USERNAME: kpn_lora.DEFAULT_THINGPARK_USERNAME,
        CONF_PASSWORD: kpn_lora.DEFAULT_THINGPARK_PASSWORD,
        CONF_URL: url,
        CONF_LRC_URL: url,
        CONF_AS_ID: AS_ID,
        CONF_AS_KEY: AS_KEY,
    },
}


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """The state of ``entity_id``, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def device_id(hass: HomeAssistant, item_id: str) -> str:
    """The registry id of the device of a SIM (ICCID) or LoRa device (DevEUI)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return dr.async_get_device_id_by_identifier(
        hass, (DOMAIN, item_id), config_entry_id=entry.entry_id
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/iot_connectivity."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise Home Assistant objects as core's tests do.

    The plugin's own override loses to syrupy's fixture of the same name.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default enabled, to test them."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def platforms() -> list[Platform] | None:
    """The platforms to set up; None for all (tests of one platform override this)."""
    return None


@pytest.fixture(params=list(Provider), ids=str)
def provider(request: pytest.FixtureRequest) -> Provider:
    """Each provider in turn; tests for one provider override this."""
    return Provider(request.param)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the mocked entry: the defaults unless a test overrides this."""
    return {}


@pytest.fixture
def mock_config_entry(
    emulator: EmulatorServer, provider: Provider, entry_options: dict[str, Any]
) -> MockConfigEntry:
    """An entry of ``provider``'s demo account on the emulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{PROVIDERS[provider].name} (demo)",
        unique_id=f"{provider}_demo",
        data={
            CONF_PROVIDER: provider.value,
            **CREDENTIALS[provider](emulator.url(provider)),
        },
        options=entry_options,
        entry_id=f"{provider}_entry",
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    platforms: list[Platform] | None,
) -> MockConfigEntry:
    """The entry, set up (with only ``platforms`` when given)."""
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.iot_connectivity.PLATFORMS",
        platforms or iot_connectivity.PLATFORMS,
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def webhook_url(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> str:
    """The entry's webhook on Home Assistant's HTTP server, on a real port."""
    client = await hass_client_no_auth()
    path = f"/api/webhook/{init_integration.data[CONF_WEBHOOK_ID]}"
    return str(client.make_url(path))
