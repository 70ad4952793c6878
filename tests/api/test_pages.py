"""Pages read concurrently or walked, and parsed only as far as they changed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
import pytest

from custom_components.iot_connectivity.api._http import Response
from custom_components.iot_connectivity.api._pages import (
    MAX_PAGES,
    ParsedPages,
    fetch_pages,
    walk_pages,
)
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


# --- walking and fetching pages ------------------------------------------------


class Pages:
    """A paged list of ``total`` numbers, ``size`` a page; records what is read."""

    def __init__(self, total: int, size: int = 3, *, ignores_page: bool = False):
        self.items = list(range(total))
        self.size = size
        self.ignores_page = ignores_page
        self.read: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def page(self, number: int) -> list[int]:
        self.read.append(number)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        start = 0 if self.ignores_page else (number - 1) * self.size
        return self.items[start : start + self.size]

    async def walked(self, number: int) -> tuple[list[int], bool]:
        items = await self.page(number)
        return items, len(items) >= self.size


@pytest.mark.parametrize(
    ("total", "read"), [(0, [1]), (2, [1]), (3, [1, 2]), (7, [1, 2, 3])]
)
async def test_walk_ends_with_a_page_that_is_not_full(
    total: int, read: list[int]
) -> None:
    pages = Pages(total)
    found = await walk_pages(pages.walked, str)
    assert list(found) == [str(n) for n in range(total)]
    assert pages.read == read


async def test_walk_ends_when_the_server_ignores_the_page() -> None:
    pages = Pages(10, ignores_page=True)
    assert list((await walk_pages(pages.walked, str)).values()) == [0, 1, 2]
    assert pages.read == [1, 2]


async def test_walk_starts_after_a_first_page_read_before() -> None:
    pages = Pages(5)
    found = await walk_pages(pages.walked, str, first=([0, 1, 2], True))
    assert list(found.values()) == [0, 1, 2, 3, 4]
    assert pages.read == [2]


async def test_walk_keeps_the_first_item_of_each_key() -> None:
    answers = {1: (["a1", "b1"], True), 2: (["b2", "c2"], False)}

    async def read(number: int) -> tuple[list[str], bool]:
        return answers[number]

    found = await walk_pages(read, lambda item: item[0])
    assert found == {"a": "a1", "b": "b1", "c": "c2"}


async def test_fetch_reads_the_counted_pages_concurrently_within_the_limit() -> None:
    pages = Pages(25)
    first = await pages.page(1)
    found = await fetch_pages(
        pages.page, first, 9, str, page_size=3, limit=asyncio.Semaphore(4)
    )
    assert list(found.values()) == list(range(25))
    assert sorted(pages.read) == list(range(1, 10))
    assert pages.most_in_flight == 4


@pytest.mark.parametrize("count", [None, MAX_PAGES + 1, 10**12])
async def test_fetch_walks_without_a_plausible_count(count: int | None) -> None:
    pages = Pages(7)
    first = await pages.page(1)
    found = await fetch_pages(
        pages.page, first, count, str, page_size=3, limit=asyncio.Semaphore(4)
    )
    assert list(found.values()) == list(range(7))
    assert pages.read == [1, 2, 3]


async def test_fetch_walking_ends_when_the_server_ignores_the_page() -> None:
    pages = Pages(10, ignores_page=True)
    first = await pages.page(1)
    found = await fetch_pages(
        pages.page, first, None, str, page_size=3, limit=asyncio.Semaphore(4)
    )
    assert list(found.values()) == [0, 1, 2]
    assert pages.read == [1, 2]


async def test_fetch_keeps_the_first_item_of_each_key() -> None:
    answers = {2: ["b2", "c2"], 3: ["c3"]}

    async def read(number: int) -> list[str]:
        return answers[number]

    found = await fetch_pages(
        read,
        ["a1", "b1"],
        3,
        lambda item: item[0],
        page_size=2,
        limit=asyncio.Semaphore(4),
    )
    assert found == {"a": "a1", "b": "b1", "c": "c2"}
