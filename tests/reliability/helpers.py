"""Helpers of the reliability tests: a clock that runs, polls, entities."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.config_entries import ConfigEntryState
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

POLL = timedelta(hours=6)
"""The longest default interval: every coordinator polls once per step."""
CLOCK_STEP = timedelta(milliseconds=100)
"""How far the frozen clock moves per 10 ms of real time while work runs."""


async def with_clock_running[T](
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, work: Awaitable[T]
) -> T:
    """Await ``work`` and whatever it starts while the frozen clock moves on.

    The event loop's clock is frozen too, so a request to a provider that never
    answers would otherwise never reach the client's timeout.
    """
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    while not task.done():
        # Real time passes in a thread; the frozen clock follows, faster.
        await loop.run_in_executor(None, time.sleep, 0.01)
        freezer.tick(CLOCK_STEP)
    result = await task
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta = POLL
) -> None:
    """Let ``delta`` pass and every refresh that falls due finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await with_clock_running(
        hass, freezer, hass.async_block_till_done(wait_background_tasks=True)
    )


async def set_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> ConfigEntryState:
    """Add and set up ``entry``; return the state it ends in."""
    entry.add_to_hass(hass)
    await with_clock_running(
        hass, freezer, hass.config_entries.async_setup(entry.entry_id)
    )
    return entry.state


NOT_POLLED = ("_reporting", "_payload_format", "_reporting_interval")
"""Keys of a LoRa device's entities that pushes and the user feed, not polls:
they stay available while the provider fails (so do its readings)."""


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """The enabled entities of ``entry`` that polls feed."""
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if not entity.disabled
        and not entity.unique_id.endswith(NOT_POLLED)
        and "_reading_" not in entity.unique_id
    }
