"""Pages of a list: read concurrently or walked, parsed only as far as they changed.

:func:`fetch_pages` reads a list whose first page says how many pages there
are; :func:`walk_pages` reads one that does not, page after page. Both keep
each item once and never loop on a server that ignores the page number.

Most polls answer what the previous one did. A page whose body is byte for
byte the last one's is not decoded again; on a page that changed, an item
whose decoded JSON equals last time's keeps its models (the comparison runs
in C and costs a fraction of building them). The models are frozen, so
sharing them between reads is safe, and a coordinator sees an unchanged SIM
as the very same object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._http import Response

MAX_PAGES = 1_000
"""The most pages (100,000 items of 100) a count from the server is trusted
with at once; beyond it the pages are walked, so a wrong count costs at most
one request more than the real list."""

type PageReader[T] = Callable[[int], Awaitable[Sequence[T]]]
"""Reads the items of page ``n`` (counted from 1)."""
type WalkedPageReader[T] = Callable[[int], Awaitable[tuple[Sequence[T], bool]]]
"""Reads the items of page ``n`` and whether the page was full (more may follow)."""


async def walk_pages[K, T](
    read: WalkedPageReader[T],
    key: Callable[[T], K],
    *,
    first: tuple[Sequence[T], bool] | None = None,
) -> dict[K, T]:
    """Every item of a paged list, page after page from page 1 until one is not full.

    ``first`` is page 1 when the caller has read it already. Items are kept
    by ``key``, the first seen of each (offset paging repeats items when the
    list grows meanwhile). A full page that adds nothing new ends the walk
    too: a server that ignores the page number would otherwise be read forever.
    """
    found: dict[K, T] = {}
    number = 1
    items, full = first if first is not None else await read(number)
    while True:
        known = len(found)
        for item in items:
            found.setdefault(key(item), item)
        if not full or len(found) == known:
            return found
        number += 1
        items, full = await read(number)


async def fetch_pages[K, T](
    read: PageReader[T],
    first: Sequence[T],
    page_count: int | None,
    key: Callable[[T], K],
    *,
    page_size: int,
    limit: asyncio.Semaphore,
) -> dict[K, T]:
    """Every item of a paged list whose page 1 (``first``) gave the page count.

    With a plausible count (at most :data:`MAX_PAGES`) the other pages are read
    concurrently, as many at once as ``limit`` lets; with an unknown or
    implausible one they are walked (:func:`walk_pages`), a page of
    ``page_size`` items being full. Items are kept by ``key``, the first seen
    of each.
    """
    if page_count is None or page_count > MAX_PAGES:

        async def read_walked(number: int) -> tuple[Sequence[T], bool]:
            items = await read(number)
            return items, len(items) >= page_size

        return await walk_pages(
            read_walked, key, first=(first, len(first) >= page_size)
        )

    async def bounded(number: int) -> Sequence[T]:
        async with limit:
            return await read(number)

    rest = await asyncio.gather(*(bounded(n) for n in range(2, page_count + 1)))
    found: dict[K, T] = {}
    for page in (first, *rest):
        for item in page:
            found.setdefault(key(item), item)
    return found


@dataclass(frozen=True, slots=True)
class _Page[T]:
    """One page as last read: its body, the decoded answer, items and models."""

    body: bytes
    data: Any
    items: list[Any]
    models: Sequence[T]


class ParsedPages[T]:
    """The pages of one list as last read, keyed by the caller (page number).

    Items are matched by their place on the page: one that moved is just
    parsed again. With ``max_pages``, the pages used longest ago are dropped
    beyond that many (for keys that are not bounded by the list's length).
    """

    def __init__(
        self, parse: Callable[[Any], T], *, max_pages: int | None = None
    ) -> None:
        """Build an item's models with ``parse`` (which may raise)."""
        self._parse = parse
        self._max_pages = max_pages
        self._pages: dict[Hashable, _Page[T]] = {}

    def parse(
        self,
        page: Hashable,
        response: Response,
        items_of: Callable[[Any], list[Any]],
    ) -> tuple[Any, Sequence[T]]:
        """The decoded answer of ``page`` and the models of its items.

        ``items_of`` finds the item list in the decoded answer (and raises
        InvalidResponseError when the answer has another shape). Nothing is
        kept of an answer that fails to parse.
        """
        last = self._pages.get(page)
        if last is not None and last.body == response.body:
            self._keep(page, last)
            return last.data, last.models
        data = response.json()
        items = items_of(data)
        known, models = (last.items, last.models) if last is not None else ([], ())
        if known != items:
            models = tuple(
                models[index]
                if index < len(known) and known[index] == item
                else self._parse_anew(item, models[index : index + 1])
                for index, item in enumerate(items)
            )
        self._keep(page, _Page(response.body, data, items, models))
        return data, models

    def _parse_anew(self, item: Any, before: Sequence[T]) -> T:
        """Parse a changed item; models equal to ``before``'s stay that object.

        An answer may change in fields no model reads (a throughput counter):
        the SIM then stays the very same object for everything downstream.
        """
        model = self._parse(item)
        return before[0] if before and before[0] == model else model

    def _keep(self, key: Hashable, page: _Page[T]) -> None:
        """Keep ``page`` as the latest used, dropping the oldest beyond the bound."""
        self._pages.pop(key, None)
        self._pages[key] = page
        if self._max_pages is not None and len(self._pages) > self._max_pages:
            del self._pages[next(iter(self._pages))]
