"""Hypothesis strategies for provider payloads: generated and mutated seeds.

A mutated seed keeps most of a real payload's shape, so a parser gets past its
first checks and meets odd values deep inside: missing and unknown keys, values
of another JSON type, numbers as strings and back, huge and non-finite numbers,
empty and non-ASCII text.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    # Values parsers coerce: numeric and date-like text, and extremes.
    | st.sampled_from(
        [
            "",
            " ",
            "-100.000000",
            "1e999",
            "NaN",
            "SF12",
            "0x1F",
            "٣",
            "2025-06-01T11:42:07Z",
            "2025-06-01T11:42:07.000+0000",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01",
            10**400,
            -(10**400),
            2**63,
            1e308,
            -1e308,
            0,
            -1,
        ]
    )
)
"""Any JSON scalar, with the values most likely to trip a parser."""

json_values = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
"""Any JSON value."""


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """A copy of JSON ``seed`` with some values replaced, retyped, dropped or added."""
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return draw(json_values)
    if roll == 1:
        return draw(retyped(seed))
    if roll == 2:
        return draw(JSON_SCALARS)
    if isinstance(seed, dict):
        return draw(mutated_object(seed))
    if isinstance(seed, list):
        return draw(mutated_array(seed))
    return seed


@st.composite
def mutated_object(draw: st.DrawFn, seed: dict[str, Any]) -> dict[str, Any]:
    """Members mutated, one in ten dropped, now and then an unknown one added."""
    kept = {
        key: draw(mutated(value))
        for key, value in seed.items()
        if draw(st.integers(0, 9))
    }
    if not draw(st.integers(0, 4)):
        kept[draw(st.text(max_size=12))] = draw(json_values)
    return kept


@st.composite
def mutated_array(draw: st.DrawFn, seed: list[Any]) -> list[Any]:
    """Elements mutated, one in ten dropped, now and then one repeated."""
    items = [draw(mutated(item)) for item in seed if draw(st.integers(0, 9))]
    if items and not draw(st.integers(0, 4)):
        items.append(draw(mutated(draw(st.sampled_from(items)))))
    return items


def retyped(value: Any) -> st.SearchStrategy[Any]:
    """The same value as another JSON type, where it has one."""
    if isinstance(value, bool):
        return st.just(str(value).lower())
    if isinstance(value, int | float):
        return st.just(str(value))
    if isinstance(value, str):
        try:
            return st.just(json.loads(value))
        except ValueError:
            return st.just([value])
    return JSON_SCALARS


def payloads(*seeds: Any) -> st.SearchStrategy[Any]:
    """Mostly mutated ``seeds``, sometimes any JSON value at all.

    Every value is passed through JSON text, as a parser receives it.
    """
    return st.one_of(
        st.sampled_from(seeds).flatmap(mutated),
        st.sampled_from(seeds).flatmap(mutated),
        st.sampled_from(seeds).flatmap(mutated),
        json_values,
    ).map(lambda value: json.loads(json.dumps(value)))


def body_bytes(*seeds: Any) -> st.SearchStrategy[bytes]:
    """Bodies as sent: mutated seeds as JSON, cut short, deeply nested, or noise."""
    encoded = payloads(*seeds).map(lambda value: json.dumps(value).encode())
    return st.one_of(
        encoded,
        encoded.flatmap(
            lambda body: st.integers(0, len(body)).map(lambda cut: body[:cut])
        ),
        st.sampled_from([10, 1_000, 100_000]).map(lambda n: b"[" * n + b"]" * n),
        st.sampled_from([10, 1_000, 100_000]).map(lambda n: b'{"a":' * n),
        st.binary(max_size=64),
        st.text(max_size=64).map(str.encode),
    )
