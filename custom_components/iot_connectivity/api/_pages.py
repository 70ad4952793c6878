"""Pages of a list, parsed only as far as they changed since the last read.

Most polls answer what the previous one did. A page whose body is byte for
byte the last one's is not decoded again; on a page that changed, an item
whose decoded JSON equals last time's keeps its models (the comparison runs
in C and costs a fraction of building them). The models are frozen, so
sharing them between reads is safe, and a coordinator sees an unchanged SIM
as the very same object.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._http import Response


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
