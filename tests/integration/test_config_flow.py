"""Config flow tests: every provider against the emulator over real HTTP."""

from __future__ import annotations

from contextlib import nullcontext
import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.components import cloud
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import TextSelector, TextSelectorType
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_ACTIVATED,
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_ENTITY_GROUPS,
    CONF_LORA_INTERVAL,
    CONF_LRC_URL,
    CONF_PLAN_INTERVAL,
    CONF_PROVIDER,
    CONF_QUOTA_WARNING,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    INTERVAL_BOUNDS,
    QUOTA_WARNING_BOUNDS,
)
from custom_components.iot_connectivity.providers import PROVIDERS
from iot_emulator import infobip, kpn_gateway, kpn_lora, onence, tmobile
from iot_emulator.core import Fault, FaultKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

DOWNLINKS = "downlinks"
CLOSED_PORT_URL = "http://127.0.0.1:9"
"""Nothing listens on the discard port: the connection is refused at once."""


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep the flow tests independent of setting up the entry."""
    with patch(
        "custom_components.iot_connectivity.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture(params=list(Provider))
def provider(request: pytest.FixtureRequest) -> Provider:
    """Each provider in turn."""
    return Provider(request.param)


def form_input(emulator: EmulatorServer, provider: Provider) -> dict[str, Any]:
    """The provider step's input with the emulator's demo credentials."""
    url = emulator.url(provider)
    match provider:
        case Provider.KPN_IOT_SIM:
            return {
                CONF_CLIENT_ID: kpn_gateway.DEFAULT_CLIENT_ID,
                CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
                CONF_URL: url,
            }
        case Provider.TMOBILE_EASY_CONNECT:
            return {
                CONF_USERNAME: tmobile.DEFAULT_USERNAME,
                CONF_PASSWORD: tmobile.DEFAULT_PASSWORD,
                CONF_URL: url,
            }
        case Provider.ONENCE:
            return {
                CONF_USERNAME: onence.DEFAULT_USERNAME,
                CONF_PASSWORD: onence.DEFAULT_PASSWORD,
                CONF_URL: url,
            }
        case Provider.INFOBIP_IOT:
            return {CONF_API_KEY: infobip.DEFAULT_API_KEY, CONF_URL: url}
        case Provider.KPN_LORA:
            return {
                CONF_CLIENT_ID: kpn_gateway.DEFAULT_CLIENT_ID,
                CONF_CLIENT_SECRET: kpn_gateway.DEFAULT_CLIENT_SECRET,
                CONF_USERNAME: kpn_lora.DEFAULT_THINGPARK_USERNAME,
                CONF_PASSWORD: kpn_lora.DEFAULT_THINGPARK_PASSWORD,
                CONF_URL: url,
                # The LoRa emulator serves the LRC downlink route on the same origin.
                DOWNLINKS: {
                    CONF_AS_ID: "demo-as",
                    CONF_AS_KEY: "as-key",
                    CONF_LRC_URL: url,
                },
            }


def entry_data(provider: Provider, user_input: dict[str, Any]) -> dict[str, Any]:
    """The entry data the flow stores for ``user_input``: downlinks flattened.

    A KPN LoRa entry also remembers that the flow activated its project.
    """
    downlinks = user_input.get(DOWNLINKS, {})
    fields = {key: value for key, value in user_input.items() if key != DOWNLINKS}
    activated = {CONF_ACTIVATED: True} if provider is Provider.KPN_LORA else {}
    return {CONF_PROVIDER: provider, **fields, **downlinks, **activated}


def account_id(emulator: EmulatorServer, provider: Provider) -> str:
    """The id of the emulator's demo account of ``provider``."""
    return {
        Provider.KPN_IOT_SIM: kpn_gateway.DEFAULT_CLIENT_ID,
        Provider.TMOBILE_EASY_CONNECT: str(tmobile.ORG_ID),
        # A 1NCE API user's name starts with the customer number.
        Provider.ONENCE: onence.ACCOUNT_NUMBER,
        # A personal base URL identifies the Infobip account: here the emulator's.
        Provider.INFOBIP_IOT: emulator.url(provider).removeprefix("http://"),
        Provider.KPN_LORA: kpn_lora.DEFAULT_THINGPARK_USERNAME.lower(),
    }[provider]


TITLES = {
    Provider.KPN_IOT_SIM: "KPN IoT Programmable SIM ({})",
    Provider.TMOBILE_EASY_CONNECT: "T-Mobile IoT Easy Connect ({})",
    # The account is the customer number; the title names the API user.
    Provider.ONENCE: f"1NCE IoT SIM ({onence.DEFAULT_USERNAME})",
    Provider.INFOBIP_IOT: "Infobip IoT SIM ({})",
    # ThingPark user names are ids in lower case, shown as the user typed them.
    Provider.KPN_LORA: f"KPN LoRa ({kpn_lora.DEFAULT_THINGPARK_USERNAME})",
}


def mock_entry(
    emulator: EmulatorServer, provider: Provider, *, unique_id: str | None = None
) -> MockConfigEntry:
    """A configured entry of the emulator's demo account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo account",
        unique_id=unique_id or f"{provider}_{account_id(emulator, provider)}",
        data=entry_data(provider, form_input(emulator, provider)),
    )


TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations"
PLACEHOLDER = re.compile(r"{(\w+)}")


def assert_placeholders_given(result: ConfigFlowResult, flow: str) -> None:
    """Every placeholder of the form's text, in every language, has its value."""
    given = set(result["description_placeholders"] or {})
    for language in TRANSLATIONS.glob("*.json"):
        step = json.loads(language.read_text())[flow]["step"][result["step_id"]]
        texts = [
            step.get("description", ""),
            *step.get("data_description", {}).values(),
        ]
        used = {name for text in texts for name in PLACEHOLDER.findall(text)}
        assert used <= given, f"{language.name}: {used - given} not given"


def suggested_values(schema: probatio.Schema | None) -> dict[str, Any]:
    """The values a form shows pre-filled, sections flattened."""
    assert schema is not None
    values: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            values |= suggested_values(value.schema)
        elif key.description and "suggested_value" in key.description:
            values[str(key)] = key.description["suggested_value"]
    return values


def defaults_of(schema: probatio.Schema) -> dict[str, Any]:
    """The values a form starts with, sections nested."""
    defaults: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            defaults[str(key)] = defaults_of(value.schema)
        elif key.default is not probatio.UNDEFINED:
            defaults[str(key)] = key.default()
    return defaults


def field_names(schema: probatio.Schema | None) -> list[str]:
    """The fields a form asks for, in order."""
    assert schema is not None
    return [str(key) for key in schema.schema]


async def start_provider_step(hass: HomeAssistant, provider: Provider) -> str:
    """Open the user flow's menu, choose ``provider``, return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    # Members of an API family stand together.
    assert result["menu_options"] == [
        Provider.KPN_IOT_SIM,
        Provider.TMOBILE_EASY_CONNECT,
        Provider.ONENCE,
        Provider.INFOBIP_IOT,
        Provider.KPN_LORA,
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    assert result["errors"] == {}
    return result["flow_id"]


async def assert_creates_entry(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    flow_id: str,
    user_input: dict[str, Any],
) -> None:
    """Submit ``user_input`` and check the entry it creates."""
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == f"{provider}_{account_id(emulator, provider)}"
    assert entry.data == entry_data(provider, user_input)
    assert entry.title == TITLES[provider].format(account_id(emulator, provider))
    assert not entry.options


async def test_user_flow(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    mock_setup_entry: AsyncMock,
) -> None:
    """Each provider's happy path creates an entry for its account."""
    flow_id = await start_provider_step(hass, provider)

    await assert_creates_entry(
        hass, emulator, provider, flow_id, form_input(emulator, provider)
    )
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(
    ("provider", "fields", "defaults"),
    [
        (
            Provider.KPN_IOT_SIM,
            [CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL],
            {CONF_URL: "https://api-prd.kpn.com"},
        ),
        (
            Provider.TMOBILE_EASY_CONNECT,
            [CONF_USERNAME, CONF_PASSWORD, CONF_URL],
            {CONF_URL: "https://api-easyconnect.iot.t-mobile.nl"},
        ),
        (
            Provider.ONENCE,
            [CONF_USERNAME, CONF_PASSWORD, CONF_URL],
            {CONF_URL: "https://api.1nce.com"},
        ),
        (
            Provider.INFOBIP_IOT,
            [CONF_USERNAME, CONF_PASSWORD, CONF_API_KEY, CONF_URL],
            {CONF_URL: "https://api.infobip.com"},
        ),
        (
            Provider.KPN_LORA,
            [
                CONF_CLIENT_ID,
                CONF_CLIENT_SECRET,
                CONF_USERNAME,
                CONF_PASSWORD,
                CONF_URL,
                DOWNLINKS,
            ],
            {
                CONF_URL: "https://api-prd.kpn.com",
                DOWNLINKS: {CONF_LRC_URL: "https://api.kpn-lora.com"},
            },
        ),
    ],
)
async def test_provider_form(
    hass: HomeAssistant,
    provider: Provider,
    fields: list[str],
    defaults: dict[str, Any],
) -> None:
    """Each provider's form asks what it needs, production addresses preset."""
    flow_id = await start_provider_step(hass, provider)
    result = await hass.config_entries.flow.async_configure(flow_id)
    schema = result["data_schema"]
    assert_placeholders_given(result, "config")

    assert field_names(schema) == fields
    assert schema is not None
    assert defaults_of(schema) == defaults
    text_types = {
        str(key): value.config.get("type")
        for key, value in schema.schema.items()
        if isinstance(value, TextSelector)
    }
    assert text_types[CONF_URL] == TextSelectorType.URL
    for secret in (CONF_CLIENT_SECRET, CONF_PASSWORD, CONF_API_KEY):
        if secret in fields:
            assert text_types[secret] == TextSelectorType.PASSWORD


async def test_infobip_basic_auth(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Infobip also takes a username and password instead of an API key."""
    flow_id = await start_provider_step(hass, Provider.INFOBIP_IOT)

    await assert_creates_entry(
        hass,
        emulator,
        Provider.INFOBIP_IOT,
        flow_id,
        {
            CONF_USERNAME: infobip.DEFAULT_USERNAME,
            CONF_PASSWORD: infobip.DEFAULT_PASSWORD,
            CONF_URL: emulator.url(Provider.INFOBIP_IOT),
        },
    )


async def test_lora_without_downlinks(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """The downlink settings are optional; blanks are not stored."""
    user_input = form_input(emulator, Provider.KPN_LORA)
    user_input[DOWNLINKS] = {CONF_AS_ID: "", CONF_LRC_URL: "https://api.kpn-lora.com"}
    flow_id = await start_provider_step(hass, Provider.KPN_LORA)

    result = await hass.config_entries.flow.async_configure(flow_id, user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_AS_ID not in result["data"]
    assert CONF_AS_KEY not in result["data"]
    assert result["data"][CONF_LRC_URL] == "https://api.kpn-lora.com"


def secret_of(provider: Provider) -> str:
    """The form field whose wrong value the provider refuses."""
    return {
        Provider.KPN_IOT_SIM: CONF_CLIENT_SECRET,
        Provider.TMOBILE_EASY_CONNECT: CONF_PASSWORD,
        Provider.ONENCE: CONF_PASSWORD,
        Provider.INFOBIP_IOT: CONF_API_KEY,
        Provider.KPN_LORA: CONF_CLIENT_SECRET,
    }[provider]


async def test_invalid_auth_then_recover(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """Wrong credentials show invalid_auth; the corrected ones create the entry."""
    user_input = form_input(emulator, provider)
    flow_id = await start_provider_step(hass, provider)

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input | {secret_of(provider): "wrong"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_values(result["data_schema"])[secret_of(provider)] == "wrong"

    await assert_creates_entry(hass, emulator, provider, flow_id, user_input)


async def test_lora_activation_failed_then_recover(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """ThingPark credentials that cannot activate the API show activation_failed."""
    user_input = form_input(emulator, Provider.KPN_LORA)
    flow_id = await start_provider_step(hass, Provider.KPN_LORA)

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input | {CONF_PASSWORD: "wrong"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "activation_failed"}

    await assert_creates_entry(hass, emulator, Provider.KPN_LORA, flow_id, user_input)


async def test_provider_unavailable_then_recover(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """A provider answering 503 shows cannot_connect until it recovers."""
    faults = emulator.providers[provider].faults
    faults.add(Fault(kind=FaultKind.STATUS, status=503))
    flow_id = await start_provider_step(hass, provider)

    result = await hass.config_entries.flow.async_configure(
        flow_id, form_input(emulator, provider)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    faults.clear()
    await assert_creates_entry(
        hass, emulator, provider, flow_id, form_input(emulator, provider)
    )


async def test_closed_port_then_recover(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """A URL where nothing listens shows cannot_connect; the right URL works."""
    user_input = form_input(emulator, provider)
    flow_id = await start_provider_step(hass, provider)

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input | {CONF_URL: CLOSED_PORT_URL}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested_values(result["data_schema"])[CONF_URL] == CLOSED_PORT_URL

    await assert_creates_entry(hass, emulator, provider, flow_id, user_input)


async def test_unexpected_error_then_recover(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error outside the library shows unknown and is logged."""
    flow_id = await start_provider_step(hass, provider)
    spec = PROVIDERS[provider]
    client = spec.create_client(
        async_get_clientsession(hass),
        entry_data(provider, form_input(emulator, provider)),
        sign_in=True,
    )

    with patch.object(type(client), "get_account", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.flow.async_configure(
            flow_id, form_input(emulator, provider)
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert f"Unexpected error signing in to {spec.name}" in caplog.text

    await assert_creates_entry(
        hass, emulator, provider, flow_id, form_input(emulator, provider)
    )


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({}, CONF_USERNAME),
        ({CONF_USERNAME: infobip.DEFAULT_USERNAME}, CONF_PASSWORD),
        ({CONF_PASSWORD: infobip.DEFAULT_PASSWORD}, CONF_USERNAME),
        (
            {CONF_USERNAME: infobip.DEFAULT_USERNAME, CONF_API_KEY: "key"},
            CONF_API_KEY,
        ),
    ],
)
async def test_infobip_login_or_api_key(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    credentials: dict[str, str],
    field: str,
) -> None:
    """Infobip needs a username and password or an API key, exactly one of them."""
    url = emulator.url(Provider.INFOBIP_IOT)
    flow_id = await start_provider_step(hass, Provider.INFOBIP_IOT)

    result = await hass.config_entries.flow.async_configure(
        flow_id, credentials | {CONF_URL: url}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "login_or_api_key"}
    assert not emulator.infobip.requests

    await assert_creates_entry(
        hass,
        emulator,
        Provider.INFOBIP_IOT,
        flow_id,
        form_input(emulator, Provider.INFOBIP_IOT),
    )


async def test_already_configured(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """The same account cannot be added twice."""
    mock_entry(emulator, provider).add_to_hass(hass)
    flow_id = await start_provider_step(hass, provider)

    result = await hass.config_entries.flow.async_configure(
        flow_id, form_input(emulator, provider)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


REAUTH_FIELDS = {
    Provider.KPN_IOT_SIM: [CONF_CLIENT_SECRET],
    Provider.TMOBILE_EASY_CONNECT: [CONF_PASSWORD],
    Provider.ONENCE: [CONF_PASSWORD],
    Provider.INFOBIP_IOT: [CONF_API_KEY],
    Provider.KPN_LORA: [CONF_CLIENT_SECRET, CONF_PASSWORD],
}


async def test_reauth(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """Reauthentication asks only for the secrets and stores the new ones."""
    entry = mock_entry(emulator, provider)
    entry.add_to_hass(hass)
    current = form_input(emulator, provider)
    secrets = {key: current[key] for key in REAUTH_FIELDS[provider]}
    hass.config_entries.async_update_entry(
        entry, data=entry.data | dict.fromkeys(secrets, "old")
    )

    result = await entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert field_names(result["data_schema"]) == list(secrets)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], dict.fromkeys(secrets, "still wrong")
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], secrets)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == entry_data(provider, current)


async def test_reauth_infobip_basic_auth(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """An Infobip account signed in by username is asked for its password."""
    entry = mock_entry(emulator, Provider.INFOBIP_IOT)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            CONF_PROVIDER: Provider.INFOBIP_IOT,
            CONF_USERNAME: infobip.DEFAULT_USERNAME,
            CONF_PASSWORD: "old",
            CONF_URL: emulator.url(Provider.INFOBIP_IOT),
        },
    )

    result = await entry.start_reauth_flow(hass)

    assert field_names(result["data_schema"]) == [CONF_PASSWORD]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: infobip.DEFAULT_PASSWORD}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == infobip.DEFAULT_PASSWORD


async def test_reauth_wrong_account(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """Credentials of another account do not replace the entry's."""
    entry = mock_entry(emulator, provider, unique_id=f"{provider}_someone-else")
    entry.add_to_hass(hass)
    data = dict(entry.data)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {key: data[key] for key in REAUTH_FIELDS[provider]},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data == data


async def test_reconfigure(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """Reconfiguring shows the current settings, not the secrets, and saves."""
    entry = mock_entry(emulator, provider)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=entry.data | {CONF_URL: CLOSED_PORT_URL}
    )

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {
        "provider": {
            Provider.KPN_IOT_SIM: "KPN IoT Programmable SIM",
            Provider.TMOBILE_EASY_CONNECT: "T-Mobile IoT Easy Connect",
            Provider.ONENCE: "1NCE IoT SIM",
            Provider.INFOBIP_IOT: "Infobip IoT SIM",
            Provider.KPN_LORA: "KPN LoRa",
        }[provider]
    }
    shown = suggested_values(result["data_schema"])
    assert shown[CONF_URL] == CLOSED_PORT_URL
    assert not shown.keys() & {CONF_CLIENT_SECRET, CONF_PASSWORD, CONF_API_KEY}
    assert CONF_AS_KEY not in shown

    user_input = form_input(emulator, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input | {CONF_URL: CLOSED_PORT_URL}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == entry_data(provider, user_input)


async def test_reconfigure_infobip_to_basic_auth(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Switching Infobip from an API key to a login drops the API key."""
    entry = mock_entry(emulator, Provider.INFOBIP_IOT)
    entry.add_to_hass(hass)
    login = {
        CONF_USERNAME: infobip.DEFAULT_USERNAME,
        CONF_PASSWORD: infobip.DEFAULT_PASSWORD,
        CONF_URL: emulator.url(Provider.INFOBIP_IOT),
    }

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], login)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_PROVIDER: Provider.INFOBIP_IOT, **login}


async def test_reconfigure_wrong_account(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """Reconfiguring cannot move the entry to another account."""
    entry = mock_entry(emulator, provider, unique_id=f"{provider}_someone-else")
    entry.add_to_hass(hass)
    data = dict(entry.data)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form_input(emulator, provider)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data == data


OPTIONS = {
    Provider.KPN_IOT_SIM: ((CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL), ["session"]),
    Provider.TMOBILE_EASY_CONNECT: (
        (CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL),
        ["usage", "quota", "session"],
    ),
    Provider.ONENCE: (
        (CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL),
        ["usage", "quota", "session"],
    ),
    Provider.INFOBIP_IOT: ((CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL), ["usage"]),
    Provider.KPN_LORA: (
        (CONF_LORA_INTERVAL, CONF_PLAN_INTERVAL),
        ["lora_signal", "lora_alarms"],
    ),
}


async def test_options_flow(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """The options fit the provider and are saved as whole minutes."""
    entry = mock_entry(emulator, provider)
    entry.add_to_hass(hass)
    intervals, groups = OPTIONS[provider]
    warnings = [CONF_QUOTA_WARNING] if "quota" in groups else []

    result = await hass.config_entries.options.async_init(entry.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    schema = result["data_schema"]
    assert schema is not None
    assert field_names(schema) == [*intervals, *warnings, CONF_ENTITY_GROUPS]
    assert schema.schema[CONF_ENTITY_GROUPS].config["options"] == groups
    assert schema({}) == {
        **{key: float(INTERVAL_BOUNDS[key][0]) for key in intervals},
        **dict.fromkeys(warnings, float(QUOTA_WARNING_BOUNDS[0])),
        CONF_ENTITY_GROUPS: groups,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            intervals[0]: 10.0,
            intervals[1]: 120,
            **dict.fromkeys(warnings, 25.0),
            CONF_ENTITY_GROUPS: groups[:1],
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        intervals[0]: 10,
        intervals[1]: 120,
        **dict.fromkeys(warnings, 25),
        CONF_ENTITY_GROUPS: groups[:1],
    }
    assert all(type(entry.options[key]) is int for key in (*intervals, *warnings))

    result = await hass.config_entries.options.async_init(entry.entry_id)

    assert suggested_values(result["data_schema"]) == entry.options


@pytest.mark.parametrize(
    ("option", "minutes"),
    [(CONF_SIM_INTERVAL, 0), (CONF_SIM_INTERVAL, 61), (CONF_USAGE_INTERVAL, 4)],
)
async def test_options_out_of_bounds(
    hass: HomeAssistant, emulator: EmulatorServer, option: str, minutes: int
) -> None:
    """An interval outside its bounds is refused."""
    entry = mock_entry(emulator, Provider.TMOBILE_EASY_CONNECT)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {option: minutes}
        )

    assert not entry.options


WEBHOOK_ID = "0123456789abcdef" * 4


HOOK = f"/api/webhook/{WEBHOOK_ID}"
CLOUDHOOK = "https://hooks.nabu.casa/abc"
REMOTE_UI = "https://abcdefgh.ui.nabu.casa"


@pytest.mark.parametrize(
    "provider", [Provider.TMOBILE_EASY_CONNECT, Provider.ONENCE, Provider.KPN_LORA]
)
@pytest.mark.parametrize(
    ("external_url", "cloudhook", "remote_ui", "shown", "direct"),
    [
        (None, None, None, HOOK, HOOK),
        (
            "https://ha.example.com",
            None,
            None,
            f"https://ha.example.com{HOOK}",
            f"https://ha.example.com{HOOK}",
        ),
        (
            "https://ha.example.com",
            CLOUDHOOK,
            None,
            CLOUDHOOK,
            f"https://ha.example.com{HOOK}",
        ),
        (None, CLOUDHOOK, REMOTE_UI, CLOUDHOOK, f"{REMOTE_UI}{HOOK}"),
        (None, CLOUDHOOK, None, CLOUDHOOK, None),
        (
            "https://ha.example.com",
            cloud.CloudNotConnected(),
            None,
            f"https://ha.example.com{HOOK}",
            f"https://ha.example.com{HOOK}",
        ),
    ],
    ids=[
        "no_url",
        "external_url",
        "cloudhook",
        "cloudhook_remote_ui",
        "cloudhook_no_direct_url",
        "cloud_not_connected",
    ],
)
async def test_options_show_webhook_url(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    external_url: str | None,
    cloudhook: str | Exception | None,
    remote_ui: str | None,
    shown: str,
    direct: str | None,
) -> None:
    """A pushing provider's options say which URL to enter for each kind of push.

    Cloud's webhooks relay POST only: T-Mobile's delivery reports (PATCH) need
    an address that reaches Home Assistant itself, or a note that there is none.
    """
    if external_url is not None:
        await async_process_ha_core_config(hass, {"external_url": external_url})
    no_url = patch(
        "homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError
    )
    if remote_ui is not None:
        hass.config.components.add("cloud")
    entry = mock_entry(emulator, provider)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=entry.data | {CONF_WEBHOOK_ID: WEBHOOK_ID}
    )
    intervals, groups = OPTIONS[provider]

    with (
        patch.object(
            cloud, "async_active_subscription", return_value=cloudhook is not None
        ),
        patch.object(
            cloud,
            "async_get_or_create_cloudhook",
            AsyncMock(side_effect=[cloudhook]),
        ) as create_cloudhook,
        patch.object(
            cloud,
            "async_remote_ui_url",
            return_value=remote_ui,
            side_effect=None if remote_ui else cloud.CloudNotAvailable,
        ),
        no_url if external_url is None else nullcontext(),
    ):
        result = await hass.config_entries.options.async_init(entry.entry_id)

    assert result["type"] is FlowResultType.FORM
    placeholders = {"provider": PROVIDERS[provider].name, "webhook_url": shown}
    step_id = "lora_uplinks"
    if provider is not Provider.KPN_LORA:
        step_id = "sms_gateway"
        if direct is None:
            step_id = "sms_gateway_no_direct_url"
        else:
            placeholders["direct_webhook_url"] = direct
    assert result["step_id"] == step_id
    assert result["description_placeholders"] == placeholders
    assert_placeholders_given(result, "options")
    if cloudhook is not None:
        create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {intervals[0]: 10, intervals[1]: 120}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        intervals[0]: 10,
        intervals[1]: 120,
        **({CONF_QUOTA_WARNING: QUOTA_WARNING_BOUNDS[0]} if "quota" in groups else {}),
        CONF_ENTITY_GROUPS: groups,
    }


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
async def test_reconfigure_keeps_webhook(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider
) -> None:
    """The provider's portal points at the webhook: reconfiguring keeps it."""
    entry = mock_entry(emulator, provider)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=entry.data | {CONF_WEBHOOK_ID: WEBHOOK_ID}
    )

    result = await entry.start_reconfigure_flow(hass)
    user_input = form_input(emulator, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == entry_data(provider, user_input) | {
        CONF_WEBHOOK_ID: WEBHOOK_ID
    }
