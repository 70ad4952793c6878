"""The options step that creates a ThingPark routing profile for the webhook."""

from __future__ import annotations

from contextlib import nullcontext
import logging
import re
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from urllib.parse import urlsplit

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_ROUTING_PROFILE,
    DOMAIN,
    EVENT_LORA_UPLINK,
)
from iot_emulator import kpn_lora
from iot_emulator.core import Fault, FaultKind
from iot_emulator.kpn_lora import ATTACH_PATH, PUSH_UPLINK_PATH

from .conftest import AS_ID, AS_KEY, device_id
from .test_config_flow import assert_placeholders_given

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.server import EmulatorServer

EUI = "0059AC0000170311"
"""The document's example device ("Test Device via API")."""

pytestmark = [
    pytest.mark.parametrize("provider", [Provider.KPN_LORA]),
    pytest.mark.usefixtures("socket_enabled"),
]


async def control(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any]
) -> tuple[int, Any]:
    async with session.post(url, json=body) as response:
        return response.status, await response.json()


async def use_address(hass: HomeAssistant, webhook_url: str) -> None:
    """Make Home Assistant's external URL the origin of the test server."""
    parts = urlsplit(webhook_url)
    await async_process_ha_core_config(
        hass, {"external_url": f"{parts.scheme}://{parts.netloc}"}
    )


async def open_step(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Open the options and choose the routing profile step from the menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "uplinks_menu"
    assert result["menu_options"] == ["lora_uplinks", "routing_profile"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "routing_profile"}
    )


async def test_routing_profile_created(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The profile routes to the webhook; its new keys verify uplinks at once."""
    caplog.set_level(logging.DEBUG)
    await use_address(hass, webhook_url)
    lora = emulator.kpn_lora
    options = dict(init_integration.options)

    result = await open_step(hass, init_integration)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "routing_profile"
    placeholders = dict(result["description_placeholders"] or {})
    assert placeholders["webhook_url"] == webhook_url
    assert f"- Test Device via API (`{EUI}`)" in placeholders["devices"].splitlines()
    assert_placeholders_given(result, "options")

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"profile_name": "Home Assistant test"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "routing_profile_created"
    assert_placeholders_given(result, "options")
    profile = lora.routing_profiles[-1]
    data = init_integration.data
    as_id, as_key = data[CONF_AS_ID], data[CONF_AS_KEY]
    assert profile["name"] == "Home Assistant test"
    assert data[CONF_ROUTING_PROFILE] == profile["id"]
    assert result["description_placeholders"] == placeholders | {
        "profile_name": "Home Assistant test",
        "profile_id": profile["id"],
    }
    [route] = profile["routes"]
    assert route["addresses"] == [webhook_url]
    assert route["asId"] == as_id
    assert route["contentType"] == "JSON"
    assert lora.as_keys[as_id] == as_key
    assert re.fullmatch(r"home-assistant-[0-9a-f]{12}", as_id)
    assert re.fullmatch(r"[0-9a-f]{32}", as_key)
    assert (as_id, as_key) != (AS_ID, AS_KEY)
    [request] = lora.requests_to("create_routing_profile")
    assert "rsaPublicKey" not in request.json()

    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == options
    assert init_integration.state is ConfigEntryState.LOADED
    assert as_key not in caplog.text

    # The user attaches the device in ThingPark; ThingPark pushes its uplinks.
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    origin = emulator.url(Provider.KPN_LORA)
    body = {"dev_eui": EUI, "routing_profile_id": profile["id"]}
    assert (await control(http_session, f"{origin}{ATTACH_PATH}", body))[0] == 200

    _, answer = await control(
        http_session,
        f"{origin}{PUSH_UPLINK_PATH}",
        {"dev_eui": EUI, "payload_hex": "0167010f", "fport": 1},
    )

    assert answer["statuses"] == [200]
    [event] = events
    assert event.data["payload_hex"] == "0167010f"

    # A push signed with the key of the old profile is refused now.
    _, answer = await control(
        http_session,
        f"{origin}{PUSH_UPLINK_PATH}",
        {"dev_eui": EUI, "payload_hex": "00", "url": webhook_url, "as_id": AS_ID},
    )
    assert answer["status"] == 401
    assert len(events) == 1


async def test_downlinks_signed_with_the_new_key(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    webhook_url: str,
) -> None:
    """The entry reloads with the new route's keys: the LRC accepts its downlinks."""
    await use_address(hass, webhook_url)
    result = await open_step(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"profile_name": "HA"}
    )
    await hass.async_block_till_done()

    await hass.services.async_call(
        DOMAIN,
        "send_lora_downlink",
        {"device_id": device_id(hass, EUI), "payload": "00", "port": 1},
        blocking=True,
    )

    [downlink] = emulator.kpn_lora.downlinks
    assert downlink.as_id == init_integration.data[CONF_AS_ID]


@pytest.mark.parametrize(
    ("external_url", "fault", "error"),
    [
        (None, None, "no_webhook_url"),
        ("http://ha.example.com", None, "request_refused"),
        (
            "https://ha.example.com",
            Fault(FaultKind.STATUS, status=503),
            "cannot_connect",
        ),
        (
            "https://ha.example.com",
            Fault(FaultKind.STATUS, status=401),
            "invalid_auth",
        ),
    ],
    ids=["no_url", "plain_http", "unavailable", "refused_credentials"],
)
async def test_routing_profile_errors_then_recover(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    external_url: str | None,
    fault: Fault | None,
    error: str,
) -> None:
    """Each failure is told in the form and changes nothing; then it works."""
    lora = emulator.kpn_lora
    data = dict(init_integration.data)
    no_url = patch(
        "homeassistant.components.webhook.get_url", side_effect=NoURLAvailableError
    )
    if external_url is not None:
        await async_process_ha_core_config(hass, {"external_url": external_url})
    if fault is not None:
        fault.endpoint = "create_routing_profile"
        lora.faults.add(fault)

    with no_url if external_url is None else nullcontext():
        result = await open_step(hass, init_integration)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"profile_name": "HA"}
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert_placeholders_given(result, "options")
    if error == "request_refused":
        assert "HTTPS" in (result["description_placeholders"] or {})["error"]
    assert init_integration.data == data
    assert len(lora.routing_profiles) == 1

    lora.faults.clear()
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"profile_name": "HA"}
    )

    assert result["step_id"] == "routing_profile_created"
    assert init_integration.data[CONF_AS_KEY] != AS_KEY
    [route] = lora.routing_profiles[-1]["routes"]
    assert route["addresses"][0].startswith("https://ha.example.com/api/webhook/")


async def test_routing_profile_needs_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    await hass.config_entries.async_unload(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "routing_profile"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "routing_profile_unavailable"


async def test_reconfigure_keeps_the_generated_key(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """The user never saw the generated AS key: reconfiguring must not drop it."""
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    result = await open_step(hass, init_integration)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"profile_name": "HA"}
    )
    await hass.async_block_till_done()
    generated = dict(init_integration.data)
    hass.config_entries.async_update_entry(
        init_integration,
        unique_id=f"kpn_lora_{kpn_lora.DEFAULT_THINGPARK_USERNAME.lower()}",
    )

    result = await init_integration.start_reconfigure_flow(hass)
    user_input = {
        key: value
        for key, value in generated.items()
        if key in {"client_id", "client_secret", "username", "password", "url"}
    } | {
        "downlinks": {
            "as_id": generated[CONF_AS_ID],
            "lrc_url": emulator.url("kpn_lora"),
        }
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )

    assert result["reason"] == "reconfigure_successful"
    for key in (CONF_AS_ID, CONF_AS_KEY, CONF_ROUTING_PROFILE):
        assert init_integration.data[key] == generated[key]
