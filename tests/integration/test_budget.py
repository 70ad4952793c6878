"""The request budget and the schedule that spreads per-SIM reads over time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.iot_connectivity.api.models import ApiQuota
from custom_components.iot_connectivity.budget import (
    DEFAULT_RATE,
    MAX_BURST,
    MIN_SLICE,
    QUOTA_RESERVE,
    QUOTA_SHARE,
    RequestBudget,
    SpreadSchedule,
)

DAY = 86_400.0
START = datetime(2026, 11, 16, tzinfo=UTC).timestamp()


def quota(*, limit: int = 10_000, used: int = 0, reset_in: float = DAY) -> ApiQuota:
    """A KPN gateway quota of ``limit`` requests a day."""
    return ApiQuota(
        limit=limit,
        used=used,
        interval=1,
        time_unit="day",
        reset_at=datetime.fromtimestamp(START + reset_in, UTC),
    )


def test_default_budget_allows_one_burst_then_the_default_rate() -> None:
    budget = RequestBudget()
    assert budget.available(START) == MAX_BURST

    budget.spend(MAX_BURST, START)
    assert budget.available(START) == 0
    assert budget.available(START + 2) == pytest.approx(2 * DEFAULT_RATE)
    # Saving up stops at one burst, however long nothing is sent.
    assert budget.available(START + DAY) == MAX_BURST


def test_rate_follows_the_quota_headers() -> None:
    budget = RequestBudget()
    budget.apply_quota(quota(limit=86_400), START)
    assert budget.rate == pytest.approx(QUOTA_SHARE)

    # Missing or partial quota information keeps the rate.
    budget.apply_quota(None, START)
    budget.apply_quota(ApiQuota(limit=10, used=1), START)
    assert budget.rate == pytest.approx(QUOTA_SHARE)


def test_nearly_spent_quota_pauses_until_reset() -> None:
    budget = RequestBudget()
    limit = 1_000
    budget.apply_quota(
        quota(limit=limit, used=int(limit * (1 - QUOTA_RESERVE)), reset_in=3_600),
        START,
    )
    assert budget.available(START) == 0
    assert budget.available(START + 3_599) == 0
    assert budget.available(START + 3_600 + 8 / budget.rate) == pytest.approx(MAX_BURST)


def test_quota_with_room_does_not_pause() -> None:
    budget = RequestBudget()
    budget.apply_quota(quota(used=5_000), START)
    assert budget.available(START) == MAX_BURST


def test_pause_after_rate_limit_keeps_the_later_end() -> None:
    budget = RequestBudget()
    budget.pause(START + 600, START)
    budget.pause(START + 60, START)
    assert budget.available(START + 599) == 0
    assert budget.available(START + 600 + 1 / budget.rate) == pytest.approx(1)


def test_slice_sends_at_most_one_burst_per_refresh() -> None:
    assert RequestBudget(rate=0.1).slice_seconds == pytest.approx(MAX_BURST / 0.1)
    # A generous quota does not make refreshes hammer the event loop.
    assert RequestBudget(rate=100).slice_seconds == MIN_SLICE


def test_schedule_reads_each_item_once_per_period_within_budget() -> None:
    budget = RequestBudget(rate=1.0)
    schedule = SpreadSchedule(budget, period=600, requests_per_batch=2)
    items = [f"sim{n}" for n in range(10)]

    taken: list[str] = []
    now = START
    while len(taken) < len(items):
        turn = schedule.take(items, now)
        schedule.mark_read(turn, now)
        taken += turn
        now += budget.slice_seconds
    # Every item once, in listing order, never more than a burst at a time.
    assert taken == items
    assert now - START == pytest.approx(5 * budget.slice_seconds)

    # Nothing is due again before the period is over, whatever the budget.
    assert schedule.take(items, START + 599) == []
    assert schedule.take(items, START + 600) == ["sim0", "sim1"]


def test_schedule_reads_the_longest_unread_first_and_new_items_before_them() -> None:
    budget = RequestBudget(rate=1.0, burst=1)
    schedule = SpreadSchedule(budget, period=10)
    schedule.mark_read(["a"], START)
    schedule.mark_read(["b"], START - 5)

    assert schedule.take(["a", "b", "new"], START + 20) == ["new"]
    assert schedule.take(["a", "b"], START + 21) == ["b"]


def test_schedule_retries_items_whose_read_failed() -> None:
    budget = RequestBudget(rate=1.0, burst=1)
    schedule = SpreadSchedule(budget, period=60)
    assert schedule.take(["a", "b"], START) == ["a"]
    # Not marked read: "a" is still the first due.
    assert schedule.take(["a", "b"], START + 1) == ["a"]


def test_schedule_forgets_removed_items() -> None:
    budget = RequestBudget(rate=1.0, burst=1)
    schedule = SpreadSchedule(budget, period=60)
    schedule.mark_read(["a"], START)
    assert schedule.take(["b"], START + 1) == ["b"]
    assert schedule.read_at == {}
    assert schedule.take(["a"], START + 2) == ["a"]


def test_schedule_forgets_an_item_unlisted_while_it_was_read() -> None:
    """A read that ends after its item left the listing does not bring it back.

    A turn of the same listing (a mapping, as the coordinator passes its SIM
    list) is not walked again; the item that returned is read first.
    """
    budget = RequestBudget(rate=1.0, burst=1)
    schedule = SpreadSchedule(budget, period=60)
    before = {"a": None, "b": None}
    assert schedule.take(before, START) == ["a"]
    after = {"b": None, "c": None}
    assert schedule.take(after, START + 1) == ["b"]
    schedule.mark_read(["a", "b"], START + 1)
    assert schedule.read_at == {"b": START + 1}
    assert schedule.take(after, START + 2) == ["c"]
    schedule.mark_read(["c"], START + 2)
    assert schedule.take(before, START + 3) == ["a"]
    assert schedule.read_at == {"b": START + 1}


def test_batches_cost_per_call_not_per_item() -> None:
    budget = RequestBudget(rate=1.0, burst=2)
    schedule = SpreadSchedule(budget, period=60, batch_size=100)
    items = [str(n) for n in range(250)]

    assert len(schedule.take(items, START)) == 200
    assert budget.available(START) == 0


def test_read_dearer_than_a_burst_waits_for_a_full_bucket() -> None:
    budget = RequestBudget(rate=1.0, burst=2)
    schedule = SpreadSchedule(budget, period=60, requests_per_batch=5)

    assert schedule.take(["a", "b"], START) == ["a"]
    # The debt is paid off before the next read.
    assert schedule.take(["b"], START + 4) == []
    assert schedule.take(["b"], START + 5) == ["b"]


def test_cycle_takes_the_period_or_what_the_budget_needs() -> None:
    budget = RequestBudget(rate=0.5)
    schedule = SpreadSchedule(budget, period=1_800, requests_per_batch=4)
    assert schedule.cycle_seconds(10) == 1_800
    assert schedule.cycle_seconds(1_000) == pytest.approx(8_000)
