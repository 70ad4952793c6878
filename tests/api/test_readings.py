"""The decoding seam: an uplink and its device's format give readings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.iot_connectivity.api.lrc import parse_uplink
from custom_components.iot_connectivity.api.models import LoraUplink
from custom_components.iot_connectivity.api.reading_types import (
    PayloadError,
    PayloadFormat,
    Quantity,
    Reading,
)
from custom_components.iot_connectivity.api.readings import (
    decode_uplink,
    payload_bytes,
)

EUI = "0059AC0000170311"
# myDevices' Cayenne LPP example "Device with 2 temperature sensors".
CAYENNE_HEX = "03670110056700ff"
TWO_TEMPERATURES = [
    Reading("temperature_3", Quantity.TEMPERATURE, 27.2, 3),
    Reading("temperature_5", Quantity.TEMPERATURE, 25.5, 5),
]
DECODED = {"points": {"temperature": {"unitId": "Cel", "record": 19.4}}}
"""The start of the points of ThingPark's IoT Flow MODBUS example."""


def published_uplink(name: str) -> dict[str, Any]:
    path = Path(__file__).parents[1] / "fixtures" / "thingpark" / f"{name}.json"
    body: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return body


def test_cayenne_lpp_decodes_the_payload_bytes() -> None:
    uplink = LoraUplink(eui=EUI, port=2, payload_hex=CAYENNE_HEX)
    assert decode_uplink(uplink, PayloadFormat.CAYENNE_LPP) == TWO_TEMPERATURES


def test_cayenne_lpp_ignores_a_driver_decoded_payload() -> None:
    uplink = LoraUplink(eui=EUI, payload_hex=CAYENNE_HEX, decoded=DECODED)
    assert decode_uplink(uplink, PayloadFormat.CAYENNE_LPP) == TWO_TEMPERATURES


def test_automatic_uses_thingparks_decoded_payload() -> None:
    uplink = LoraUplink(eui=EUI, payload_hex=CAYENNE_HEX, decoded=DECODED)
    assert decode_uplink(uplink, PayloadFormat.AUTOMATIC) == [
        Reading("temperature", Quantity.TEMPERATURE, 19.4, name="temperature")
    ]


def test_automatic_without_a_decoded_payload_has_no_readings() -> None:
    """Automatic never guesses a format from the bytes."""
    uplink = LoraUplink(eui=EUI, payload_hex=CAYENNE_HEX)
    assert decode_uplink(uplink, PayloadFormat.AUTOMATIC) == []


def test_none_has_no_readings() -> None:
    uplink = LoraUplink(eui=EUI, payload_hex=CAYENNE_HEX, decoded=DECODED)
    assert decode_uplink(uplink, PayloadFormat.NONE) == []


@pytest.mark.parametrize("payload_hex", ["zz", "036", "0367 0110 05", "\uff10\uff13"])
def test_payload_that_is_not_hex(payload_hex: str) -> None:
    uplink = LoraUplink(eui=EUI, payload_hex=payload_hex)
    with pytest.raises(PayloadError) as err:
        decode_uplink(uplink, PayloadFormat.CAYENNE_LPP)
    assert err.value.reason == "not_hex"


def test_a_bad_cayenne_frame_keeps_its_reason() -> None:
    uplink = LoraUplink(eui=EUI, payload_hex="0567ff")
    with pytest.raises(PayloadError) as err:
        decode_uplink(uplink, PayloadFormat.CAYENNE_LPP)
    assert err.value.reason == "truncated"


def test_encrypted_payload_is_never_decoded_as_plaintext() -> None:
    """Valid Cayenne bytes, but ciphertext for the AS: refused, not decoded."""
    uplink = LoraUplink(eui=EUI, payload_hex=CAYENNE_HEX, encrypted=True)
    with pytest.raises(PayloadError) as err:
        decode_uplink(uplink, PayloadFormat.CAYENNE_LPP)
    assert err.value.reason == "encrypted"
    with pytest.raises(PayloadError):
        payload_bytes(uplink)
    assert decode_uplink(uplink, PayloadFormat.AUTOMATIC) == []


@pytest.mark.parametrize(
    "marker",
    [{"PayloadEncryption": 1}, {"PayloadEncryption": "1"}, {"AppSKey": "a1b2c3"}],
)
def test_pushed_uplink_marked_encrypted_is_refused(marker: dict[str, Any]) -> None:
    body = {"DevEUI_uplink": {"DevEUI": EUI, "payload_hex": CAYENNE_HEX, **marker}}
    with pytest.raises(PayloadError) as err:
        decode_uplink(parse_uplink(body), PayloadFormat.CAYENNE_LPP)
    assert err.value.reason == "encrypted"


def test_payload_bytes() -> None:
    assert payload_bytes(LoraUplink(eui=EUI, payload_hex="00FFa0")) == b"\x00\xff\xa0"
    assert payload_bytes(LoraUplink(eui=EUI)) == b""


def test_published_uplink_through_the_seam() -> None:
    """ThingPark's decoded Abeeway heartbeat, automatic and as Cayenne."""
    uplink = parse_uplink(published_uplink("iot_flow_decoded_uplink"))
    readings = {r.key: r.value for r in decode_uplink(uplink, PayloadFormat.AUTOMATIC)}
    assert readings["temperature"] == 24.8
    # Its bytes are Abeeway's own protocol: as Cayenne, type 0x20 is unknown.
    with pytest.raises(PayloadError) as err:
        decode_uplink(uplink, PayloadFormat.CAYENNE_LPP)
    assert err.value.reason == "unknown_type"
