"""Lenient coercion of provider values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.iot_connectivity.api._parse import (
    as_list,
    as_mapping,
    opt_bool,
    opt_datetime,
    opt_float,
    opt_int,
    opt_str,
    require_str,
)
from custom_components.iot_connectivity.api.errors import InvalidResponseError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-100.000000", -100.0),
        (-38.2, -38.2),
        ("13.000000dB", 13.0),
        ("20%", 20.0),
        (3, 3.0),
        (None, None),
        ("abc", None),
        (True, None),
        (float("nan"), None),
        ([], None),
    ],
)
def test_opt_float(value: Any, expected: float | None) -> None:
    assert opt_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12.0, 12),
        ("7.000000", 7),
        (12.5, None),
        (None, None),
        (False, None),
    ],
)
def test_opt_int(value: Any, expected: int | None) -> None:
    assert opt_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("x", "x"), ("  ", None), (5, "5"), (None, None), (True, None), ({}, None)],
)
def test_opt_str(value: Any, expected: str | None) -> None:
    assert opt_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (0, False),
        ("true", True),
        ("0", False),
        ("maybe", None),
        (None, None),
    ],
)
def test_opt_bool(value: Any, expected: bool | None) -> None:
    assert opt_bool(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2018-01-23T11:06:59.073+00:00",
            datetime(2018, 1, 23, 11, 6, 59, 73000, tzinfo=UTC),
        ),
        ("2019-06-04T11:42:49", datetime(2019, 6, 4, 11, 42, 49, tzinfo=UTC)),
        ("2018-08-17 16:46:48", datetime(2018, 8, 17, 16, 46, 48, tzinfo=UTC)),
        (1767225600000, datetime(2026, 1, 1, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
        (-1, None),
        (10**30, None),
    ],
)
def test_opt_datetime(value: Any, expected: datetime | None) -> None:
    assert opt_datetime(value) == expected


def test_shape_checks_raise_only_invalid_response() -> None:
    with pytest.raises(InvalidResponseError):
        as_mapping([], "thing")
    with pytest.raises(InvalidResponseError):
        as_list({}, "things")
    with pytest.raises(InvalidResponseError, match="missing iccid"):
        require_str({"iccid": None}, "iccid", "SIM")
    assert require_str({"iccid": 8981}, "iccid", "SIM") == "8981"
