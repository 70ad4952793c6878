"""Cayenne LPP decoding, checked against published example frames.

Every type is decoded from bytes someone else published, with the values they
published for them. Sources, cited next to each vector:

- MYDEVICES: myDevices' Cayenne LPP reference (github.com/myDevicesIoT/CayenneLPP,
  README "Examples"; the same table is in the Cayenne LoRa docs).
- TTS: The Things Stack docs, "Payload Formatters > CayenneLPP"
  (thethingsindustries.com/docs/integrations/payload-formatters/cayenne).
- CHIRPSTACK: ChirpStack v4, chirpstack/src/codec/cayenne_lpp.rs, ``test_lpp``
  (the frame and its expected values; extended types added in #909).
- ELECTRONICCATS: ElectronicCats/CayenneLPP, test/aunit/main.cpp (encoder and
  decoder tests).
"""

from __future__ import annotations

import base64

import pytest

from custom_components.iot_connectivity.api.cayenne_lpp import (
    MAX_FRAME_BYTES,
    TYPES,
    decode,
)
from custom_components.iot_connectivity.api.reading_types import (
    UNITS,
    PayloadError,
    Position,
    Quantity,
    Reading,
)

Q = Quantity


def values(payload: str) -> dict[str, object]:
    """Decode hex and key the values, checking each key's channel on the way."""
    readings = decode(bytes.fromhex(payload))
    for reading in readings:
        assert reading.key.endswith(f"_{reading.channel}")
    return {reading.key: reading.value for reading in readings}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # MYDEVICES "Device with 2 temperature sensors"; TTS decodes the same
        # frame to temperature_3 27.2 and temperature_5 25.5.
        ("03 67 01 10 05 67 00 FF", {"temperature_3": 27.2, "temperature_5": 25.5}),
        # MYDEVICES "Device with temperature and acceleration sensors", frame N.
        ("01 67 FF D7", {"temperature_1": -4.1}),
        # MYDEVICES, the same device, frame N+1.
        (
            "06 71 04 D2 FB 2E 00 00",
            {
                "acceleration_x_6": 1.234,
                "acceleration_y_6": -1.234,
                "acceleration_z_6": 0.0,
            },
        ),
        # MYDEVICES "Device with GPS": 42.3519, -87.9094, 10 m.
        (
            "01 88 06 76 5F F2 96 0A 00 03 E8",
            {"gps_1": Position(42.3519, -87.9094, 10.0)},
        ),
        # ELECTRONICCATS Negative_Temperature: -4.7 on channel 5.
        ("05 67 FF D1", {"temperature_5": -4.7}),
        # ELECTRONICCATS Humidity: 54 % on channel 2.
        ("02 68 6C", {"humidity_2": 54.0}),
    ],
)
def test_mydevices_tts_and_electroniccats_examples(
    payload: str, expected: dict[str, object]
) -> None:
    assert values(payload) == expected


@pytest.mark.parametrize(
    ("frm_payload", "expected"),
    [
        # TTS: "A2cBEAVnAP8=" -> temperature_3 27.200000762939453 (a float32
        # there), temperature_5 25.5.
        ("A2cBEAVnAP8=", {"temperature_3": 27.2, "temperature_5": 25.5}),
        # TTS: "AHMnvwBnAN4=" -> barometric_pressure_0 1017.5, temperature_0
        # 22.200000762939453: channel 0 is a channel like any other.
        ("AHMnvwBnAN4=", {"pressure_0": 1017.5, "temperature_0": 22.2}),
    ],
)
def test_tts_documented_frm_payloads(
    frm_payload: str, expected: dict[str, object]
) -> None:
    assert values(base64.b64decode(frm_payload).hex()) == expected


# CHIRPSTACK test_lpp: one frame with two channels of every type it decodes,
# split here per type, with ChirpStack's expected values. Digital inputs,
# outputs and presence carry 100/210 and 5/3: any non-zero byte is "on".
CHIRPSTACK: list[tuple[str, dict[str, object]]] = [
    ("03 00 64 05 00 D2", {"digital_input_3": True, "digital_input_5": True}),
    ("03 01 64 05 01 D2", {"digital_output_3": True, "digital_output_5": True}),
    ("03 02 00 0A 05 02 03 E8", {"analog_input_3": 0.1, "analog_input_5": 10.0}),
    ("03 03 00 0A 05 03 03 E8", {"analog_output_3": 0.1, "analog_output_5": 10.0}),
    ("03 64 00 00 00 01 05 64 FF FE FD FC", {"generic_3": 1, "generic_5": 4294901244}),
    ("03 65 00 0A 05 65 03 E8", {"illuminance_3": 10, "illuminance_5": 1000}),
    ("03 66 05 05 66 03", {"presence_3": True, "presence_5": True}),
    ("03 67 01 10 05 67 00 FF", {"temperature_3": 27.2, "temperature_5": 25.5}),
    ("03 68 29 05 68 96", {"humidity_3": 20.5, "humidity_5": 75.0}),
    (
        "03 71 00 01 00 02 00 03 05 71 03 EA 07 D3 0B BB",
        {
            "acceleration_x_3": 0.001,
            "acceleration_y_3": 0.002,
            "acceleration_z_3": 0.003,
            "acceleration_x_5": 1.002,
            "acceleration_y_5": 2.003,
            "acceleration_z_5": 3.003,
        },
    ),
    ("03 73 04 1F 05 73 09 C4", {"pressure_3": 105.5, "pressure_5": 250.0}),
    ("03 74 00 01 05 74 FF FE", {"voltage_3": 0.01, "voltage_5": 655.34}),
    ("03 75 00 02 05 75 FF FD", {"current_3": 0.002, "current_5": 65.533}),
    (
        "03 76 00 00 00 01 05 76 FF FE FD FB",
        {"frequency_3": 1, "frequency_5": 4294901243},
    ),
    ("03 78 00 05 78 64", {"percentage_3": 0, "percentage_5": 100}),
    ("03 79 00 01 05 79 FF FB", {"altitude_3": 1, "altitude_5": -5}),
    ("03 7D 00 07 05 7D FF FE", {"concentration_3": 7, "concentration_5": 65534}),
    ("03 80 00 08 05 80 FE FD", {"power_3": 8, "power_5": 65277}),
    ("03 82 00 00 01 10 05 82 01 02 03 04", {"distance_3": 0.272, "distance_5": 16909.06}),
    ("03 83 00 00 00 0C 05 83 FF FE FD FE", {"energy_3": 0.012, "energy_5": 4294901.246}),
    ("03 84 00 09 05 84 FF FC", {"direction_3": 9, "direction_5": 65532}),
    ("03 85 00 00 00 0D 05 85 FF FE FD FD", {"unix_time_3": 13, "unix_time_5": 4294901245}),
    (
        "03 86 00 01 00 02 00 03 05 86 03 E9 07 D2 0B BB",
        {
            "angular_velocity_x_3": 0.01,
            "angular_velocity_y_3": 0.02,
            "angular_velocity_z_3": 0.03,
            "angular_velocity_x_5": 10.01,
            "angular_velocity_y_5": 20.02,
            "angular_velocity_z_5": 30.03,
        },
    ),
    ("03 87 64 96 C8 05 87 FA BE 00", {"colour_3": "#6496c8", "colour_5": "#fabe00"}),
    (
        "01 88 06 76 5F F2 96 0A 00 03 E8",
        {"gps_1": Position(42.3519, -87.9094, 10.0)},
    ),
    ("03 8E 00 05 8E 01", {"switch_3": False, "switch_5": True}),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "expected"), CHIRPSTACK)
def test_chirpstack_vectors(payload: str, expected: dict[str, object]) -> None:
    assert values(payload) == expected


def test_chirpstack_whole_frame_decodes_every_type() -> None:
    """The published frame, in one piece: several types and channels at once."""
    frame = "".join(payload for payload, _ in CHIRPSTACK)
    expected = {key: value for _, part in CHIRPSTACK for key, value in part.items()}
    assert values(frame) == expected
    assert {int(payload.split()[1], 16) for payload, _ in CHIRPSTACK} == set(TYPES)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # ELECTRONICCATS EncoderTest Generic_Sensor: addGenericSensor(1, 998).
        ("01 64 00 00 03 E6", {"generic_1": 998}),
        # ELECTRONICCATS Voltage: addVoltage(3, 224.56) and DecoderTest Voltage.
        ("03 74 57 B8", {"voltage_3": 224.56}),
        # ELECTRONICCATS Current: addCurrent(1, 0.237).
        ("01 75 00 ED", {"current_1": 0.237}),
        # ELECTRONICCATS Frequency: addFrequency(1, 868100000), both directions.
        ("01 76 33 BE 27 A0", {"frequency_1": 868100000}),
        # ELECTRONICCATS Altitude: addAltitude(5, -17).
        ("05 79 FF EF", {"altitude_5": -17}),
        # ELECTRONICCATS Concentration: 4079 ppm; the published bytes carry
        # channel 5 (the call in that test passes 4).
        ("05 7D 0F EF", {"concentration_5": 4079}),
        # ELECTRONICCATS Colour: the published bytes 0F EF 18 on channel 7. Its
        # addColour writes r, g, b in order, so they read as #0fef18.
        ("07 87 0F EF 18", {"colour_7": "#0fef18"}),
        # ELECTRONICCATS Power: addPower(5, 3450); Limit: addPower(1, 0xFFFF).
        ("05 80 0D 7A", {"power_5": 3450}),
        ("01 80 FF FF", {"power_1": 65535}),
        # ELECTRONICCATS Distance: addDistance(1, 0.034), both directions.
        ("01 82 00 00 00 22", {"distance_1": 0.034}),
        # ELECTRONICCATS Energy: addEnergy(1, 7953.2), in kWh.
        ("01 83 00 79 5B 30", {"energy_1": 7953.2}),
        # ELECTRONICCATS Direction: addDirection(1, 256).
        ("01 84 01 00", {"direction_1": 256}),
        # ELECTRONICCATS Switch: addSwitch(5, 1).
        ("05 8E 01", {"switch_5": True}),
        # ELECTRONICCATS GPS: addGPS(1, 42.3519, -87.9094, 10); its float
        # encoder truncated the latitude to 42.3518 (5E, not MYDEVICES' 5F).
        (
            "01 88 06 76 5E F2 96 0A 00 03 E8",
            {"gps_1": Position(42.3518, -87.9094, 10.0)},
        ),
    ],
)
def test_electroniccats_extended_examples(
    payload: str, expected: dict[str, object]
) -> None:
    assert values(payload) == expected


def test_quantities_and_units() -> None:
    """Each reading says what it measures; units are the ones UNITS gives."""
    readings = {
        reading.key: reading
        for reading in decode(bytes.fromhex("03670110 0273 27BF 018300795B30 05 8E 01"))
    }
    assert readings == {
        "temperature_3": Reading("temperature_3", Q.TEMPERATURE, 27.2, 3),
        "pressure_2": Reading("pressure_2", Q.PRESSURE, 1017.5, 2),
        "energy_1": Reading("energy_1", Q.ENERGY, 7953.2, 1),
        "switch_5": Reading("switch_5", Q.STATE, value=True, channel=5),
    }
    assert (UNITS[Q.PRESSURE], UNITS[Q.ENERGY], UNITS[Q.TEMPERATURE]) == (
        "hPa",
        "kWh",
        "°C",
    )


def test_gps_is_one_position_reading() -> None:
    (reading,) = decode(bytes.fromhex("01 88 06 76 5F F2 96 0A 00 03 E8"))
    assert reading == Reading(
        "gps_1", None, Position(42.3519, -87.9094, 10.0), channel=1
    )


def test_state_types_are_booleans() -> None:
    readings = decode(bytes.fromhex("01 00 00 02 01 01 03 66 00 04 8E 01"))
    assert [(r.key, r.quantity, r.value) for r in readings] == [
        ("digital_input_1", Q.STATE, False),
        ("digital_output_2", Q.STATE, True),
        ("presence_3", Q.STATE, False),
        ("switch_4", Q.STATE, True),
    ]


def test_a_repeated_channel_keeps_its_last_value() -> None:
    assert values("03 67 01 10 03 67 00 FF") == {"temperature_3": 25.5}


def test_empty_frame_has_no_readings() -> None:
    assert decode(b"") == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        # ELECTRONICCATS DecoderTest Overflow: a temperature one byte short.
        ("05 67 FF", "truncated"),
        # A second record cut short: nothing of the first is kept either.
        ("03 67 01 10 05 67 00", "truncated"),
        ("03 67 01 10 05", "truncated"),
        ("01 88 06 76 5F F2 96 0A 00 03", "truncated"),
        # ELECTRONICCATS DecoderTest UnknownType: type 0x24.
        ("03 24 01 10", "unknown_type"),
        ("03 67 01 10 01 FF 00", "unknown_type"),
        # Latitude 0x7FFFFF = 838.8607°: no place on Earth.
        ("01 88 7F FF FF 00 00 00 00 00 00", "invalid"),
    ],
)
def test_bad_frames_raise_a_reasoned_payload_error(payload: str, reason: str) -> None:
    with pytest.raises(PayloadError) as err:
        decode(bytes.fromhex(payload))
    assert err.value.reason == reason


def test_a_frame_longer_than_lorawan_allows_is_the_wrong_size() -> None:
    frame = bytes.fromhex("03 68 29") * (MAX_FRAME_BYTES // 3 + 1)
    with pytest.raises(PayloadError) as err:
        decode(frame)
    assert err.value.reason == "wrong_size"
    assert len(decode(frame[: MAX_FRAME_BYTES // 3 * 3])) == 1
