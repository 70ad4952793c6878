"""Uplinks pushed to the KPN LoRa entry's webhook: 1,000 devices in a minute.

Each LoRa device of the bench account pushes one signed uplink with a Cayenne
LPP frame of a few readings (temperature, humidity, analog input), spread over
one simulated minute, handed to the webhook as Home Assistant Cloud hands it
(no HTTP: what is measured is the integration's part). Three rounds:

- *new*: every device's first frame creates its reading entities;
- *changed*: the temperature changed, the other readings did not;
- *unchanged*: the same frame again (a new frame counter).

Per round: CPU per uplink (Token check, decode, events and state writes)
beside ``json.loads`` of the same body, reading entities' state writes beside
the readings that changed, and all of the integration's state writes (the
radio sensors and the event entity follow every uplink too).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
from typing import TYPE_CHECKING, Any, Self
from unittest.mock import patch

from homeassistant.components import webhook
from homeassistant.helpers.entity import Entity
from homeassistant.util.aiohttp import MockRequest

from custom_components.iot_connectivity.api.reading_types import PayloadFormat
from custom_components.iot_connectivity.const import CONF_WEBHOOK_ID, DOMAIN
from custom_components.iot_connectivity.lora_readings import LoraReadingEntity
from iot_emulator import kpn_lora
from tests.integration.conftest import AS_ID, AS_KEY

from .probes import WarningLog, cpu_time, json_floor

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

WINDOW = timedelta(minutes=1)
READINGS_PER_FRAME = 3


def frame(number: int, temperature_tenths: int) -> str:
    """A Cayenne LPP frame: temperature (ch 1), humidity (ch 2), analog input (ch 3)."""
    humidity = 80 + number % 40
    analog = 100 + number % 1000
    return f"0167{temperature_tenths & 0xFFFF:04x}0268{humidity:02x}0302{analog:04x}"


@dataclass(slots=True)
class Signed:
    """An uplink as it would be POSTed: its query string and body."""

    query: str
    body: bytes


class _Capture:
    """A stand-in for an aiohttp session: keeps what ``push_uplink`` would POST."""

    def __init__(self) -> None:
        self.sent: list[Signed] = []
        self.status = 200

    def post(self, url: str, json: Any) -> Self:
        self.sent.append(Signed(url.partition("?")[2], _dumps(json)))
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


def _dumps(body: Any) -> bytes:
    return json.dumps(body).encode()


async def signed_uplinks(
    euis: list[str], frames: list[str], fcnt_up: int, moment: datetime
) -> list[Signed]:
    """One signed uplink per device, as ThingPark would push it."""
    capture = _Capture()
    for eui, payload_hex in zip(euis, frames, strict=True):
        await kpn_lora.push_uplink(
            capture,  # type: ignore[arg-type]
            "http://bench/",
            as_id=AS_ID,
            as_key=AS_KEY,
            dev_eui=eui,
            fport=1,
            payload_hex=payload_hex,
            fcnt_up=fcnt_up,
            time=moment,
        )
    return capture.sent


@dataclass(slots=True)
class Writes:
    """State writes of reading entities, and of all of the integration's entities."""

    readings: int = 0
    total: int = 0


@contextmanager
def counted_writes() -> Iterator[Writes]:
    """Count ``async_write_ha_state`` of reading entities and of every entity ours."""
    counts = Writes()
    write = Entity.async_write_ha_state

    def counting(self: Entity) -> None:
        if self.platform is not None and self.platform.platform_name == DOMAIN:
            counts.total += 1
            counts.readings += isinstance(self, LoraReadingEntity)
        write(self)

    with patch.object(Entity, "async_write_ha_state", counting):
        yield counts


async def measure_uplinks(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> dict[str, Any]:
    """Push three rounds of uplinks of every device; the figures of each."""
    lora = entry.runtime_data.lora
    readings = entry.runtime_data.readings
    if lora is None or readings is None:
        raise RuntimeError("the KPN LoRa entry has no LoRa devices")
    euis = sorted(lora.items)
    for eui in euis:
        readings.async_set_format(eui, PayloadFormat.CAYENNE_LPP)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    rounds = {
        "new": ([frame(n, 200 + n % 50) for n in range(len(euis))], READINGS_PER_FRAME),
        "changed": ([frame(n, 201 + n % 50) for n in range(len(euis))], 1),
        "unchanged": ([frame(n, 201 + n % 50) for n in range(len(euis))], 0),
    }
    blocking = WarningLog("blocking call", "homeassistant.util.loop")
    figures: dict[str, Any] = {"devices": len(euis)}
    with blocking.watching():
        for number, (name, (frames, changed)) in enumerate(rounds.items()):
            moment = datetime.now(UTC)
            uplinks = await signed_uplinks(euis, frames, 1000 + number, moment)
            figures[name] = await _push_round(
                hass, freezer, webhook_id, uplinks, changed * len(euis)
            )
            freezer.tick(timedelta(minutes=10))
    figures["blocking_calls"] = len(blocking.reports)
    return figures


async def _push_round(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    webhook_id: str,
    uplinks: list[Signed],
    readings_changed: int,
) -> dict[str, Any]:
    """Hand every uplink to the webhook within a minute; CPU and writes."""
    step = WINDOW / len(uplinks)
    statuses: set[int] = set()
    cpu = 0.0
    with counted_writes() as writes:
        for uplink in uplinks:
            request = MockRequest(
                uplink.body,
                mock_source="bench",
                method="POST",
                headers={"Content-Type": "application/json"},
                query_string=uplink.query,
            )
            started = cpu_time()
            answer = await webhook.async_handle_webhook(hass, webhook_id, request)
            await hass.async_block_till_done()
            cpu += cpu_time() - started
            statuses.add(answer.status)
            # Moving the frozen clock is the harness's cost, not the uplink's.
            freezer.tick(step)
    floor = json_floor([uplink.body for uplink in uplinks])
    count = len(uplinks)
    return {
        "uplinks": count,
        "statuses": sorted(statuses),
        "cpu_ms_per_uplink": cpu * 1000 / count,
        "json_ms_per_uplink": floor * 1000 / count,
        "cpu_ratio": cpu / floor if floor else None,
        "readings_changed": readings_changed,
        "reading_writes": writes.readings,
        "all_writes": writes.total,
    }
