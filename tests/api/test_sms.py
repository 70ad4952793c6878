"""SMS length rules: GSM-7 versus UCS-2, parts, and provider limits."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.iot_connectivity.api.errors import IoTConnectivityError
from custom_components.iot_connectivity.api.infobip import InfobipClient
from custom_components.iot_connectivity.api.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    SmsEncoding,
    SmsInfo,
    SmsRules,
    SmsValidationError,
    gsm7_length,
    sms_info,
    ucs2_length,
)

GSM7, UCS2 = SmsEncoding.GSM7, SmsEncoding.UCS2
EMOJI = "\N{GRINNING FACE}"
CYRILLIC = "\N{CYRILLIC SMALL LETTER ZHE}"


def test_tables_have_the_gsm_03_38_sizes() -> None:
    assert len(GSM7_BASIC) == 128
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert (GSM7_SINGLE, GSM7_PART, UCS2_SINGLE, UCS2_PART) == (160, 153, 70, 67)


def test_every_basic_character_is_one_septet() -> None:
    assert gsm7_length("".join(sorted(GSM7_BASIC))) == 128


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_count_twice(char: str) -> None:
    assert gsm7_length(char) == 2
    assert gsm7_length(f"a{char}b") == 4


@pytest.mark.parametrize(
    "char", ["`", "ç", "á", "\t", CYRILLIC, EMOJI, "\N{NO-BREAK SPACE}"]
)
def test_characters_outside_gsm7(char: str) -> None:
    assert gsm7_length(f"abc{char}") is None


@pytest.mark.parametrize(
    ("text", "units"),
    [("", 0), ("abc", 3), (CYRILLIC * 3, 3), (EMOJI, 2), (f"a{EMOJI}b", 4)],
)
def test_ucs2_counts_utf16_units(text: str, units: int) -> None:
    assert ucs2_length(text) == units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo(GSM7, 0, 1)),
        ("a" * 160, SmsInfo(GSM7, 160, 1)),
        ("a" * 161, SmsInfo(GSM7, 161, 2)),
        ("a" * 306, SmsInfo(GSM7, 306, 2)),
        ("a" * 307, SmsInfo(GSM7, 307, 3)),
        ("€" * 80, SmsInfo(GSM7, 160, 1)),
        ("€" * 81, SmsInfo(GSM7, 162, 2)),
        ("a" * 159 + "€", SmsInfo(GSM7, 161, 2)),
        ("é" * 160, SmsInfo(GSM7, 160, 1)),
        (CYRILLIC * 70, SmsInfo(UCS2, 70, 1)),
        (CYRILLIC * 71, SmsInfo(UCS2, 71, 2)),
        (CYRILLIC * 134, SmsInfo(UCS2, 134, 2)),
        (CYRILLIC * 135, SmsInfo(UCS2, 135, 3)),
        ("a" * 69 + CYRILLIC, SmsInfo(UCS2, 70, 1)),
        ("€" * 69 + CYRILLIC, SmsInfo(UCS2, 70, 1)),
        (EMOJI * 35, SmsInfo(UCS2, 70, 1)),
        (EMOJI * 35 + "a", SmsInfo(UCS2, 71, 2)),
    ],
)
def test_sms_info(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected


def test_forcing_ucs2_on_gsm7_text() -> None:
    assert sms_info("a" * 70, UCS2) == SmsInfo(UCS2, 70, 1)
    assert sms_info("a" * 71, UCS2) == SmsInfo(UCS2, 71, 2)
    assert sms_info("€", UCS2) == SmsInfo(UCS2, 1, 1)


def test_forcing_gsm7() -> None:
    assert sms_info("€" * 80, GSM7) == SmsInfo(GSM7, 160, 1)
    with pytest.raises(SmsValidationError) as err:
        sms_info(f"hi {EMOJI}", GSM7)
    assert err.value.reason == "encoding"
    assert isinstance(err.value, IoTConnectivityError)


@given(st.text(max_size=600))
def test_parts_hold_the_message(text: str) -> None:
    info = sms_info(text)
    gsm7 = info.encoding is GSM7
    single, part = (GSM7_SINGLE, GSM7_PART) if gsm7 else (UCS2_SINGLE, UCS2_PART)
    if info.length <= single:
        assert info.parts == 1
    else:
        assert (info.parts - 1) * part < info.length <= info.parts * part
    assert (info.encoding is GSM7) == (gsm7_length(text) is not None)


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=400))
def test_gsm7_text_stays_gsm7(text: str) -> None:
    info = sms_info(text)
    assert info.encoding is GSM7
    assert info.length == len(text) + sum(char in GSM7_EXTENSION for char in text)


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_empty_message_is_refused(text: str) -> None:
    with pytest.raises(SmsValidationError) as err:
        SmsRules().check(text)
    assert err.value.reason == "empty"


INFOBIP = SmsRules(max_parts=1, max_characters=160)


def test_infobip_client_uses_these_rules() -> None:
    assert InfobipClient.sms_rules == INFOBIP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, SmsInfo(GSM7, 160, 1)),
        ("€" * 80, SmsInfo(GSM7, 160, 1)),
        (CYRILLIC * 70, SmsInfo(UCS2, 70, 1)),
        (EMOJI * 35, SmsInfo(UCS2, 70, 1)),
    ],
)
def test_infobip_accepts_one_part(text: str, expected: SmsInfo) -> None:
    assert INFOBIP.check(text) == expected


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("a" * 161, 160),
        ("€" * 81, 160),
        ("a" * 159 + "€", 160),
        (CYRILLIC * 71, 70),
        (EMOJI * 35 + "a", 70),
    ],
)
def test_infobip_refuses_more(text: str, limit: int) -> None:
    with pytest.raises(SmsValidationError) as err:
        INFOBIP.check(text)
    assert (err.value.reason, err.value.limit) == ("too_long", limit)


def test_character_limit_applies_even_when_parts_would_fit() -> None:
    rules = SmsRules(max_parts=3, max_characters=160)
    assert rules.check("a" * 160).parts == 1
    with pytest.raises(SmsValidationError) as err:
        rules.check("a" * 161)
    assert (err.value.reason, err.value.limit) == ("too_long", 160)


@pytest.mark.parametrize(
    ("text", "limit"),
    [("a" * (3 * 153 + 1), 3 * 153), (CYRILLIC * (3 * 67 + 1), 3 * 67)],
)
def test_multipart_limit(text: str, limit: int) -> None:
    rules = SmsRules(max_parts=3)
    assert rules.check(text[:-1]).parts == 3
    with pytest.raises(SmsValidationError) as err:
        rules.check(text)
    assert (err.value.reason, err.value.limit) == ("too_long", limit)


def test_forced_encoding_through_rules() -> None:
    assert SmsRules(max_parts=2).check("a" * 71, UCS2) == SmsInfo(UCS2, 71, 2)
    with pytest.raises(SmsValidationError) as err:
        SmsRules().check("a" * 71, UCS2)
    assert (err.value.reason, err.value.limit) == ("too_long", 70)


def test_lone_surrogate_is_counted_not_crashed() -> None:
    assert sms_info("a\ud83d") == SmsInfo(UCS2, 2, 1)
