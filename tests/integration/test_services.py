"""Actions against the emulator: what arrives there, byte for byte, and refusals."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    Platform,
)
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_LRC_URL,
    DOMAIN,
)
from iot_emulator import kpn_lora
from iot_emulator.core import Fault, FaultKind
from iot_emulator.management_api import TOP_UP_VOLUME_MB

from .conftest import AS_ID, AS_KEY, FROZEN_TIME, device_id, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceResponse

    from iot_emulator.core import ProviderEmulator
    from iot_emulator.server import EmulatorServer

KPN_ACTIVE = "8931087620000000017"
KPN_SUSPENDED = "8931087620000000033"
TMOBILE_SIM = "8988280666000001234"
INFOBIP_ACTIVE = "8981100022152967721"
INFOBIP_READY = "8981100022152967705"
LORA_DEVICE = "0059AC0000170311"
ALARM_DEVICE = "0059AC0000041201"
ALARM_REF = "5a6717531ffbe425b9c16bb6"
"""The MAJOR alarm of the document's example, on device 41201."""

ACTIVE_SIM = {
    Provider.KPN_IOT_SIM: KPN_ACTIVE,
    Provider.TMOBILE_EASY_CONNECT: TMOBILE_SIM,
    Provider.INFOBIP_IOT: INFOBIP_ACTIVE,
}
SMS_ENDPOINT = {
    Provider.KPN_IOT_SIM: "send_sms",
    Provider.TMOBILE_EASY_CONNECT: "send_sms",
    Provider.INFOBIP_IOT: "sms",
}
"""The emulator's route name of each provider's SMS request."""


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensors and binary sensors that actions change."""
    return [Platform.BINARY_SENSOR, Platform.SENSOR]


def provider_emulator(emulator: EmulatorServer, provider: Provider) -> ProviderEmulator:
    """The emulator of ``provider``."""
    return emulator.providers[provider]


async def act(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> ServiceResponse:
    """Call one of the integration's actions and wait for it."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


async def refused(
    hass: HomeAssistant, service: str, data: dict[str, Any]
) -> ServiceValidationError:
    """Call an action that must be refused before anything is sent."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, service, data)
    return raised.value


# send_sms


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        (Provider.KPN_IOT_SIM, b'{"Message":"Pump on","From":"HomeAssist"}'),
        (Provider.TMOBILE_EASY_CONNECT, b'{"payload":"Pump on"}'),
        (Provider.INFOBIP_IOT, b'{"text":"Pump on"}'),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_send_sms(
    hass: HomeAssistant, emulator: EmulatorServer, provider: Provider, body: bytes
) -> None:
    """The SMS arrives as the provider documents it; the response has its id."""
    iccid = ACTIVE_SIM[provider]

    response = await act(
        hass,
        "send_sms",
        {"device_id": device_id(hass, iccid), "message": "Pump on"},
        response=True,
    )

    (request,) = provider_emulator(emulator, provider).requests_to(
        SMS_ENDPOINT[provider]
    )
    assert request.body == body
    assert iccid in request.path
    message_id: str | None = None  # Infobip answers an empty 200: no id to give.
    if provider is Provider.KPN_IOT_SIM:
        message_id = emulator.kpn_sim.sent_sms[-1]["MessageId"]
    elif provider is Provider.TMOBILE_EASY_CONNECT:
        message_id = str(max(emulator.tmobile.sims[iccid].sms))
    assert response == {
        "messages": [
            {
                "device_id": device_id(hass, iccid),
                "iccid": iccid,
                "message_id": message_id,
            }
        ]
    }


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize(
    ("message", "encoding", "body"),
    [
        ("Temp 21°C?", None, '{"payload":"Temp 21°C?","dcs":8}'),
        ("Hello", "gsm7", '{"payload":"Hello","dcs":0}'),
        ("Hello", "ucs2", '{"payload":"Hello","dcs":8}'),
        ("Wind ↗", None, '{"payload":"Wind ↗","dcs":8}'),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_send_sms_encoding(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    message: str,
    encoding: str | None,
    body: str,
) -> None:
    """T-Mobile takes the encoding as a data coding scheme; text GSM-7 lacks is UCS-2."""
    data = {"device_id": device_id(hass, TMOBILE_SIM), "message": message}
    if encoding is not None:
        data["encoding"] = encoding

    await act(hass, "send_sms", data)

    (request,) = emulator.tmobile.requests_to("send_sms")
    assert request.body == body.encode()


@pytest.mark.parametrize(
    ("provider", "iccid", "message", "encoding", "key", "placeholders"),
    [
        (Provider.KPN_IOT_SIM, KPN_ACTIVE, "  ", None, "sms_empty", {}),
        (
            Provider.KPN_IOT_SIM,
            KPN_ACTIVE,
            "x" * 161,
            None,
            "sms_too_long",
            {"limit": "160"},
        ),
        (
            Provider.KPN_IOT_SIM,
            KPN_ACTIVE,
            "é🙂" * 36,
            None,
            "sms_too_long",
            {"limit": "70"},
        ),
        (
            Provider.INFOBIP_IOT,
            INFOBIP_ACTIVE,
            "x" * 161,
            None,
            "sms_too_long",
            {"limit": "160"},
        ),
        (
            Provider.TMOBILE_EASY_CONNECT,
            TMOBILE_SIM,
            "x" * 919,
            None,
            "sms_too_long",
            {"limit": "918"},
        ),
        (
            Provider.TMOBILE_EASY_CONNECT,
            TMOBILE_SIM,
            "ok 🙂",
            "gsm7",
            "sms_encoding",
            {},
        ),
        (
            Provider.KPN_IOT_SIM,
            KPN_ACTIVE,
            "Hello",
            "ucs2",
            "sms_encoding_not_supported",
            {},
        ),
        (
            Provider.KPN_IOT_SIM,
            KPN_SUSPENDED,
            "Hello",
            None,
            "sim_not_active",
            {"status": "suspended"},
        ),
        (
            Provider.INFOBIP_IOT,
            INFOBIP_READY,
            "Hello",
            None,
            "sim_not_active",
            {"status": "ready"},
        ),
    ],
    ids=[
        "empty",
        "gsm7_too_long",
        "ucs2_too_long",
        "infobip_too_long",
        "tmobile_six_parts",
        "not_gsm7",
        "encoding_not_supported",
        "suspended",
        "ready",
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_send_sms_refused(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    iccid: str,
    message: str,
    encoding: str | None,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """An SMS the SIM or provider cannot take is refused before sending."""
    data = {"device_id": device_id(hass, iccid), "message": message}
    if encoding is not None:
        data["encoding"] = encoding

    error = await refused(hass, "send_sms", data)

    assert error.translation_key == key
    assert placeholders.items() <= (error.translation_placeholders or {}).items()
    assert not provider_emulator(emulator, provider).requests_to(SMS_ENDPOINT[provider])


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.usefixtures("init_integration")
async def test_send_sms_all_or_nothing(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """One SIM that cannot receive stops the SMS to every SIM of the call."""
    error = await refused(
        hass,
        "send_sms",
        {
            "device_id": [device_id(hass, KPN_ACTIVE), device_id(hass, KPN_SUSPENDED)],
            "message": "Hello",
        },
    )

    assert error.translation_key == "sim_not_active"
    assert error.translation_placeholders == {
        "device": "Spare tracker",
        "status": "suspended",
    }
    # Home Assistant drops the closing full stop of an error message.
    assert str(error) == (
        "Spare tracker is not active (status: suspended); "
        "only active SIM cards can receive an SMS"
    )
    assert not emulator.kpn_sim.requests_to("send_sms")


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.usefixtures("init_integration")
async def test_send_sms_to_several(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Every SIM of the call gets the SMS."""
    await act(
        hass,
        "send_sms",
        {
            "device_id": [device_id(hass, KPN_ACTIVE), device_id(hass, KPN_ACTIVE)],
            "message": "Hello",
        },
    )

    assert len(emulator.kpn_sim.requests_to("send_sms")) == 2


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.usefixtures("init_integration")
async def test_targets_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: EmulatorServer
) -> None:
    """Unknown devices, other integrations' devices and the account are no SIMs."""
    registry = dr.async_get(hass)
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "x")}, name="Lamp"
    )
    hub = registry.async_get_device_by_identifier(
        (DOMAIN, "kpn_iot_sim_demo"), init_integration.entry_id
    )
    assert hub is not None

    for target, key, placeholders in (
        ("no-such-device", "device_not_found", {"device": "no-such-device"}),
        (other.id, "not_our_device", {"device": "Lamp"}),
        (hub.id, "not_a_sim", {"device": init_integration.title}),
    ):
        error = await refused(
            hass, "send_sms", {"device_id": target, "message": "Hello"}
        )
        assert (error.translation_key, error.translation_placeholders) == (
            key,
            placeholders,
        )

    assert not emulator.kpn_sim.requests_to("send_sms")


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_entry_not_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A SIM of an unloaded account cannot be reached."""
    target = device_id(hass, KPN_ACTIVE)
    await hass.config_entries.async_unload(init_integration.entry_id)

    error = await refused(hass, "send_sms", {"device_id": target, "message": "Hi"})

    assert error.translation_key == "entry_not_loaded"


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (
            Fault(kind=FaultKind.STATUS, endpoint="send_sms", status=400),
            "request_refused",
        ),
        (Fault(kind=FaultKind.STATUS, endpoint="send_sms", status=404), "not_found"),
        (Fault(kind=FaultKind.RATE_LIMIT, endpoint="send_sms"), "rate_limited"),
        (
            Fault(kind=FaultKind.STATUS, endpoint="send_sms", status=503),
            "action_failed",
        ),
    ],
    ids=["refused", "not_found", "rate_limited", "unavailable"],
)
@pytest.mark.usefixtures("init_integration")
async def test_send_sms_fails_at_provider(
    hass: HomeAssistant, emulator: EmulatorServer, fault: Fault, key: str
) -> None:
    """A provider failure is a translated error."""
    emulator.kpn_sim.faults.add(fault)

    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "send_sms",
            {"device_id": device_id(hass, KPN_ACTIVE), "message": "Hi"},
        )

    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == key


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A refused login during an action starts reauthentication."""
    emulator.kpn_sim.faults.add(
        Fault(kind=FaultKind.STATUS, endpoint="send_sms", status=401)
    )

    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "send_sms",
            {"device_id": device_id(hass, KPN_ACTIVE), "message": "Hi"},
        )
    await hass.async_block_till_done()

    assert raised.value.translation_key == "authentication_failed"
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == init_integration.entry_id


# send_lora_downlink


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("flags", "query"),
    [
        ({}, ""),
        ({"confirmed": True, "flush_queue": True}, "&Confirmed=1&FlushDownlinkQueue=1"),
    ],
    ids=["plain", "confirmed_flushed"],
)
@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("init_integration")
async def test_send_lora_downlink(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    flags: dict[str, bool],
    query: str,
) -> None:
    """The LRC gets the documented query, signed with the AS key."""
    await act(
        hass,
        "send_lora_downlink",
        {
            "device_id": device_id(hass, LORA_DEVICE),
            "payload": "0A1b",
            "port": 2,
            **flags,
        },
    )

    signed = (
        f"DevEUI={LORA_DEVICE}&FPort=2&Payload=0A1b{query}"
        f"&AS_ID={AS_ID}&Time=2026-11-16T12:00:00.000+00:00"
    )
    token = hashlib.sha256(f"{signed}{AS_KEY}".encode()).hexdigest()
    (request,) = emulator.kpn_lora.requests_to("lrc_downlink")
    assert (request.method, request.path) == ("POST", "/thingpark/lrc/rest/downlink")
    # Signed as written, sent escaped: a bare "+" would arrive as a space.
    sent = signed.replace("+", "%2B")
    assert request.query_string == f"{sent}&Token={token}"
    assert request.body == b""
    (queued,) = emulator.kpn_lora.downlinks
    assert (queued.dev_eui, queued.payload_hex, queued.port) == (LORA_DEVICE, "0A1b", 2)


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("payload", "port", "key"),
    [
        ("abc", 1, "downlink_payload_odd"),
        ("zz", 1, "downlink_payload_hex"),
        ("0x01", 1, "downlink_payload_hex"),
        ("00" * 243, 1, "downlink_payload_too_long"),
        ("00", 0, "downlink_port"),
        ("00", 224, "downlink_port"),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_send_lora_downlink_refused(
    hass: HomeAssistant, emulator: EmulatorServer, payload: str, port: int, key: str
) -> None:
    """A downlink the LRC would refuse is refused before sending."""
    error = await refused(
        hass,
        "send_lora_downlink",
        {"device_id": device_id(hass, LORA_DEVICE), "payload": payload, "port": port},
    )

    assert error.translation_key == key
    assert error.translation_placeholders == {
        "min_port": "1",
        "max_port": "223",
        "max_bytes": "242",
    }
    assert not emulator.kpn_lora.requests_to("lrc_downlink")


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_send_lora_downlink_not_configured(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
    platforms: list[Platform],
) -> None:
    """Without the AS key, the error says what to configure."""
    data = dict(mock_config_entry.data)
    del data[CONF_AS_KEY]
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    error = await refused(
        hass,
        "send_lora_downlink",
        {"device_id": device_id(hass, LORA_DEVICE), "payload": "00", "port": 1},
    )

    assert error.translation_key == "downlink_not_configured"
    assert error.translation_placeholders == {"account": mock_config_entry.title}
    assert not emulator.kpn_lora.requests_to("lrc_downlink")
    # Reconfigure asks for them, which the error says: no repair repeats it.
    assert not [domain for domain, _ in ir.async_get(hass).issues if domain == DOMAIN]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_send_lora_downlink_once_reconfigured(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
    platforms: list[Platform],
) -> None:
    """The AS ID and key added with Reconfigure make downlinks work."""
    data = {
        key: value
        for key, value in mock_config_entry.data.items()
        if key not in (CONF_AS_ID, CONF_AS_KEY)
    }
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data=data,
        unique_id=f"{Provider.KPN_LORA}_{kpn_lora.DEFAULT_THINGPARK_USERNAME.lower()}",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    downlink = {"device_id": device_id(hass, LORA_DEVICE), "payload": "01ff", "port": 2}
    await refused(hass, "send_lora_downlink", downlink)

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **{
                key: data[key]
                for key in (
                    CONF_CLIENT_ID,
                    CONF_CLIENT_SECRET,
                    CONF_USERNAME,
                    CONF_PASSWORD,
                    CONF_URL,
                )
            },
            "downlinks": {
                CONF_AS_ID: AS_ID,
                CONF_AS_KEY: AS_KEY,
                CONF_LRC_URL: data[CONF_LRC_URL],
            },
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    await act(hass, "send_lora_downlink", downlink)
    assert [(d.dev_eui, d.payload_hex) for d in emulator.kpn_lora.downlinks] == [
        (LORA_DEVICE, "01ff")
    ]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.usefixtures("init_integration")
async def test_send_lora_downlink_refused_by_lrc(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """The LRC refusing the Token (wrong AS key) is no reason to reauthenticate."""
    emulator.kpn_lora.as_keys[AS_ID] = "0" * 32

    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "send_lora_downlink",
            {"device_id": device_id(hass, LORA_DEVICE), "payload": "00", "port": 1},
        )
    await hass.async_block_till_done()

    assert raised.value.translation_key == "request_refused"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not emulator.kpn_lora.downlinks


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("init_integration")
async def test_send_lora_downlink_to_a_sim(hass: HomeAssistant) -> None:
    """A SIM is no LoRa device."""
    error = await refused(
        hass,
        "send_lora_downlink",
        {"device_id": device_id(hass, TMOBILE_SIM), "payload": "00", "port": 1},
    )

    assert error.translation_key == "not_a_lora_device"


# acknowledge_alarm

ALARM_SENSOR = "binary_sensor.alarm_device_41201_alarm"


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.usefixtures("init_integration")
async def test_acknowledge_alarm_by_ref(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """One alarm by its ref: acknowledged at ThingPark, and the sensor clears."""
    assert state_of(hass, ALARM_SENSOR).state == "on"

    response = await act(
        hass,
        "acknowledge_alarm",
        {"device_id": device_id(hass, ALARM_DEVICE), "alarm_ref": ALARM_REF},
        response=True,
    )
    await hass.async_block_till_done()

    assert response == {"acknowledged": [ALARM_REF]}
    (request,) = emulator.kpn_lora.requests_to("ack_alarm")
    assert request.path.endswith(f"/deviceAlarms/{ALARM_REF}/acks")
    assert emulator.kpn_lora.alarms[ALARM_REF]["acked"] is True
    assert state_of(hass, ALARM_SENSOR).state == "off"


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.usefixtures("init_integration")
async def test_acknowledge_all_alarms(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Without a ref, every open alarm of the devices; devices without any are fine."""
    response = await act(
        hass,
        "acknowledge_alarm",
        {
            "device_id": [
                device_id(hass, ALARM_DEVICE),
                device_id(hass, "0059AC0000032611"),
                device_id(hass, LORA_DEVICE),
            ]
        },
        response=True,
    )

    assert response == {"acknowledged": [ALARM_REF, "5a6847972d3694372cad4fed"]}
    assert all(alarm["acked"] for alarm in emulator.kpn_lora.alarms.values())


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.usefixtures("init_integration")
async def test_acknowledge_unknown_alarm(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """A ref that is not an open alarm of the device acknowledges nothing."""
    error = await refused(
        hass,
        "acknowledge_alarm",
        {"device_id": device_id(hass, LORA_DEVICE), "alarm_ref": ALARM_REF},
    )

    assert error.translation_key == "alarm_not_found"
    assert error.translation_placeholders == {
        "alarm_ref": ALARM_REF,
        "devices": "Test Device via API",
    }
    assert not emulator.kpn_lora.requests_to("ack_alarm")


# top_up

QUOTA_LEFT = "sensor.weather_station_utrecht_data_quota_left"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("init_integration")
async def test_top_up(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    """T-Mobile adds the contract's package; the quota shows it at once."""
    before = float(state_of(hass, QUOTA_LEFT).state)

    await act(hass, "top_up", {"device_id": device_id(hass, TMOBILE_SIM)})
    await hass.async_block_till_done()

    (request,) = emulator.tmobile.requests_to("top_up")
    assert (request.method, request.path, request.body) == (
        "POST",
        f"/management-api/v1/sims/{TMOBILE_SIM}/topup",
        b"",
    )
    assert float(state_of(hass, QUOTA_LEFT).state) == pytest.approx(
        before + TOP_UP_VOLUME_MB
    )


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_top_up_not_supported(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Infobip has no top-up API."""
    error = await refused(
        hass, "top_up", {"device_id": device_id(hass, INFOBIP_ACTIVE)}
    )

    assert error.translation_key == "action_not_supported"
    assert error.translation_placeholders == {
        "provider": "Infobip IoT SIM",
        "device": "1st activated",
    }
    assert len(emulator.infobip.requests) == len(
        [r for r in emulator.infobip.requests if r.method == "GET"]
    )


# set_sim_label


@pytest.mark.parametrize(
    ("provider", "endpoint", "label_of"),
    [
        (
            Provider.KPN_IOT_SIM,
            "update_thing",
            lambda emulator: emulator.kpn_sim.things[KPN_ACTIVE]["ThingTag"],
        ),
        (
            Provider.TMOBILE_EASY_CONNECT,
            "update_sim",
            lambda emulator: emulator.tmobile.sims[TMOBILE_SIM].record["label"],
        ),
        (
            Provider.INFOBIP_IOT,
            "update_name",
            lambda emulator: emulator.infobip.sims[INFOBIP_ACTIVE]["name"],
        ),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_set_sim_label(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    endpoint: str,
    label_of: Any,
) -> None:
    """The provider's name field changes, and so does the device's name."""
    target = device_id(hass, ACTIVE_SIM[provider])

    await act(hass, "set_sim_label", {"device_id": target, "label": " Rain gauge "})
    await hass.async_block_till_done()

    assert len(provider_emulator(emulator, provider).requests_to(endpoint)) == 1
    assert label_of(emulator) == "Rain gauge"
    device = dr.async_get(hass).async_get(target)
    assert device is not None
    assert device.name == "Rain gauge"


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_set_sim_label_empty(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """An empty label is refused."""
    error = await refused(
        hass,
        "set_sim_label",
        {"device_id": device_id(hass, INFOBIP_ACTIVE), "label": "  "},
    )

    assert error.translation_key == "label_empty"
    assert not emulator.infobip.requests_to("update_name")
