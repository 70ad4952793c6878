"""No secret leaks: not in logs (even DEBUG), diagnostics, errors or reprs.

Each provider's entry is set up, polled, used (every button, switch and
action) and made to fail (refused tokens, server errors, malformed answers,
timeouts, a failing action, revoked credentials) while everything is logged at
DEBUG. Then every text Home Assistant or the library produced is searched for
the entry's password, client secret, API key and AS key, for the Basic
credentials they make, and for every bearer token the providers issued.
"""

from __future__ import annotations

import base64
from contextlib import suppress
from dataclasses import fields
import json
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_USERNAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import CONF_AS_KEY, DOMAIN
from custom_components.iot_connectivity.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from iot_emulator import infobip
from iot_emulator.core import Fault, FaultKind

from .counts import COUNTS
from .helpers import advance, entity_ids, set_up, with_clock_running

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

API_LOGGER = "custom_components.iot_connectivity.api"
SECRET_KEYS = (CONF_PASSWORD, CONF_CLIENT_SECRET, CONF_API_KEY, CONF_AS_KEY)
ACTIONS: dict[Provider, list[tuple[str, dict[str, Any]]]] = {
    Provider.KPN_LORA: [
        ("send_lora_downlink", {"payload": "01ab", "port": 2}),
        ("acknowledge_alarm", {}),
    ],
}
SIM_ACTIONS = [
    ("send_sms", {"message": "status?"}),
    ("set_sim_label", {"label": "Renamed"}),
    ("top_up", {}),
]
FAULTS = (
    Fault(kind=FaultKind.STATUS, status=500),
    Fault(kind=FaultKind.STATUS, status=401, times=1),
    Fault(kind=FaultKind.MALFORMED),
    Fault(kind=FaultKind.WRONG_SHAPE),
    Fault(kind=FaultKind.TIMEOUT, delay=2),
    Fault(kind=FaultKind.RATE_LIMIT, retry_after=60),
)


def secrets_of(entry: MockConfigEntry) -> set[str]:
    """The entry's secrets and the Basic credentials made of them."""
    secrets = {str(entry.data[key]) for key in SECRET_KEYS if entry.data.get(key)}
    if (username := entry.data.get(CONF_USERNAME)) and (
        password := entry.data.get(CONF_PASSWORD)
    ):
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        secrets.add(basic)
    return secrets


def issued_tokens(emulator: EmulatorServer, provider: Provider) -> set[str]:
    """Every bearer token the client sent (so: every one the provider issued)."""
    return {
        credential
        for request in emulator.providers[provider].requests
        for scheme, _, credential in [
            request.headers.get("Authorization", "").partition(" ")
        ]
        if scheme.lower() == "bearer" and credential
    }


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record as a handler would write it, traceback included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [
        formatter.format(record)
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
    ]


def reprs(entry: MockConfigEntry) -> list[str]:
    """repr() of the entry, its runtime data, client, coordinators and their parts."""
    data = entry.runtime_data
    # The client's parts, not the credential strings it must hold.
    parts = [v for v in vars(data.client).values() if not isinstance(v, str)]
    objects: list[Any] = [entry, data, data.client, *parts]
    objects += [getattr(data, field.name) for field in fields(data)]
    return [repr(item) for item in objects]


async def use_everything(
    hass: HomeAssistant, provider: Provider, entry: MockConfigEntry
) -> list[str]:
    """Press, switch and call every action; return the errors' texts."""
    errors: list[str] = []
    ids = entity_ids(hass, entry)
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("button", "press", {ATTR_ENTITY_ID: i}) for i in ids if i.startswith("button.")
    ]
    for service in (SERVICE_TURN_OFF, SERVICE_TURN_ON):
        calls += [
            ("switch", service, {ATTR_ENTITY_ID: i})
            for i in ids
            if i.startswith("switch.")
        ]
    devices = [
        device.id
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        if device.serial_number
    ]
    for action, data in ACTIONS.get(provider, SIM_ACTIONS):
        calls.append((DOMAIN, action, {ATTR_DEVICE_ID: devices[:2], **data}))
    for domain, service, data in calls:
        try:
            await hass.services.async_call(domain, service, data, blocking=True)
        except HomeAssistantError as err:
            errors.append(f"{type(err).__name__}: {err}")
    return errors


@pytest.fixture(params=["api_key", "basic"])
def infobip_login(
    request: pytest.FixtureRequest, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The Infobip entry with its API key, or with a username and password."""
    if request.param == "api_key":
        return mock_config_entry
    data = {
        key: value
        for key, value in mock_config_entry.data.items()
        if key != CONF_API_KEY
    }
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        entry_id=mock_config_entry.entry_id,
        data=data
        | {
            CONF_USERNAME: infobip.DEFAULT_USERNAME,
            CONF_PASSWORD: infobip.DEFAULT_PASSWORD,
        },
    )


@pytest.mark.parametrize(
    "provider",
    [Provider.KPN_IOT_SIM, Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA],
)
async def test_no_secret_anywhere(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up, poll, act and fail at DEBUG; then search every text for secrets."""
    await assert_no_secret_anywhere(
        hass, freezer, emulator, provider, mock_config_entry, caplog
    )


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_no_infobip_secret_anywhere(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    infobip_login: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same for both ways into Infobip: API key and Basic credentials."""
    await assert_no_secret_anywhere(
        hass, freezer, emulator, provider, infobip_login, caplog
    )


async def assert_no_secret_anywhere(  # noqa: PLR0917
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up, poll, act and fail at DEBUG; then search every text for secrets."""
    caplog.set_level(logging.DEBUG)
    faults = emulator.providers[provider].faults
    await set_up(hass, freezer, mock_config_entry)
    texts = await use_everything(hass, provider, mock_config_entry)
    for fault in FAULTS:
        faults.add(fault)
        await advance(hass, freezer)
        texts += await with_clock_running(
            hass, freezer, use_everything(hass, provider, mock_config_entry)
        )
        faults.clear()
    await advance(hass, freezer)

    texts.append(
        json.dumps(
            await async_get_config_entry_diagnostics(hass, mock_config_entry),
            default=str,
        )
    )
    for device in dr.async_entries_for_config_entry(
        dr.async_get(hass), mock_config_entry.entry_id
    ):
        texts.append(
            json.dumps(
                await async_get_device_diagnostics(hass, mock_config_entry, device),
                default=str,
            )
        )
    texts += reprs(mock_config_entry)

    emulator.providers[provider].tokens.revoke_all()
    for records in ("clients", "credentials", "api_keys", "users"):
        with suppress(AttributeError):
            getattr(emulator.providers[provider], records).clear()
    await advance(hass, freezer)
    texts += [repr(flow) for flow in hass.config_entries.flow.async_progress()]
    texts += log_texts(caplog)

    secrets = secrets_of(mock_config_entry) | issued_tokens(emulator, provider)
    assert secrets
    leaks = {secret for secret in secrets for text in texts if secret in text}

    COUNTS["texts searched for secrets"] += len(texts)
    COUNTS["secret checks"] += len(secrets) * len(texts)
    assert not leaks
    # What was searched holds the library's DEBUG lines and non-secret entry data.
    assert any(text.startswith(f"{API_LOGGER} DEBUG ") for text in texts)
    assert any(mock_config_entry.title in text for text in texts)
