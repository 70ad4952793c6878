"""Notify entities: notify.send_message as an SMS to a SIM, via the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.notify.const import (
    ATTR_MESSAGE,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import DOMAIN
from iot_emulator.core import Fault, FaultKind

from .conftest import state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

KPN_ACTIVE = "8931087620000000017"
KPN_SUSPENDED = "8931087620000000033"
TMOBILE_SIM = "8988280666000001234"
INFOBIP_ACTIVE = "8981100022152967721"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the notify platform."""
    return [Platform.NOTIFY]


def notifier(hass: HomeAssistant, entry: MockConfigEntry, iccid: str) -> str:
    """The entity id of the SIM's notify entity."""
    entity_id = er.async_get(hass).async_get_entity_id(
        NOTIFY_DOMAIN, DOMAIN, f"{entry.unique_id}_{iccid}_sms"
    )
    assert entity_id is not None
    return entity_id


async def send_message(
    hass: HomeAssistant, entity_id: str, message: str, title: str | None = None
) -> None:
    """Call notify.send_message on one entity."""
    data: dict[str, str] = {ATTR_ENTITY_ID: entity_id, ATTR_MESSAGE: message}
    if title is not None:
        data[ATTR_TITLE] = title
    await hass.services.async_call(
        NOTIFY_DOMAIN, SERVICE_SEND_MESSAGE, data, blocking=True
    )


@pytest.mark.parametrize(
    ("provider", "iccid", "endpoint", "body"),
    [
        (
            Provider.KPN_IOT_SIM,
            KPN_ACTIVE,
            "send_sms",
            b'{"Message":"Pump\\non","From":"HomeAssist"}',
        ),
        (
            Provider.TMOBILE_EASY_CONNECT,
            TMOBILE_SIM,
            "send_sms",
            b'{"payload":"Pump\\non"}',
        ),
        (Provider.INFOBIP_IOT, INFOBIP_ACTIVE, "sms", b'{"text":"Pump\\non"}'),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_send_message_with_title(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    provider: Provider,
    iccid: str,
    endpoint: str,
    body: bytes,
) -> None:
    """The title goes on the first line of the SMS, as send_sms would send it."""
    entity_id = notifier(hass, init_integration, iccid)

    await send_message(hass, entity_id, "on", title="Pump")

    (request,) = emulator.providers[provider].requests_to(endpoint)
    assert request.body == body
    # The entity's state is the time of the last message.
    assert state_of(hass, entity_id).state != "unknown"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_send_message_without_title(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """Without a title the message is the SMS."""
    await send_message(hass, notifier(hass, init_integration, TMOBILE_SIM), "Reboot")

    (request,) = emulator.tmobile.requests_to("send_sms")
    assert request.body == b'{"payload":"Reboot"}'


@pytest.mark.parametrize(
    ("provider", "iccid", "message", "title", "key", "placeholders"),
    [
        (
            Provider.KPN_IOT_SIM,
            KPN_ACTIVE,
            "x" * 150,
            "Ten chars.",
            "sms_too_long",
            {"limit": "160"},
        ),
        (Provider.KPN_IOT_SIM, KPN_ACTIVE, "   ", None, "sms_empty", {}),
        (
            Provider.KPN_IOT_SIM,
            KPN_SUSPENDED,
            "Hello",
            None,
            "sim_not_active",
            {"status": "suspended"},
        ),
    ],
    ids=["title_makes_it_too_long", "empty", "suspended"],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_refused_before_sending(  # noqa: PLR0917 - parameters
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    iccid: str,
    message: str,
    title: str | None,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """The send_sms checks, with their translated errors; nothing is sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await send_message(
            hass, notifier(hass, init_integration, iccid), message, title
        )

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert placeholders.items() <= (raised.value.translation_placeholders or {}).items()
    assert emulator.kpn_sim.requests_to("send_sms") == []


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_provider_error(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A refused SMS raises the translated provider error."""
    emulator.tmobile.faults.add(
        Fault(kind=FaultKind.STATUS, status=503, endpoint="send_sms")
    )

    with pytest.raises(HomeAssistantError) as raised:
        await send_message(hass, notifier(hass, init_integration, TMOBILE_SIM), "Hi")

    assert raised.value.translation_key == "action_failed"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The send_sms action reaches every SIM: the entity is there to enable."""
    entry = er.async_get(hass).async_get(notifier(hass, init_integration, TMOBILE_SIM))
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_none_for_lora(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """LoRa devices receive no SMS."""
    assert not er.async_entries_for_config_entry(
        er.async_get(hass), init_integration.entry_id
    )
