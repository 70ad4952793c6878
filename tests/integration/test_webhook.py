"""Pushes at the entry's webhook, sent by the emulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components import webhook
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, Platform
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_AS_KEY,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_LORA_UPLINK,
    EVENT_SMS_DELIVERY,
    EVENT_SMS_RECEIVED,
)
from custom_components.iot_connectivity.webhook import (
    MAX_BODY_BYTES,
    PENDING_MESSAGES,
    PUSH_MEMORY,
    REMEMBERED_KEYS,
    STORE_VERSION,
    UPLINK_REPEAT_WINDOW,
    RecentKeys,
)
from iot_emulator import kpn_lora, tmobile
from iot_emulator.examples import load_example

from .conftest import AS_ID, AS_KEY, device_id, state_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    import aiohttp
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
"""T-Mobile's demo SIM, "Weather station Utrecht"."""
MSISDN = "882285100001234"
UNKNOWN_ICCID = "8988280666000009999"
EUI = "0059AC0000170311"
"""The LoRa device "Test Device via API"."""
UNKNOWN_EUI = "0059AC00000F0F0F"


@pytest.fixture
def platforms() -> list[Platform]:
    """Sensors and event entities, which pushes update."""
    return [Platform.EVENT, Platform.SENSOR]


async def control(
    session: aiohttp.ClientSession, origin: str, route: str, body: dict[str, Any]
) -> Any:
    """Ask the emulator to push, through its control API; return its answer."""
    async with session.post(f"{origin}/_emulator/push/{route}", json=body) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    data: bytes | AsyncIterator[bytes],
    content_type: str | None = "application/json",
) -> int:
    """Send a raw push; return the status Home Assistant answered.

    With ``content_type`` None the push has no Content-Type header at all.
    """
    async with session.request(
        method,
        url,
        data=data,
        headers={} if content_type is None else {"Content-Type": content_type},
        skip_auto_headers=["Content-Type"],
    ) as answer:
        return answer.status


def integration_warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The integration's warnings that mention ``text``."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.iot_connectivity"
        and record.levelno == logging.WARNING
        and text in record.getMessage()
    ]


def sms_mo(**changes: Any) -> dict[str, Any]:
    """The guide's SMS MO example, sent by the demo SIM, with ``changes``."""
    example: dict[str, Any] = load_example("tmobile_easy_connect", "sms_mo")
    example["endpoint"]["name"] = ICCID
    return example | changes


# T-Mobile SMS MO


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sms_received(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """An SMS MO fires one event, and the SIM's event entity shows it."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    answer = await control(
        http_session,
        emulator.url(Provider.TMOBILE_EASY_CONNECT),
        "sms-mo",
        {"iccid": ICCID, "text": "Rain: 3 mm", "url": webhook_url},
    )

    ((push,),) = [answer["pushes"]]
    assert push["status"] == 200
    (event,) = events
    received_at = event.data.pop("received_at")
    assert datetime.fromisoformat(received_at).tzinfo is not None
    assert event.data == {
        "device_id": device_id(hass, ICCID),
        "iccid": ICCID,
        "text": "Rain: 3 mm",
        "message_ids": [push["payload"]["id"]],
        "source_address": MSISDN,
        "dest_address": "12345",
        "dcs": "0",
        "submitted_at": datetime.strptime(
            push["payload"]["submit_date"], "%Y-%m-%d %H:%M:%S"
        )
        .replace(tzinfo=UTC)
        .isoformat(),
    }
    state = state_of(hass, "event.weather_station_utrecht_sms")
    assert state.attributes["event_type"] == "received"
    assert state.attributes["text"] == "Rain: 3 mm"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_multi_part_sms_joined(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """The gateway forwards a long SMS in parts: one event once all arrived."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    text = "".join(f"Reading {number:03d}; " for number in range(20))

    answer = await control(
        http_session,
        emulator.url(Provider.TMOBILE_EASY_CONNECT),
        "sms-mo",
        {"iccid": ICCID, "text": text, "url": webhook_url},
    )

    pushes = answer["pushes"]
    assert len(pushes) == 2
    assert [push["status"] for push in pushes] == [200, 200]
    (event,) = events
    assert event.data["text"] == text
    assert event.data["message_ids"] == [push["payload"]["id"] for push in pushes]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_multi_part_sms_out_of_order_and_retried(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """Parts may come in any order and twice: the message is fired once, whole."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    parts = [
        sms_mo(
            id=str(7000 + number),
            payload=f"part {number} ",
            multi_part_info={"partno": number, "total": 3, "identifier": "7001"},
        )
        for number in (1, 2, 3)
    ]

    statuses = [
        await send(http_session, "POST", webhook_url, json.dumps(part).encode())
        for part in (parts[2], parts[0], parts[2], parts[1], parts[1])
    ]

    assert statuses == [200] * 5
    (event,) = events
    assert event.data["text"] == "part 1 part 2 part 3 "
    assert event.data["message_ids"] == ["7001", "7002", "7003"]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_repeated_sms_fires_once(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """The gateway retries until it gets a 2xx: a repeated id fires nothing."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    results = [
        await tmobile.push_sms_mo(
            http_session, webhook_url, iccid=ICCID, text="Door open", sms_id=6202
        )
        for _ in range(3)
    ]

    assert [result.status for (result,) in results] == [200, 200, 200]
    assert len(events) == 1


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_unknown_sim_ignored_and_logged_once(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A SIM the account does not list: 2xx, so no retries; one warning."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    for sms_id in (1, 2):
        (result,) = await tmobile.push_sms_mo(
            http_session, webhook_url, iccid=UNKNOWN_ICCID, text="Hi", sms_id=sms_id
        )
        assert result.status == 200

    assert not events
    assert len(integration_warnings(caplog, UNKNOWN_ICCID)) == 1


# T-Mobile delivery reports


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_delivery_report(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """The report of a sent SMS, PATCHed to the same URL, fires an event once."""
    events = async_capture_events(hass, EVENT_SMS_DELIVERY)
    response = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"device_id": device_id(hass, ICCID), "message": "Report in"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    (message,) = cast("list[dict[str, Any]]", response["messages"])
    message_id = message["message_id"]
    origin = emulator.url(Provider.TMOBILE_EASY_CONNECT)
    body = {"sms_id": message_id, "status": "DELIVERED", "url": webhook_url}

    first = await control(http_session, origin, "delivery-report", body)
    report = first["pushes"][0]["payload"]
    repeated = await tmobile.push_delivery_report(
        http_session,
        webhook_url,
        sms_id=message_id,
        iccid=ICCID,
        submitted_at=datetime.strptime(
            report["submit_date"], "%Y-%m-%d %H:%M:%S"
        ).replace(tzinfo=UTC),
    )

    assert first["pushes"][0]["status"] == 200
    assert repeated.status == 200
    (event,) = events
    assert event.data == {
        "device_id": device_id(hass, ICCID),
        "iccid": ICCID,
        "message_id": message_id,
        "status": "DELIVERED",
        "status_id": "4",
        "delivered": True,
        "submitted_at": datetime.strptime(report["submit_date"], "%Y-%m-%d %H:%M:%S")
        .replace(tzinfo=UTC)
        .isoformat(),
        "final_at": datetime.strptime(report["final_date"], "%Y-%m-%d %H:%M:%S")
        .replace(tzinfo=UTC)
        .isoformat(),
    }
    state = state_of(hass, "event.weather_station_utrecht_sms")
    assert state.attributes["event_type"] == "delivery_report"
    assert state.attributes["status"] == "DELIVERED"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_failed_delivery_report(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """A report that is not DELIVERED says so."""
    events = async_capture_events(hass, EVENT_SMS_DELIVERY)

    result = await tmobile.push_delivery_report(
        http_session, webhook_url, sms_id=42, iccid=ICCID, status="EXPIRED"
    )

    assert result.status == 200
    (event,) = events
    assert (event.data["status"], event.data["delivered"]) == ("EXPIRED", False)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_delivery_report_without_sim_ignored(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """A report that names no SIM cannot be placed: 2xx, nothing fired."""
    events = async_capture_events(hass, EVENT_SMS_DELIVERY)
    report = load_example("tmobile_easy_connect", "delivery_report")
    del report["endpoint"]

    status = await send(http_session, "PATCH", webhook_url, json.dumps(report).encode())

    assert status == 200
    assert not events


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ],
    ids=["none", "empty", "text_plain", "form", "octet_stream", "json_charset"],
)
async def test_json_taken_whatever_its_content_type(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    content_type: str | None,
) -> None:
    """The body decides, not its label: the guide shows none for delivery reports.

    A refused push would be retried for 24 hours, and never taken.
    """
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reports = async_capture_events(hass, EVENT_SMS_DELIVERY)
    report = load_example("tmobile_easy_connect", "delivery_report")
    report["endpoint"]["name"] = ICCID

    statuses = [
        await send(
            http_session,
            method,
            webhook_url,
            json.dumps(body).encode(),
            content_type,
        )
        for method, body in (("POST", sms_mo()), ("PATCH", report))
    ]

    assert statuses == [200, 200]
    assert (len(events), len(reports)) == (1, 1)


# Refused pushes


async def chunks(size: int) -> AsyncIterator[bytes]:
    """A body of ``size`` bytes sent chunked, without a Content-Length."""
    for _ in range(size // 4096):
        yield b" " * 4096


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize(
    ("method", "data", "content_type", "status"),
    [
        ("POST", b'{"id": "1", "payload": ', "application/json", 400),
        ("POST", b"\xff\xfe not UTF-8", "application/json", 400),
        ("POST", b'["an", "array"]', "application/json", 400),
        ("POST", json.dumps(sms_mo(payload=7)).encode(), "application/json", 400),
        ("PATCH", b'{"id": "6206"}', "application/json", 400),
        ("POST", b"id=1&payload=hi", "application/x-www-form-urlencoded", 400),
        ("POST", b"", None, 400),
        ("POST", b" " * (MAX_BODY_BYTES + 1), "application/json", 413),
        ("POST", chunks(MAX_BODY_BYTES + 4096), "application/json", 413),
        ("PUT", json.dumps(sms_mo()).encode(), "application/json", 405),
    ],
    ids=[
        "malformed",
        "not_utf8",
        "not_object",
        "wrong_shape",
        "report_without_status",
        "form",
        "empty",
        "too_large",
        "too_large_chunked",
        "put",
    ],
)
async def test_bad_push_refused(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    method: str,
    data: bytes | AsyncIterator[bytes],
    content_type: str | None,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What can never succeed gets a 4xx; nothing fires, nothing crashes."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reports = async_capture_events(hass, EVENT_SMS_DELIVERY)

    assert await send(http_session, method, webhook_url, data, content_type) == status

    assert not events
    assert not reports
    assert "Error processing webhook" not in caplog.text


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("init_integration")
async def test_patch_to_another_webhook(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """PATCH serves this integration's webhooks only."""
    other = webhook_url.rsplit("/", 1)[0] + "/someone-elses-webhook"

    assert await send(http_session, "PATCH", other, b"{}") == 405


# KPN LoRa uplinks


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize("numeric", [False, True], ids=["strings", "numbers"])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_uplink(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    numeric: bool,
) -> None:
    """A signed uplink fires an event and updates the device's sensors at once."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    assert state_of(hass, "sensor.test_device_via_api_last_rssi").state == "-38.2"

    answer = await control(
        http_session,
        emulator.url(Provider.KPN_LORA),
        "uplink",
        {
            "url": webhook_url,
            "dev_eui": EUI,
            "payload_hex": "0a1b2c",
            "fport": 2,
            "rssi": -97.5,
            "snr": 3.25,
            "sf": 9,
            "numeric": numeric,
        },
    )

    assert answer["status"] == 200
    (event,) = events
    time = event.data.pop("time")
    assert event.data == {
        "device_id": device_id(hass, EUI),
        "dev_eui": EUI,
        "port": 2,
        "payload_hex": "0a1b2c",
        "fcnt_up": answer["fcnt_up"],
        "fcnt_down": emulator.kpn_lora.device_by_eui(EUI).fcnt_down,  # type: ignore[union-attr]
        "rssi": -97.5,
        "snr": 3.25,
        "spreading_factor": 9,
        "frequency": 868.1,
        "gateway_id": kpn_lora.DEFAULT_LRR_ID,
        "gateway_count": 1,
    }
    assert abs(datetime.fromisoformat(time) - datetime.now(UTC)) < timedelta(minutes=1)
    assert state_of(hass, "sensor.test_device_via_api_last_rssi").state == "-97.5"
    assert state_of(hass, "sensor.test_device_via_api_last_snr").state == "3.25"
    assert (
        state_of(hass, "sensor.test_device_via_api_last_spreading_factor").state == "9"
    )
    # Timestamp sensors show whole seconds.
    assert datetime.fromisoformat(
        state_of(hass, "sensor.test_device_via_api_last_uplink").state
    ) == datetime.fromisoformat(time).replace(microsecond=0)
    state = state_of(hass, "event.test_device_via_api_uplink")
    assert state.attributes["event_type"] == "uplink"
    assert state.attributes["payload_hex"] == "0a1b2c"


async def push_uplink(session: aiohttp.ClientSession, url: str, **changes: Any) -> int:
    """Push an uplink of the demo device, signed with the route's AS key."""
    arguments: dict[str, Any] = {
        "as_id": AS_ID,
        "as_key": AS_KEY,
        "dev_eui": EUI,
        "fport": 1,
        "payload_hex": "00",
        "fcnt_up": 500,
    }
    return await kpn_lora.push_uplink(session, url, **(arguments | changes))


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("as_key", "signed_ago"),
    [
        ("00000000000000000000000000000000", timedelta(0)),
        (AS_KEY, timedelta(minutes=11)),
        (AS_KEY, timedelta(minutes=-11)),
    ],
    ids=["wrong_key", "stale", "future"],
)
async def test_uplink_unauthenticated(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    as_key: str,
    signed_ago: timedelta,
) -> None:
    """A wrong Token or a replayed old one: 401, and nothing changes."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)

    status = await push_uplink(
        http_session, webhook_url, as_key=as_key, time=datetime.now(UTC) - signed_ago
    )

    assert status == 401

    assert not events
    assert state_of(hass, "sensor.test_device_via_api_last_rssi").state == "-38.2"


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_tampered(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """A body changed after signing fails the Token."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    query = "LrnDevEui=X&LrnFPort=1&LrnInfos=X&AS_ID=X&Time=2026-11-16T12:00:00.000"
    body = {"DevEUI_uplink": {"DevEUI": EUI, "payload_hex": "ff"}}

    status = await send(
        http_session,
        "POST",
        f"{webhook_url}?{query}&Token=00",
        json.dumps(body).encode(),
    )

    assert status == 401
    assert not events


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_replayed_fires_once(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """The same uplink twice (within the time window) fires one event."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    signed_at = datetime.now(UTC)

    statuses = [
        await push_uplink(http_session, webhook_url, time=signed_at) for _ in range(2)
    ]

    assert statuses == [200, 200]
    assert len(events) == 1


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("changes", "later", "fired"),
    [
        ({}, timedelta(minutes=1), 1),
        ({}, UPLINK_REPEAT_WINDOW - timedelta(seconds=1), 1),
        ({"payload_hex": "01"}, timedelta(minutes=1), 2),
        ({"fport": 2}, timedelta(minutes=1), 2),
        ({"fcnt_up": 501}, timedelta(minutes=1), 2),
        ({}, UPLINK_REPEAT_WINDOW + timedelta(seconds=1), 2),
    ],
    ids=[
        "repeat",
        "repeat_late",
        "other_payload",
        "other_port",
        "next_frame",
        "after_window",
    ],
)
async def test_uplink_repeat_known_by_its_frame(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    changes: dict[str, Any],
    later: timedelta,
    fired: int,
) -> None:
    """ThingPark may push a frame again, signed anew later: it fires once.

    Another payload or port under the same counter is another frame; so is the
    same frame after the window, as a device that rejoined counts from 0 again.
    """
    events = async_capture_events(hass, EVENT_LORA_UPLINK)

    first = await push_uplink(http_session, webhook_url, time=dt_util.utcnow())
    freezer.tick(later)
    again = await push_uplink(
        http_session, webhook_url, time=dt_util.utcnow(), **changes
    )

    assert (first, again) == (200, 200)
    assert len(events) == fired


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_unknown_device(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device the account does not list: 2xx, nothing fired, one warning."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)

    for fcnt_up in (1, 2):
        status = await push_uplink(
            http_session, webhook_url, dev_eui=UNKNOWN_EUI, fcnt_up=fcnt_up
        )
        assert status == 200

    assert not events
    assert len(integration_warnings(caplog, UNKNOWN_EUI)) == 1


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_signed_but_unparseable(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """A correctly signed body that is no uplink (a DevEUI that is a list): 400."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    moment = datetime.now(UTC).isoformat(timespec="milliseconds")
    query = f"LrnDevEui=1&LrnFPort=1&LrnInfos=x&AS_ID={AS_ID}&Time={moment}"
    # The Token covers the DevEUI as ThingPark would render it: here "['A']".
    token = hashlib.sha256(f"c['A']1010{query}{AS_KEY}".encode()).hexdigest()
    body = {
        "DevEUI_uplink": {
            "CustomerID": "c",
            "DevEUI": ["A"],
            "FPort": 1,
            "FCntUp": 0,
            "payload_hex": "10",
        }
    }

    status = await send(
        http_session,
        "POST",
        f"{webhook_url}?{query.replace('+', '%2B')}&Token={token}",
        json.dumps(body).encode(),
    )

    assert status == 400
    assert not events


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_not_an_object(
    http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """JSON that is not an object cannot be an uplink."""
    assert await send(http_session, "POST", webhook_url, b"[1, 2]") == 400


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_patch_refused(
    http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """ThingPark only POSTs."""
    assert await send(http_session, "PATCH", webhook_url, b"{}") == 405


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_without_as_key(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the AS key no uplink can be verified: all refused, one warning."""
    data = dict(mock_config_entry.data)
    del data[CONF_AS_KEY]
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_LORA_UPLINK)

    statuses = [await push_uplink(http_session, webhook_url, fcnt_up=n) for n in (1, 2)]

    assert statuses == [401, 401]
    assert not events
    assert caplog.text.count("configure the AS key") == 1
    assert mock_config_entry.data[CONF_WEBHOOK_ID] in webhook_url


# Robustness: every field missing or of a wrong type, through the cloudhook path

WRONG_VALUES: tuple[Any, ...] = (None, True, 0, -1.5, "", "x", [], {}, ["a"], {"a": 1})


def mutations(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``body`` with each field, nested ones too, left out or of a wrong type."""
    for key, value in body.items():
        yield {other: kept for other, kept in body.items() if other != key}
        for wrong in WRONG_VALUES:
            yield body | {key: wrong}
        if isinstance(value, dict):
            for inner in mutations(value):
                yield body | {key: inner}


async def handle(
    hass: HomeAssistant, entry: MockConfigEntry, body: Any, query: str = ""
) -> int:
    """Hand a push to the webhook as Home Assistant Cloud does; return the status."""
    request = MockRequest(
        content=json.dumps(body).encode(),
        mock_source="cloudhook",
        method="POST",
        headers={"Content-Type": "application/json"},
        query_string=query,
    )
    response = await webhook.async_handle_webhook(
        hass, entry.data[CONF_WEBHOOK_ID], request
    )
    return response.status


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sms_fields_of_any_shape(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever shape an SMS MO has, the answer is 200 or 400, never a crash."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    bodies = list(mutations(sms_mo()))

    statuses = {await handle(hass, init_integration, body) for body in bodies}

    assert statuses == {200, 400}
    assert events
    assert "Error processing webhook" not in caplog.text


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_fields_of_any_shape(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Signed uplinks whose other fields have any shape are all taken."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    moment = datetime.now(UTC).isoformat(timespec="milliseconds")
    signed = f"LrnDevEui={EUI}&LrnFPort=1&LrnInfos=x&AS_ID={AS_ID}&Time={moment}"
    uplink = {
        "Time": moment,
        "FCntDn": "3",
        "LrrRSSI": "-100.000000",
        "LrrSNR": "7.500000",
        "SpFact": "7",
        "Lrrid": kpn_lora.DEFAULT_LRR_ID,
        "Lrrs": {"Lrr": [{"Lrrid": kpn_lora.DEFAULT_LRR_ID}]},
        "DevAddr": "00170311",
        "MeanPER": "0.000000",
        "Frequency": "868.1",
    }
    statuses = set()

    for fcnt_up, fields in enumerate(mutations(uplink)):
        covered = {
            "CustomerID": "c",
            "DevEUI": EUI,
            "FPort": "1",
            "FCntUp": str(fcnt_up),
            "payload_hex": "00",
        }
        token = hashlib.sha256(
            f"{''.join(covered.values())}{signed}{AS_KEY}".encode()
        ).hexdigest()
        query = f"{signed.replace('+', '%2B')}&Token={token}"
        body = {"DevEUI_uplink": fields | covered}
        statuses.add(await handle(hass, init_integration, body, query))

    assert statuses == {200}
    assert len(events) == fcnt_up + 1
    assert "Error processing webhook" not in caplog.text


def test_recent_keys_forget_the_oldest() -> None:
    """Only the newest keys are remembered; seeing a key again renews it."""
    keys: RecentKeys[str] = RecentKeys(size=2)
    keys.add("a")
    keys.add("b")
    keys.add("a")
    keys.add("c")

    assert ("a" in keys, "b" in keys, "c" in keys) == (True, False, True)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_incomplete_messages_bounded(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Messages whose other parts never come are dropped, the oldest first."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    for number in range(PENDING_MESSAGES + 1):
        first_part = sms_mo(
            id=str(number),
            multi_part_info={"partno": 1, "total": 2, "identifier": str(number)},
        )
        status = await send(
            http_session, "POST", webhook_url, json.dumps(first_part).encode()
        )
        assert status == 200
    second_of_first = sms_mo(
        id="second",
        multi_part_info={"partno": 2, "total": 2, "identifier": "0"},
    )
    await send(http_session, "POST", webhook_url, json.dumps(second_of_first).encode())

    assert not events
    assert integration_warnings(caplog, "Dropped an incomplete multi-part SMS")


async def signed_uplink(
    session: aiohttp.ClientSession, url: str, query: str, fcnt_up: int = 9
) -> int:
    """POST an uplink of the demo device, signing ``query`` as given."""
    body = {"CustomerID": "c", "DevEUI": EUI, "FPort": "1", "FCntUp": str(fcnt_up)}
    body["payload_hex"] = "00"
    token = hashlib.sha256(
        f"{''.join(body.values())}{query}{AS_KEY}".encode()
    ).hexdigest()
    sent = query.replace("+", "%2B")
    return await send(
        session,
        "POST",
        f"{url}?{sent}&Token={token}",
        json.dumps({"DevEUI_uplink": body}).encode(),
    )


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_time(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """A signed Time is required; one without an offset is read as UTC."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    base = f"LrnDevEui={EUI}&LrnFPort=1&LrnInfos=x&AS_ID={AS_ID}"
    utc_without_offset = datetime.now(UTC).replace(tzinfo=None).isoformat()

    without_time = await signed_uplink(http_session, webhook_url, base)
    naive = await signed_uplink(
        http_session, webhook_url, f"{base}&Time={utc_without_offset}"
    )

    assert (without_time, naive) == (401, 200)
    assert len(events) == 1


# Restarts: what was received is stored per entry


def store_key(entry: MockConfigEntry) -> str:
    """The key of the entry's store of pushes."""
    return f"{DOMAIN}.{entry.entry_id}.pushes"


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """What the entry's store holds."""
    data: dict[str, Any] = hass_storage[store_key(entry)]["data"]
    return data


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry and set it up again, as a restart of Home Assistant does."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


def sms_part(number: int, total: int = 2, identifier: str = "7001") -> dict[str, Any]:
    """Part ``number`` of a multi-part SMS; its id counts on from ``identifier``."""
    return sms_mo(
        id=str(int(identifier) + number - 1),
        payload=f"part {number} ",
        multi_part_info={"partno": number, "total": total, "identifier": identifier},
    )


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("stop", ["unload", "final_write"])
async def test_multi_part_sms_across_a_restart(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    stop: str,
) -> None:
    """Part 1 before a restart, part 2 after it: one event with the whole text.

    Stopping Home Assistant writes the waiting part at its final write, before
    the save delay; unloading the entry writes it at once.
    """
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    first = await send(
        http_session, "POST", webhook_url, json.dumps(sms_part(1)).encode()
    )
    assert store_key(init_integration) not in hass_storage
    if stop == "final_write":
        hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
        await hass.async_block_till_done()
        assert stored(hass_storage, init_integration)["pending"]
    await restart(hass, init_integration)
    second = await send(
        http_session, "POST", webhook_url, json.dumps(sms_part(2)).encode()
    )

    assert (first, second) == (200, 200)
    (event,) = events
    assert event.data["text"] == "part 1 part 2 "
    assert event.data["message_ids"] == ["7001", "7002"]
    # The addresses are the completing part's, not stored with the waiting one.
    assert event.data["source_address"] == sms_part(2)["source_address"]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sms_retried_across_a_restart_fires_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """An SMS and a delivery report, a restart, then the gateway's retries: no more."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reports = async_capture_events(hass, EVENT_SMS_DELIVERY)

    async def push_both() -> list[int]:
        (sms,) = await tmobile.push_sms_mo(
            http_session, webhook_url, iccid=ICCID, text="Door open", sms_id=6202
        )
        report = await tmobile.push_delivery_report(
            http_session, webhook_url, sms_id=42, iccid=ICCID
        )
        return [sms.status, report.status]

    before = await push_both()
    await restart(hass, init_integration)
    after = await push_both()

    assert before == after == [200, 200]
    assert (len(events), len(reports)) == (1, 1)
    assert tmobile.DEFAULT_PASSWORD not in json.dumps(
        hass_storage[store_key(init_integration)]
    )


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_repeated_across_a_restart_fires_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """A frame, a restart, then ThingPark's repeat of it, signed anew: one event."""
    events = async_capture_events(hass, EVENT_LORA_UPLINK)

    first = await push_uplink(http_session, webhook_url)
    await restart(hass, init_integration)
    again = await push_uplink(
        http_session, webhook_url, time=datetime.now(UTC) + timedelta(seconds=30)
    )

    assert (first, again) == (200, 200)
    assert len(events) == 1
    assert AS_KEY not in json.dumps(hass_storage[store_key(init_integration)])


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_pushes_forgotten_after_a_day(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """T-Mobile retries for a day: what is older is not loaded, nor stored again.

    When the first push came is kept for good: the webhook was set up.
    """
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    entry_id = init_integration.entry_id
    first_push = dt_util.utcnow().isoformat()

    async def push_sms() -> None:
        (result,) = await tmobile.push_sms_mo(
            http_session, webhook_url, iccid=ICCID, text="Door open", sms_id=6202
        )
        assert result.status == 200

    async def push_part(number: int) -> None:
        body = json.dumps(sms_part(number)).encode()
        assert await send(http_session, "POST", webhook_url, body) == 200

    await push_sms()
    await push_part(1)
    await hass.config_entries.async_unload(entry_id)
    freezer.tick(PUSH_MEMORY + timedelta(minutes=1))
    await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    await push_sms()
    await push_part(2)
    await hass.config_entries.async_unload(entry_id)

    # The SMS fired again; the message lost its first part and waits anew.
    assert [event.data["message_ids"] for event in events] == [["6202"], ["6202"]]
    assert stored(hass_storage, init_integration) == {
        "first_push": first_push,
        "seen": [{"key": "6202", "at": dt_util.utcnow().isoformat()}],
        "pending": [
            {
                "at": dt_util.utcnow().isoformat(),
                "parts": [
                    {
                        "id": "7002",
                        "iccid": ICCID,
                        "text": "part 2 ",
                        "submitted_at": "2018-08-17T16:31:51+00:00",
                        "multipart": {"part": 2, "total": 2, "identifier": "7001"},
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_stored_pushes_read_with_care(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """Of a stored state, what expired or cannot be read is left out; the rest counts."""
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reports = async_capture_events(hass, EVENT_SMS_DELIVERY)
    now = dt_util.utcnow()
    fresh = (now - PUSH_MEMORY + timedelta(hours=1)).isoformat()
    old = (now - PUSH_MEMORY - timedelta(hours=1)).isoformat()

    def waiting(identifier: str, at: str) -> dict[str, Any]:
        return {
            "at": at,
            "parts": [
                {
                    "id": identifier,
                    "iccid": ICCID,
                    "text": f"{identifier} part 1 ",
                    "submitted_at": None,
                    "multipart": {"part": 1, "total": 2, "identifier": identifier},
                }
            ],
        }

    await hass.config_entries.async_unload(init_integration.entry_id)
    hass_storage[store_key(init_integration)] = {
        "version": STORE_VERSION,
        "key": store_key(init_integration),
        "data": {
            "seen": [
                {"key": "1", "at": old},
                {"key": "2", "at": fresh},
                {"key": ["report", "42", "DELIVERED"], "at": fresh},
                {"key": {"not": "a key"}, "at": fresh},
                {"key": "3", "at": "yesterday"},
                {"key": "4", "at": "2026-11-16T12:00:00"},
                "not a push",
            ],
            "pending": [
                waiting("8001", old),
                waiting("9001", fresh),
                {"at": fresh, "parts": [{"id": "5"}]},
                {"at": fresh},
            ],
        },
    }
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()

    for sms_id in ("1", "2", "3", "4"):
        body = json.dumps(sms_mo(id=sms_id)).encode()
        assert await send(http_session, "POST", webhook_url, body) == 200
    report = await tmobile.push_delivery_report(
        http_session, webhook_url, sms_id=42, iccid=ICCID
    )
    for identifier in ("8001", "9001"):
        body = json.dumps(sms_part(2, identifier=identifier)).encode()
        assert await send(http_session, "POST", webhook_url, body) == 200

    assert report.status == 200
    assert not reports
    assert [event.data["message_ids"] for event in events] == [
        ["1"],
        ["3"],
        ["4"],
        ["9001", "9002"],
    ]
    assert events[-1].data["text"] == "9001 part 1 part 2 "


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_stored_pushes_bounded(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """The store keeps what memory keeps: the newest ids and waiting messages."""
    for number in range(REMEMBERED_KEYS + 1):
        body = sms_mo(id=f"single-{number}")
        assert await handle(hass, init_integration, body) == 200
    for number in range(PENDING_MESSAGES + 1):
        body = sms_part(1, identifier=str(10_000 + number))
        assert await handle(hass, init_integration, body) == 200
    await hass.config_entries.async_unload(init_integration.entry_id)

    data = stored(hass_storage, init_integration)
    assert [item["key"] for item in data["seen"]] == [
        f"single-{number}" for number in range(1, REMEMBERED_KEYS + 1)
    ]
    assert [message["parts"][0]["id"] for message in data["pending"]] == [
        str(10_000 + number) for number in range(1, PENDING_MESSAGES + 1)
    ]

    # A store beyond the bounds (written by hand) is cut as it is read.
    data["seen"] = [
        {"key": f"extra-{number}", "at": item["at"]}
        for number, item in enumerate(data["seen"])
    ] + data["seen"]
    data["pending"] = [
        {
            "at": message["at"],
            "parts": [
                part
                | {"multipart": part["multipart"] | {"identifier": f"extra-{number}"}}
                for part in message["parts"]
            ],
        }
        for number, message in enumerate(data["pending"])
    ] + data["pending"]
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await handle(hass, init_integration, sms_mo(id="newest")) == 200
    await hass.config_entries.async_unload(init_integration.entry_id)

    data = stored(hass_storage, init_integration)
    assert len(data["seen"]) == REMEMBERED_KEYS
    assert data["seen"][-1]["key"] == "newest"
    assert not [item for item in data["seen"] if item["key"].startswith("extra")]
    assert len(data["pending"]) == PENDING_MESSAGES
    assert not [
        message
        for message in data["pending"]
        if message["parts"][0]["multipart"]["identifier"].startswith("extra")
    ]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_remove_deletes_stored_pushes(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """Removing the entry removes what it remembered of its pushes."""
    await tmobile.push_sms_mo(http_session, webhook_url, iccid=ICCID, text="Bye")
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert store_key(init_integration) in hass_storage

    await hass.config_entries.async_remove(init_integration.entry_id)

    assert store_key(init_integration) not in hass_storage
