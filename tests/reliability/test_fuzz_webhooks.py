"""Property tests: the webhook handlers survive generated and mutated pushes.

The handlers of a loaded entry are called directly with mutated SMS MO,
delivery report and uplink bodies; uplinks are signed with the entry's AS key
half of the time, so the fuzzing reaches past the Token check. A handler may
refuse a push only with :class:`PushRefusedError` (answered with a 4xx).
"""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.util.aiohttp import MockRequest
from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.iot_connectivity import webhook
from custom_components.iot_connectivity.api import lrc
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import CONF_AS_KEY, CONF_WEBHOOK_ID
from iot_emulator.examples import load_example

from .conftest import FUZZ_PROFILE
from .counts import COUNTS
from .payloads import payloads

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

SMS_EXAMPLES = 500
DELIVERY_EXAMPLES = 400
UPLINK_EXAMPLES = 600
ICCID = "8988280666000001234"
EUI = "0059AC0000170311"

SMS_MO = load_example("tmobile_easy_connect", "sms_mo") | {"endpoint": {"name": ICCID}}
DELIVERY_REPORT = load_example("tmobile_easy_connect", "delivery_report")
UPLINK = {
    "DevEUI_uplink": {
        "Time": "2026-11-16T13:00:00.000+01:00",
        "DevEUI": EUI,
        "FPort": "1",
        "FCntUp": "7",
        "FCntDn": "2",
        "payload_hex": "0a1b",
        "LrrRSSI": "-90.000000",
        "LrrSNR": "5.000000",
        "SpFact": "9",
        "Lrrid": "FF0109A4",
        "Lrrs": {"Lrr": [{"Lrrid": "FF0109A4"}]},
        "CustomerID": "100001135",
    }
}
TIMES = st.one_of(
    st.just("now"),
    st.text(max_size=30),
    st.sampled_from(
        ["2026-13-45T99:99:99", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59"]
    ),
)
"""The signed ``Time``: now, or anything a sender might write."""


async def receiver_of(
    hass: HomeAssistant, entry: MockConfigEntry
) -> webhook.PushReceiver:
    """Set up ``entry``; return the receiver behind its webhook."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return hass.data[webhook._PATCH_RECEIVERS][entry.data[CONF_WEBHOOK_ID]]


def handle(receiver: webhook.PushReceiver, method: str, body: Any, query: str) -> None:
    """Hand one push to the receiver's handler, as its webhook would."""
    COUNTS["fuzz examples"] += 1
    request = MockRequest(b"", "fuzz", method=method, query_string=query)
    try:
        receiver.handlers[method](request, body)  # type: ignore[arg-type]
    except webhook.PushRefusedError:
        return


def signed_query(body: Any, as_key: str, time: str) -> str:
    """The query ThingPark would send with ``body``, or none if it cannot be signed."""
    fields = lrc._uplink_fields(body) if isinstance(body, dict) else {}
    parts = [lrc._token_text(fields.get(key)) for key in lrc._UPLINK_BODY_KEYS]
    if any(part is None for part in parts):
        return ""
    moment = datetime.now(UTC).isoformat() if time == "now" else time
    signed = f"LrnDevEui={EUI}&LrnFPort=1&LrnInfos=X&AS_ID=fuzz&Time={moment}"
    token = lrc.sign("".join(str(part) for part in parts) + signed, as_key)
    return f"{signed.replace('+', '%2B')}&Token={token}"


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing was logged as an error or with a traceback."""
    assert not [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sms_pushes_survive(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SMS MO (POST) and delivery reports (PATCH) of any shape."""
    receiver = await receiver_of(hass, mock_config_entry)

    @settings(settings.get_profile(FUZZ_PROFILE), max_examples=SMS_EXAMPLES)
    @given(body=payloads(SMS_MO))
    @example(
        body=SMS_MO
        | {"multi_part_info": {"partno": 1, "total": 2**63, "identifier": "x"}}
    )
    def sms(body: Any) -> None:
        handle(receiver, "POST", body, "")

    @settings(settings.get_profile(FUZZ_PROFILE), max_examples=DELIVERY_EXAMPLES)
    @given(body=payloads(DELIVERY_REPORT))
    def delivery(body: Any) -> None:
        handle(receiver, "PATCH", body, "")

    sms()
    delivery()
    await hass.async_block_till_done()
    assert_no_tracebacks(caplog)


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplinks_survive(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Uplinks of any shape, signed or not, with any signed time."""
    receiver = await receiver_of(hass, mock_config_entry)
    as_key = mock_config_entry.data[CONF_AS_KEY]

    @settings(settings.get_profile(FUZZ_PROFILE), max_examples=UPLINK_EXAMPLES)
    @given(body=payloads(UPLINK), sign=st.booleans(), time=TIMES)
    @example(body=UPLINK, sign=True, time="2026-13-45T99:99:99")
    def uplink(body: Any, sign: bool, time: str) -> None:
        query = signed_query(body, as_key, time) if sign else "Token=00"
        handle(receiver, "POST", body, query)

    uplink()
    await hass.async_block_till_done()
    assert_no_tracebacks(caplog)
