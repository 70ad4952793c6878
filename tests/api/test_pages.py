"""Pages parsed only as far as they changed: ``ParsedPages``."""

from __future__ import annotations

import json
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
import pytest

from custom_components.iot_connectivity.api._http import Response
from custom_components.iot_connectivity.api._pages import ParsedPages
from custom_components.iot_connectivity.api._parse import as_list, require_str
from custom_components.iot_connectivity.api.errors import InvalidResponseError


def response(data: Any) -> Response:
    """A 200 answer with ``data`` as its JSON body."""
    return Response(200, CIMultiDictProxy(CIMultiDict()), json.dumps(data).encode())


class Counting:
    """A parser that records what it was asked to parse."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, item: Any) -> tuple[str, str]:
        name = require_str(item, "id", "test item")
        self.parsed.append(name)
        return name, str(item.get("value"))


def items_of(data: Any) -> list[Any]:
    return as_list(data, "test page")


def page(*values: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"id": name, "value": value} for name, value in values]


def test_an_unchanged_answer_is_not_parsed_again() -> None:
    parser = Counting()
    pages = ParsedPages(parser)
    body = page(("a", 1), ("b", 2))

    first_data, first = pages.parse(1, response(body), items_of)
    again_data, again = pages.parse(1, response(body), items_of)

    assert first == (("a", "1"), ("b", "2"))
    assert again is first
    assert again_data is first_data
    assert parser.parsed == ["a", "b"]


def test_only_changed_items_are_parsed_again() -> None:
    parser = Counting()
    pages = ParsedPages(parser)
    _, before = pages.parse(1, response(page(("a", 1), ("b", 2), ("c", 3))), items_of)
    parser.parsed.clear()

    # Reformatted (other bytes), "b" changed, "d" added.
    changed = json.dumps(page(("a", 1), ("b", 5), ("c", 3), ("d", 4)), indent=1)
    _, after = pages.parse(
        1,
        Response(200, CIMultiDictProxy(CIMultiDict()), changed.encode()),
        items_of,
    )

    assert parser.parsed == ["b", "d"]
    assert after == (("a", "1"), ("b", "5"), ("c", "3"), ("d", "4"))
    assert after[0] is before[0]
    assert after[2] is before[2]


def test_pages_are_kept_apart() -> None:
    parser = Counting()
    pages = ParsedPages(parser)
    pages.parse(1, response(page(("a", 1))), items_of)
    _, second = pages.parse(2, response(page(("a", 1))), items_of)

    assert second == (("a", "1"),)
    assert parser.parsed == ["a", "a"]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"items": []}, id="not a list"),
        pytest.param([{"value": 1}], id="item without id"),
    ],
)
def test_a_failed_answer_keeps_nothing(bad: Any) -> None:
    parser = Counting()
    pages = ParsedPages(parser)
    good = page(("a", 1))
    _, before = pages.parse(1, response(good), items_of)

    with pytest.raises(InvalidResponseError):
        pages.parse(1, response(bad), items_of)
    _, after = pages.parse(1, response(good), items_of)

    assert after is before
    assert parser.parsed == ["a"]


def test_malformed_json_is_an_invalid_response() -> None:
    pages = ParsedPages(Counting())
    broken = Response(200, CIMultiDictProxy(CIMultiDict()), b"[{")
    with pytest.raises(InvalidResponseError):
        pages.parse(1, broken, items_of)


def test_at_most_max_pages_are_kept() -> None:
    parser = Counting()
    pages = ParsedPages(parser, max_pages=2)
    for number in (1, 2, 1, 3):
        pages.parse(number, response(page((str(number), number))), items_of)
    assert parser.parsed == ["1", "2", "3"]

    # Page 2 was used longest ago and dropped; page 1 is still known.
    pages.parse(1, response(page(("1", 1))), items_of)
    pages.parse(2, response(page(("2", 2))), items_of)
    assert parser.parsed == ["1", "2", "3", "2"]


def test_a_change_no_model_reads_keeps_the_model() -> None:
    parser = Counting()
    pages = ParsedPages(parser)
    _, before = pages.parse(1, response([{"id": "a", "value": 1}]), items_of)
    _, after = pages.parse(
        1, response([{"id": "a", "value": 1, "throughput": 5}]), items_of
    )
    assert parser.parsed == ["a", "a"]
    assert after[0] is before[0]
