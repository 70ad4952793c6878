"""Request budgets: reads that cost a request per SIM, spread over time.

Bulk lists cost one request per hundred SIMs. Reads that cost a request per SIM
(T-Mobile usage, quota and connectivity; KPN session batches) would cost
thousands on a large account if every SIM were read at every refresh. Instead
each refresh reads the SIMs whose turn it is, never more than the budget has
saved up, so the provider sees a steady trickle inside its quota instead of a
burst every interval.

The budget's rate comes from the provider's quota headers (``quota-limit`` per
``quota-interval``) where it sends them, else from a conservative default.
Times are POSIX seconds (``dt_util.utcnow().timestamp()``) so that quota reset
times, which the provider gives as wall-clock times, compare directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Set as AbstractSet
from dataclasses import dataclass, field
import itertools
import math
from operator import itemgetter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from .api.models import ApiQuota

DEFAULT_RATE: Final = 0.5
"""Requests per second without quota information: 1,800 an hour.

T-Mobile and Infobip publish no limit. The same SIM API elsewhere allows 10
requests per second per customer and asks large fleets to poll gently; this
is a twentieth of that.
"""
QUOTA_SHARE: Final = 0.5
"""Share of a reported quota the spread reads may use; the rest is left to the
bulk lists, user actions and any other client of the same account."""
QUOTA_RESERVE: Final = 0.1
"""Share of the quota window kept unspent: below it spread reads wait for reset."""
MAX_BURST: Final = 4
"""Most requests one refresh may send at once (the clients' concurrency bound)."""
MIN_SLICE: Final = 10.0
"""Shortest time between two refreshes that read in turns, in seconds."""


@dataclass(slots=True)
class RequestBudget:
    """A token bucket for one account's spread reads.

    Tokens (requests) accrue at ``rate`` per second up to ``burst``; a refresh
    spends what it sends. After a 429, or when the quota window is nearly
    spent, nothing accrues until the window resets.
    """

    rate: float = DEFAULT_RATE
    burst: float = MAX_BURST
    tokens: float = field(init=False)
    """Requests that may be sent now; a new budget allows one burst at once."""
    updated_at: float | None = None
    paused_until: float = 0.0

    def __post_init__(self) -> None:
        """Start with a full bucket."""
        self.tokens = self.burst

    def apply_quota(self, quota: ApiQuota | None, now: float) -> None:
        """Follow the provider's latest quota headers, when it sends any."""
        if quota is None or not quota.limit or not quota.interval_seconds:
            return
        self._accrue(now)
        self.rate = quota.limit * QUOTA_SHARE / quota.interval_seconds
        remaining = quota.remaining
        if (
            remaining is not None
            and remaining <= quota.limit * QUOTA_RESERVE
            and quota.reset_at is not None
        ):
            self.pause(quota.reset_at.timestamp(), now)

    def pause(self, until: float, now: float) -> None:
        """Spend nothing before ``until`` (a 429's reset or Retry-After time)."""
        self._accrue(now)
        self.tokens = 0.0
        self.paused_until = max(self.paused_until, until)

    def available(self, now: float) -> float:
        """How many requests may be sent now."""
        self._accrue(now)
        return self.tokens

    def spend(self, requests: float, now: float) -> None:
        """Account for ``requests`` sent now."""
        self._accrue(now)
        self.tokens -= requests

    @property
    def slice_seconds(self) -> float:
        """How often to read in turns so each refresh sends at most one burst."""
        return max(MIN_SLICE, self.burst / self.rate)

    def _accrue(self, now: float) -> None:
        if self.updated_at is not None:
            start = max(self.updated_at, self.paused_until)
            if now > start:
                self.tokens = min(self.burst, self.tokens + (now - start) * self.rate)
        self.updated_at = now


@dataclass(slots=True)
class SpreadSchedule:
    """Which items to read now: each at most once per ``period``, within budget.

    Items are read ``batch_size`` to a call of ``requests_per_batch`` requests
    (a T-Mobile SIM's traffic is several calls of one SIM; a KPN session call
    takes a hundred SIMs). Items never read come first, then the longest unread.
    """

    budget: RequestBudget
    period: float
    """Seconds before an item is due again (the usage interval)."""
    requests_per_batch: int = 1
    batch_size: int = 1
    read_at: dict[str, float] = field(default_factory=dict)
    _listing: Collection[str] | None = field(default=None, init=False, repr=False)
    """The listing the last turn was given: while the same object comes
    again, ``read_at`` already holds listed items only."""
    _listed: Collection[str] | None = field(default=None, init=False, repr=False)
    """Its items, for membership tests."""

    def take(self, items: Collection[str], now: float) -> list[str]:
        """The due items the budget affords now; their requests count as spent.

        ``items`` are the listed items (a mapping's keys count), the same
        object for as long as the listing does not change. Items no longer
        listed are forgotten, so they are read first should they return.
        ``read_at`` is kept in the order of reading, oldest first, so a turn
        looks at the few items it takes, not at all of them.
        """
        if items is not self._listing:
            self._follow_listing(items)
        available = self.budget.available(now)
        batches = int(available // self.requests_per_batch)
        if batches <= 0 and available >= self.budget.burst:
            # A batch dearer than a whole burst goes on a full bucket, into debt.
            batches = 1
        if batches <= 0:
            return []
        wanted = batches * self.batch_size
        chosen: list[str] = []
        if len(self.read_at) < len(items):
            never_read = (i for i in items if i not in self.read_at)
            chosen.extend(itertools.islice(never_read, wanted))
        for item, read_at in self.read_at.items():
            if len(chosen) >= wanted or now - read_at < self.period:
                break
            chosen.append(item)
        if chosen:
            self.budget.spend(
                math.ceil(len(chosen) / self.batch_size) * self.requests_per_batch, now
            )
        return chosen

    def _follow_listing(self, items: Collection[str]) -> None:
        """Forget the items ``items`` no longer lists."""
        listed: Collection[str]
        if isinstance(items, Mapping):
            listed = items.keys()
        elif isinstance(items, AbstractSet):
            listed = items
        else:
            listed = frozenset(items)
        if not listed >= self.read_at.keys():
            self.read_at = {i: t for i, t in self.read_at.items() if i in listed}
        self._listing = items
        self._listed = listed

    def mark_read(self, items: Iterable[str], now: float) -> None:
        """Record a successful read of ``items``; they are due again a period on."""
        # The last entry is the latest read, as entries are kept in time order.
        latest = next(reversed(self.read_at.values()), now)
        listed = self._listed
        for item in items:
            if listed is not None and item not in listed:
                # Unlisted while it was read: the listing taken from forgot it.
                continue
            # Moved to the end: ``read_at`` stays in the order of reading.
            self.read_at.pop(item, None)
            self.read_at[item] = now
        if now < latest:
            # A clock set back: restore the order by time.
            self.read_at = dict(sorted(self.read_at.items(), key=itemgetter(1)))

    def cycle_seconds(self, item_count: int) -> float:
        """How long reading every one of ``item_count`` items takes at the budget."""
        requests = math.ceil(item_count / self.batch_size) * self.requests_per_batch
        return max(self.period, requests / self.budget.rate)
