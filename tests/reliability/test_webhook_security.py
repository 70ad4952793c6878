"""Webhook security: who may push, what, how much, how; and what gets logged.

Pushes go over real HTTP to Home Assistant's server. T-Mobile signs nothing,
so its webhook id is the secret; ThingPark signs each uplink with the route's
AS key (Token) and a time (Time), which must be recent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import hmac
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.iot_connectivity.api import lrc
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_WEBHOOK_ID,
    EVENT_LORA_UPLINK,
    EVENT_SMS_RECEIVED,
)
from custom_components.iot_connectivity.webhook import MAX_BODY_BYTES
from iot_emulator.examples import load_example

from .counts import COUNTS
from .helpers import entity_ids

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import ClientResponse
    from aiohttp.test_utils import TestClient
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

EUI = "0059AC0000170311"
"""A LoRa device of the demo account."""
ICCID = "8988280666000001234"
"""The T-Mobile demo SIM."""
CUSTOMER_ID = "100001135"
TOKEN_PATTERN = re.compile(r"[0-9a-f]{64}")
"""What :func:`homeassistant.components.webhook.async_generate_id` makes."""


@pytest.fixture
async def loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The entry, set up with its webhook."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_ids(hass, mock_config_entry)
    return mock_config_entry


@pytest.fixture
async def client(
    hass_client_no_auth: ClientSessionGenerator, loaded: MockConfigEntry
) -> TestClient[Any, Any]:
    """A client of Home Assistant's HTTP server, on a real port."""
    return await hass_client_no_auth()


def webhook_path(entry: MockConfigEntry) -> str:
    """The entry's webhook path."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


def uplink(eui: str = EUI, fcnt_up: int = 1) -> dict[str, Any]:
    """A ThingPark uplink body (the values as strings, as ThingPark sends them)."""
    return {
        "DevEUI_uplink": {
            "Time": datetime.now(UTC).isoformat(),
            "DevEUI": eui,
            "FPort": "1",
            "FCntUp": str(fcnt_up),
            "payload_hex": "0a1b",
            "LrrRSSI": "-90.000000",
            "LrrSNR": "5.000000",
            "CustomerID": CUSTOMER_ID,
        }
    }


def signed_query(
    body: dict[str, Any], as_id: str, as_key: str, time: str | None = None
) -> str:
    """The query string ThingPark sends with ``body``, Token last."""
    fields = body["DevEUI_uplink"]
    params = [
        ("LrnDevEui", fields["DevEUI"]),
        ("LrnFPort", fields["FPort"]),
        ("LrnInfos", "TWA_100001135.AS-1"),
        ("AS_ID", as_id),
        (
            "Time",
            datetime.now(UTC).isoformat(timespec="milliseconds")
            if time is None
            else time,
        ),
    ]
    signed = "&".join(f"{key}={value}" for key, value in params)
    covered = "".join(
        str(fields[key])
        for key in ("CustomerID", "DevEUI", "FPort", "FCntUp", "payload_hex")
    )
    token = lrc.sign(covered + signed, as_key)
    return signed.replace("+", "%2B") + f"&Token={token}"


async def push(
    client: TestClient[Any, Any],
    path: str,
    body: bytes,
    *,
    method: str = "POST",
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> int:
    """Send one push; return the status Home Assistant answered.

    With ``content_type`` None the push has no Content-Type header at all.
    """
    sent = {"Content-Type": content_type} if content_type else {}
    response: ClientResponse = await client.request(
        method,
        path,
        data=body,
        headers=sent | (headers or {}),
        skip_auto_headers=["Content-Type"],
    )
    async with response:
        return response.status


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged at WARNING or above, or with a traceback.

    asyncio's debug-mode notes about slow callbacks measure the busy test
    machine, not the handler, and are left out.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if (record.levelno >= logging.WARNING or record.exc_info)
        and record.name != "asyncio"
    ]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
async def test_webhook_ids_are_unguessable(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    loaded: MockConfigEntry,
) -> None:
    """The entry's id is 256 random bits, not derived from the account.

    A guessed id reaches nothing.
    """
    webhook_id = loaded.data[CONF_WEBHOOK_ID]
    assert TOKEN_PATTERN.fullmatch(webhook_id)
    assert not {loaded.entry_id, loaded.unique_id} & {webhook_id}
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)
    guessed = "0" * len(webhook_id)

    sms = load_example("tmobile_easy_connect", "sms_mo")
    sms["endpoint"]["name"] = ICCID
    status = await push(client, f"/api/webhook/{guessed}", json.dumps(sms).encode())

    # Home Assistant answers 200 to any id, so ids cannot be probed.
    assert status == 200
    assert not events


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_token_checked_in_constant_time(
    hass: HomeAssistant, client: TestClient[Any, Any], loaded: MockConfigEntry
) -> None:
    """Every Token is compared with :func:`hmac.compare_digest`, good or bad."""
    as_id, as_key = loaded.data[CONF_AS_ID], loaded.data[CONF_AS_KEY]
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    compared: list[tuple[str, str]] = []
    compare_digest = hmac.compare_digest

    def compare(expected: str, given: str) -> bool:
        compared.append((expected, given))
        return compare_digest(expected, given)

    good = uplink()
    bad_key = uplink(fcnt_up=2)
    tampered = uplink(fcnt_up=3)
    queries = [
        signed_query(good, as_id, as_key),
        signed_query(bad_key, as_id, "f" * 32),
        signed_query(tampered, as_id, as_key),
    ]
    tampered["DevEUI_uplink"]["payload_hex"] = "ffff"
    with patch("hmac.compare_digest", compare):
        statuses = [
            await push(
                client, f"{webhook_path(loaded)}?{query}", json.dumps(body).encode()
            )
            for query, body in zip(queries, (good, bad_key, tampered), strict=True)
        ]

    assert statuses == [200, 401, 401]
    assert len(compared) == 3
    assert len(events) == 1


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("time", "status"),
    [
        (timedelta(minutes=-9), 200),
        (timedelta(minutes=9), 200),
        (timedelta(minutes=-11), 401),
        (timedelta(minutes=11), 401),
        (timedelta(days=-365), 401),
        ("", 401),
        ("yesterday", 401),
        # Signed, but no date: refused as unsigned rather than crashing.
        ("2026-13-45T99:99:99", 401),
    ],
)
async def test_uplink_time_window(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    time: timedelta | str,
    status: int,
) -> None:
    """Only uplinks signed within ten minutes of now are taken."""
    signed_at = (
        (datetime.now(UTC) + time).isoformat(timespec="milliseconds")
        if isinstance(time, timedelta)
        else time
    )
    body = uplink()
    query = signed_query(
        body, loaded.data[CONF_AS_ID], loaded.data[CONF_AS_KEY], signed_at
    )

    answered = await push(
        client, f"{webhook_path(loaded)}?{query}", json.dumps(body).encode()
    )

    assert answered == status
    assert not refusal_lines(caplog)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
async def test_body_size_limit(
    client: TestClient[Any, Any], loaded: MockConfigEntry
) -> None:
    """Bodies over the limit are refused, declared or streamed without a length."""
    path = webhook_path(loaded)
    too_large = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(too_large), 4096):
            yield too_large[start : start + 4096]

    assert await push(client, path, too_large) == 413
    assert await push(client, path, chunks()) == 413  # type: ignore[arg-type]
    # Right at the limit the body is read, and refused for what it says.
    at_limit = b'{"pad": "' + b"x" * (MAX_BODY_BYTES - 11) + b'"}'
    assert len(at_limit) == MAX_BODY_BYTES
    assert await push(client, path, at_limit) in {400, 401}


@pytest.mark.parametrize(
    ("provider", "methods"),
    [
        # HEAD is answered by Home Assistant itself, for senders probing the URL.
        (Provider.TMOBILE_EASY_CONNECT, ["GET", "PUT", "DELETE"]),
        (Provider.KPN_LORA, ["GET", "PUT", "DELETE", "PATCH"]),
    ],
)
async def test_only_the_providers_methods(
    client: TestClient[Any, Any], loaded: MockConfigEntry, methods: list[str]
) -> None:
    """Methods the provider does not push with are refused."""
    path = webhook_path(loaded)
    for method in methods:
        assert await push(client, path, b"{}", method=method) == 405, method


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"hello"),
        ("application/x-www-form-urlencoded", b"a=1"),
        (None, b""),
        (None, b"{'single': 'quotes'}"),
        ("application/json; charset=utf-8", b'{"broken": '),
        ("application/json", b"\xff\xfe"),
        ("application/json", b"[" * 5000 + b"]" * 5000),
    ],
)
async def test_json_only(
    client: TestClient[Any, Any],
    loaded: MockConfigEntry,
    content_type: str | None,
    body: bytes,
) -> None:
    """A push must be well-formed JSON, whatever its Content-Type says."""
    path = webhook_path(loaded)

    assert await push(client, path, body, content_type=content_type) == 400


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
async def test_bad_requests_logged_not_raised(
    client: TestClient[Any, Any],
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A flood of bad pushes: each refused with a 4xx and a debug line, no more."""
    caplog.set_level(logging.DEBUG)
    path = webhook_path(loaded)
    bad = [
        (b"not json", "application/json"),
        (b"{}", "text/plain"),
        (b"[]", "application/json"),
        (b'{"DevEUI_uplink": 1, "id": []}', "application/json"),
        (b"x" * (MAX_BODY_BYTES + 1), "application/json"),
    ]
    statuses = [
        await push(client, f"{path}?Token=00", body, content_type=content_type)
        for _ in range(40)
        for body, content_type in bad
    ]

    COUNTS["bad pushes"] += len(statuses)
    assert all(400 <= status < 500 for status in statuses), set(statuses)
    assert not refusal_lines(caplog)
    refused = [r for r in caplog.records if r.getMessage().startswith("Refused a push")]
    assert len(refused) == len(statuses)
    assert all(record.levelno == logging.DEBUG for record in refused)
