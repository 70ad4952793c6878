"""ThingPark LRC signing: downlink Tokens, uplink Tokens and uplink parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from hypothesis import given, strategies as st
import pytest

from custom_components.iot_connectivity.api.errors import (
    InvalidRequestError,
    InvalidResponseError,
)
from custom_components.iot_connectivity.api.lrc import (
    DownlinkValidationError,
    downlink_query,
    format_time,
    normalize_eui,
    parse_uplink,
    sign,
    validate_downlink,
    verify_uplink_token,
)
from custom_components.iot_connectivity.api.models import LoraUplink
from iot_emulator.kpn_lora import DEFAULT_CUSTOMER_ID, LRC_DOWNLINK_PATH, push_uplink

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

pytestmark = pytest.mark.usefixtures("socket_enabled")

PUBLISHED_QUERY = (
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14:28:00"
)
PUBLISHED_KEY = "46ab678cd45df4a4e4b375Eacd096acc"
PUBLISHED_TOKEN = "b5a84fe9c8921e9de359e3041a37b76c4b122f6f9b83577b5596c842052f7e62"
AS_ID = "YOUR-AS-ID"
AS_KEY = "6dd70c8511e02ac833add9a146f5bf23"
EUI = "0059AC0000170311"
MOMENT = datetime(2016, 8, 1, 9, 6, 6, 123456, tzinfo=timezone(timedelta(hours=2)))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_published_token_example() -> None:
    independent = sha256(PUBLISHED_QUERY + PUBLISHED_KEY)
    assert independent == PUBLISHED_TOKEN
    assert sign(PUBLISHED_QUERY, PUBLISHED_KEY) == PUBLISHED_TOKEN


def test_a_different_key_signs_differently() -> None:
    assert sign(PUBLISHED_QUERY, PUBLISHED_KEY.lower()) != PUBLISHED_TOKEN


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (MOMENT, "2016-08-01T09:06:06.123+02:00"),
        (datetime(2016, 8, 1, 9, 6, 6, tzinfo=UTC), "2016-08-01T09:06:06.000+00:00"),
        (datetime(2016, 8, 1, 9, 6, 6), "2016-08-01T09:06:06.000+00:00"),  # noqa: DTZ001
        (
            datetime(2016, 8, 1, 9, 6, 6, tzinfo=timezone(-timedelta(hours=5))),
            "2016-08-01T09:06:06.000-05:00",
        ),
    ],
)
def test_format_time(moment: datetime, text: str) -> None:
    assert format_time(moment) == text


def test_downlink_query_order_escaping_and_token() -> None:
    query = downlink_query(
        dev_eui=EUI,
        port=2,
        payload_hex="01ab",
        as_id=AS_ID,
        as_key=AS_KEY,
        time=MOMENT,
        fcnt_down=7,
        confirmed=True,
        flush_queue=True,
    )
    signed = (
        f"DevEUI={EUI}&FPort=2&Payload=01ab&FCntDn=7&Confirmed=1"
        f"&FlushDownlinkQueue=1&AS_ID={AS_ID}&Time=2016-08-01T09:06:06.123+02:00"
    )
    expected_token = sha256(signed + AS_KEY)
    assert query == (signed.replace("+02:00", "%2B02:00") + f"&Token={expected_token}")


def test_downlink_query_leaves_out_unset_options() -> None:
    query = downlink_query(
        dev_eui=EUI,
        port=1,
        payload_hex="00",
        as_id=AS_ID,
        as_key=AS_KEY,
        time=datetime(2016, 1, 11, 14, 28, tzinfo=UTC),
    )
    keys = [part.partition("=")[0] for part in query.split("&")]
    assert keys == ["DevEUI", "FPort", "Payload", "AS_ID", "Time", "Token"]


@given(
    as_id=st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_characters="&=", exclude_categories=["Cs", "Cc"]
        ),
        min_size=1,
        max_size=30,
    ),
    payload=st.binary(max_size=242),
)
def test_token_covers_the_query_as_the_server_unescapes_it(
    as_id: str, payload: bytes
) -> None:
    query = downlink_query(
        dev_eui=EUI,
        port=5,
        payload_hex=payload.hex(),
        as_id=as_id,
        as_key=AS_KEY,
        time=MOMENT,
    )
    sent, _, token = query.partition("&Token=")
    assert "+" not in sent
    assert sha256(unquote(sent) + AS_KEY) == token


@pytest.mark.parametrize(
    ("payload", "port", "fcnt_down", "reason"),
    [
        ("00", 0, None, "port"),
        ("00", 224, None, "port"),
        ("0g", 1, None, "payload_hex"),
        ("0x00", 1, None, "payload_hex"),
        ("abc", 1, None, "payload_odd"),
        ("00" * 243, 1, None, "payload_too_long"),
        ("00", 1, -1, "fcnt_down"),
    ],
)
def test_invalid_downlinks_are_refused(
    payload: str, port: int, fcnt_down: int | None, reason: str
) -> None:
    with pytest.raises(DownlinkValidationError) as err:
        validate_downlink(payload, port, fcnt_down)
    assert err.value.reason == reason
    assert isinstance(err.value, InvalidRequestError)


@pytest.mark.parametrize(
    ("payload", "port"), [("", 1), ("00" * 242, 223), ("AbCd", 1), ("ff", 100)]
)
def test_valid_downlinks_pass(payload: str, port: int) -> None:
    validate_downlink(payload, port, 0)


def test_normalize_eui() -> None:
    assert normalize_eui(" 0059ac0000170311 ") == EUI
    with pytest.raises(DownlinkValidationError) as err:
        normalize_eui("0059ac00001703")
    assert err.value.reason == "eui"


def uplink_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "Time": "2016-08-01T09:06:06.000+02:00",
        "DevEUI": EUI,
        "FPort": "2",
        "FCntUp": "41",
        "FCntDn": "3",
        "payload_hex": "0102abcd",
        "LrrRSSI": "-100.000000",
        "LrrSNR": "7.500000",
        "SpFact": "9",
        "Lrrid": "FF0109A4",
        "Lrrs": {"Lrr": [{"Lrrid": "FF0109A4"}, {"Lrrid": "FF0109A5"}]},
        "CustomerID": DEFAULT_CUSTOMER_ID,
        "DevAddr": "00170311",
        "InstantPER": "0.020000",
        "MeanPER": "0.010000",
        "Frequency": "868.1",
    } | overrides


def signed_uplink_query(fields: dict[str, Any], key: str = AS_KEY) -> str:
    """A raw uplink query, signed independently of the library."""
    plain = (
        f"LrnDevEui={EUI}&LrnFPort=2&LrnInfos=TWA_100001135.AS-1-41"
        f"&AS_ID={AS_ID}&Time=2016-08-01T09:06:06.000+02:00"
    )
    prefix = "".join(
        str(fields[k])
        for k in ("CustomerID", "DevEUI", "FPort", "FCntUp", "payload_hex")
    )
    token = sha256(prefix + plain + key)
    return plain.replace("+", "%2B") + f"&Token={token}"


def test_uplink_token_from_a_raw_query() -> None:
    fields = uplink_fields()
    query = signed_uplink_query(fields)
    assert verify_uplink_token(query, {"DevEUI_uplink": fields}, AS_KEY)
    assert verify_uplink_token(f"?{query}", fields, AS_KEY)


def test_uplink_token_with_numeric_values() -> None:
    fields = uplink_fields(FPort=2, FCntUp=41.0, LrrRSSI=-100.0)
    assert verify_uplink_token(signed_uplink_query(uplink_fields()), fields, AS_KEY)


def test_uplink_token_from_decoded_parameters() -> None:
    fields = uplink_fields()
    query = dict(
        part.split("=", 1) for part in unquote(signed_uplink_query(fields)).split("&")
    )
    assert verify_uplink_token(query, fields, AS_KEY)
    assert not verify_uplink_token({**query, "Time": "2016"}, fields, AS_KEY)


@pytest.mark.parametrize(
    ("query_edit", "field_edit", "key"),
    [
        (None, {"payload_hex": "0102abce"}, AS_KEY),
        (None, {"FCntUp": "42"}, AS_KEY),
        (None, {"CustomerID": None}, AS_KEY),
        (("AS_ID=YOUR-AS-ID", "AS_ID=OTHER"), None, AS_KEY),
        (("&Token=", "&Token=0"), None, AS_KEY),
        (("&Token=", "&Tokens="), None, AS_KEY),
        (None, None, AS_KEY.upper()),
    ],
)
def test_tampered_uplinks_fail(
    query_edit: tuple[str, str] | None,
    field_edit: dict[str, Any] | None,
    key: str,
) -> None:
    fields = uplink_fields()
    query = signed_uplink_query(fields)
    if query_edit:
        query = query.replace(*query_edit)
    assert not verify_uplink_token(query, fields | (field_edit or {}), key)


def test_parse_uplink_string_values() -> None:
    assert parse_uplink({"DevEUI_uplink": uplink_fields(DevEUI=EUI.lower())}) == (
        LoraUplink(
            eui=EUI,
            port=2,
            fcnt_up=41,
            fcnt_down=3,
            payload_hex="0102abcd",
            rssi=-100.0,
            snr=7.5,
            sf=9,
            time=datetime(2016, 8, 1, 7, 6, 6, tzinfo=UTC),
            gateway_id="FF0109A4",
            gateway_count=2,
            customer_id=DEFAULT_CUSTOMER_ID,
            dev_addr="00170311",
            mean_per=0.01,
            instant_per=0.02,
            frequency=868.1,
        )
    )


def test_parse_uplink_numeric_values_and_one_gateway() -> None:
    uplink = parse_uplink(
        uplink_fields(
            FPort=2, FCntUp=41, LrrRSSI=-99.5, SpFact=12, Lrrs={"Lrr": {"Lrrid": "A"}}
        )
    )
    assert (uplink.port, uplink.fcnt_up, uplink.rssi, uplink.sf) == (2, 41, -99.5, 12)
    assert uplink.gateway_count == 1


def test_parse_uplink_minimal() -> None:
    uplink = parse_uplink({"DevEUI_uplink": {"DevEUI": EUI}})
    assert uplink == LoraUplink(eui=EUI)


@pytest.mark.parametrize(
    "body", [[], "text", {"DevEUI_uplink": {"FPort": "1"}}, {"DevEUI_uplink": []}]
)
def test_parse_uplink_wrong_shape(body: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_uplink(body)


@pytest.fixture
async def application_server(aiohttp_server) -> tuple[str, list[tuple[str, Any]]]:
    """An application server that records each push's raw query and body."""
    received: list[tuple[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((request.rel_url.raw_query_string, await request.json()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/uplink", receive)
    server = await aiohttp_server(app)
    return str(server.make_url("/uplink")), received


@pytest.mark.parametrize("numeric", [False, True])
async def test_emulator_pushes_verifiable_uplinks(
    application_server: tuple[str, list[tuple[str, Any]]],
    http_session: aiohttp.ClientSession,
    numeric: bool,
) -> None:
    url, received = application_server
    status = await push_uplink(
        http_session,
        url,
        as_id=AS_ID,
        as_key=AS_KEY,
        dev_eui=EUI,
        fport=3,
        payload_hex="cafe",
        fcnt_up=12,
        rssi=-101.25,
        time=MOMENT,
        numeric=numeric,
    )
    assert status == 204
    [(query, body)] = received
    fields = body["DevEUI_uplink"]
    assert fields["LrrRSSI"] == (-101.25 if numeric else "-101.250000")
    assert verify_uplink_token(query, body, AS_KEY)
    decoded = dict(part.split("=", 1) for part in unquote(query).split("&"))
    assert decoded["Time"] == "2016-08-01T09:06:06.123+02:00"
    assert verify_uplink_token(decoded, body, AS_KEY)
    assert not verify_uplink_token(query, body, AS_KEY[::-1])
    tampered = {"DevEUI_uplink": fields | {"payload_hex": "cafd"}}
    assert not verify_uplink_token(query, tampered, AS_KEY)
    uplink = parse_uplink(body)
    assert (uplink.eui, uplink.port, uplink.fcnt_up, uplink.payload_hex) == (
        EUI,
        3,
        12,
        "cafe",
    )
    assert uplink.rssi == -101.25


async def post_downlink(
    session: aiohttp.ClientSession, url: str, query: str
) -> tuple[int, str]:
    async with session.post(f"{url}{LRC_DOWNLINK_PATH}?{query}") as response:
        return response.status, await response.text()


async def test_emulator_accepts_library_signed_downlinks(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    query = downlink_query(
        dev_eui=EUI,
        port=2,
        payload_hex="01ab",
        as_id=AS_ID,
        as_key=AS_KEY,
        time=datetime.now(UTC),
    )
    url = emulator.url("kpn_lora")
    assert await post_downlink(http_session, url, query) == (
        200,
        "<html><body>Request queued by LRC</body></html>",
    )
    tampered = query.replace("Payload=01ab", "Payload=01ac")
    assert (await post_downlink(http_session, url, tampered))[0] == 403
    [accepted] = emulator.kpn_lora.downlinks
    assert (accepted.dev_eui, accepted.port, accepted.payload_hex) == (EUI, 2, "01ab")


@pytest.mark.parametrize(
    ("fields", "counters"),
    [
        ({"FPort": 223, "FCntUp": 2**32 - 1, "FCntDn": 0}, (223, 2**32 - 1, 0)),
        ({"FPort": 256, "FCntUp": 2**32, "FCntDn": -1}, (None, None, None)),
        ({"FPort": 1, "FCntUp": 10**30, "FCntDn": "1e40"}, (1, None, None)),
    ],
    ids=["largest", "one_past", "absurd"],
)
def test_parse_uplink_counters_within_their_fields(
    fields: dict[str, Any], counters: tuple[int | None, ...]
) -> None:
    """FPort is 8 bits and frame counters 32: anything beyond is no frame's."""
    uplink = parse_uplink({"DevEUI_uplink": {"DevEUI": EUI, **fields}})
    assert (uplink.port, uplink.fcnt_up, uplink.fcnt_down) == counters


@pytest.mark.parametrize(
    ("marker", "encrypted"),
    [
        ({}, False),
        # A published ThingPark Enterprise capture carries 0 next to a decoded
        # payload; non-zero meaning "encrypted for the AS" is inferred.
        ({"PayloadEncryption": 0}, False),
        ({"PayloadEncryption": "0"}, False),
        ({"PayloadEncryption": 1}, True),
        ({"PayloadEncryption": "1"}, True),
        ({"PayloadEncryption": True}, True),
        ({"AppSKey": ""}, False),
        ({"AppSKey": "8e4bda2fda868e536a821ee8930e8ceb"}, True),
    ],
)
def test_parse_uplink_encrypted_for_the_application_server(
    marker: dict[str, Any], encrypted: bool
) -> None:
    uplink = parse_uplink({"DevEUI_uplink": uplink_fields(**marker)})
    assert uplink.encrypted is encrypted


def test_parse_uplink_keeps_a_drivers_decoded_payload() -> None:
    payload = {"temperature": 19.4, "humidity": 46}
    points = {"temperature": {"unitId": "Cel", "type": "double", "record": 19.4}}
    uplink = parse_uplink(
        {"DevEUI_uplink": uplink_fields(payload=payload, points=points)}
    )
    assert uplink.decoded == {"payload": payload, "points": points}
    assert uplink.decode_error is None


@pytest.mark.parametrize(
    "fields",
    [{"payload": "0520be88"}, {"points": []}, {"payload": None}],
)
def test_parse_uplink_without_a_decoded_object(fields: dict[str, Any]) -> None:
    assert parse_uplink({"DevEUI_uplink": uplink_fields(**fields)}).decoded is None


def test_parse_uplink_keeps_the_drivers_error() -> None:
    error = {"code": "com-5002", "message": "driver internal error"}
    uplink = parse_uplink({"DevEUI_uplink": uplink_fields(payloadDecodedError=error)})
    assert uplink.decoded is None
    assert uplink.decode_error == "com-5002: driver internal error"
