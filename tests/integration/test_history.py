"""Daily usage history: each SIM's use per day in long-term statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from homeassistant.components.recorder.statistics import (
    StatisticsRow,
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_USAGE_INTERVAL,
    INTERVAL_BOUNDS,
)
from iot_emulator.management_api import DailyUsage

from .conftest import FROZEN_TIME

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.components.recorder.core import Recorder
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
DATA_ID = f"iot_connectivity:{ICCID}_data"
SMS_ID = f"iot_connectivity:{ICCID}_sms"
USAGE_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_USAGE_INTERVAL][0])
DAYS = {
    # Before the back-fill: never read.
    date(2026, 9, 30): DailyUsage(data_rx_mb=50.0, sms_mo=9),
    # The previous month.
    date(2026, 10, 1): DailyUsage(data_rx_mb=1.5, sms_mo=1),
    date(2026, 10, 31): DailyUsage(data_rx_mb=2.0, data_tx_mb=0.5, sms_mt=2),
    # This month, up to today (FROZEN_TIME).
    date(2026, 11, 2): DailyUsage(data_rx_mb=3.0),
    date(2026, 11, 16): DailyUsage(data_rx_mb=1.0, sms_mo=1),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_db_url: str, enable_custom_integrations: None
) -> None:
    """Let Home Assistant load the integration; the recorder's database first."""


@pytest.fixture
def provider() -> Provider:
    """The T-Mobile SIM of the guide."""
    return Provider.TMOBILE_EASY_CONNECT


ONENCE_ICCID = "8988303000123456789"
"""The 1NCE demo SIM that is online ("DX-137-B12")."""


async def set_up(
    hass: HomeAssistant, emulator: EmulatorServer, entry: MockConfigEntry
) -> None:
    """Give the SIM its days of use, then set the entry up."""
    emulator.tmobile.sims[ICCID].usage = {day: replace(u) for day, u in DAYS.items()}
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)


async def rows(hass: HomeAssistant, statistic_id: str) -> list[StatisticsRow]:
    """Every hourly row of ``statistic_id``."""
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2026, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return result.get(statistic_id, [])


def days_and_sums(found: list[StatisticsRow]) -> list[tuple[date, float, float]]:
    """(day, state, sum) of each row, rounded."""
    return [
        (
            datetime.fromtimestamp(row["start"], UTC).date(),
            round(row["state"] or 0.0, 6),
            round(row["sum"] or 0.0, 6),
        )
        for row in found
    ]


def usage_requests(emulator: EmulatorServer) -> list[dict[str, list[str]]]:
    """The query of every usage read."""
    return [parse_qs(r.query_string) for r in emulator.tmobile.requests_to("usage")]


async def next_read(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one usage interval pass: the SIM's turn comes."""
    freezer.tick(USAGE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_back_fill_on_first_setup(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The first read covers the previous and the current month, in one request."""
    await set_up(hass, emulator, mock_config_entry)

    assert usage_requests(emulator) == [
        {"start_dt": ["2026-10-01"], "end_dt": ["2026-11-16"]}
    ]
    assert days_and_sums(await rows(hass, DATA_ID)) == [
        (date(2026, 10, 1), 1.5, 1.5),
        (date(2026, 10, 31), 2.5, 4.0),
        (date(2026, 11, 2), 3.0, 7.0),
        (date(2026, 11, 16), 1.0, 8.0),
    ]
    assert days_and_sums(await rows(hass, SMS_ID)) == [
        (date(2026, 10, 1), 1.0, 1.0),
        (date(2026, 10, 31), 2.0, 3.0),
        (date(2026, 11, 2), 0.0, 3.0),
        (date(2026, 11, 16), 1.0, 4.0),
    ]
    metadata = {
        item["statistic_id"]: item
        for item in await get_instance(hass).async_add_executor_job(
            list_statistic_ids, hass, {DATA_ID, SMS_ID}
        )
    }
    assert metadata[DATA_ID]["name"] == "Weather station Utrecht data used"
    assert metadata[DATA_ID]["statistics_unit_of_measurement"] == "MB"
    assert metadata[SMS_ID]["name"] == "Weather station Utrecht SMS"
    # The month's counter still counts this month only.
    assert hass.states.get("sensor.weather_station_utrecht_data_used_this_period")


@pytest.mark.parametrize("provider", [Provider.ONENCE])
@pytest.mark.freeze_time(FROZEN_TIME)
async def test_back_fill_of_1nce(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """1NCE's SIMs, on the same API family, get the same history."""
    emulator.onence.sims[ONENCE_ICCID].usage = {
        day: replace(u) for day, u in DAYS.items()
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    [request] = [
        parse_qs(r.query_string)
        for r in emulator.onence.requests_to("usage")
        if ONENCE_ICCID in r.path
    ]
    assert request["start_dt"] == ["2026-10-01"]
    assert days_and_sums(await rows(hass, f"iot_connectivity:{ONENCE_ICCID}_data")) == [
        (date(2026, 10, 1), 1.5, 1.5),
        (date(2026, 10, 31), 2.5, 4.0),
        (date(2026, 11, 2), 3.0, 7.0),
        (date(2026, 11, 16), 1.0, 8.0),
    ]


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_kept_up_to_date_without_extra_requests(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Later reads update today's row and add new days; nothing counts twice."""
    await set_up(hass, emulator, mock_config_entry)
    sim = emulator.tmobile.sims[ICCID]

    sim.usage[date(2026, 11, 16)].data_rx_mb += 2.0
    await next_read(hass, freezer)
    assert days_and_sums(await rows(hass, DATA_ID))[-1] == (
        date(2026, 11, 16),
        3.0,
        10.0,
    )

    # The next day: yesterday is final, today starts.
    freezer.tick(timedelta(hours=12))
    sim.usage[date(2026, 11, 17)] = DailyUsage(data_rx_mb=0.5)
    await next_read(hass, freezer)
    assert days_and_sums(await rows(hass, DATA_ID))[-2:] == [
        (date(2026, 11, 16), 3.0, 10.0),
        (date(2026, 11, 17), 0.5, 10.5),
    ]
    # One read per usage interval, as without the history: the back-fill is
    # the first read's wider range, not a request of its own.
    queries = usage_requests(emulator)
    assert len(queries) == 3
    assert [q["start_dt"] for q in queries[1:]] == [["2026-11-01"], ["2026-11-01"]]


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_restart_neither_duplicates_nor_loses(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A reload reads from the last imported day on, with the sums it kept."""
    await set_up(hass, emulator, mock_config_entry)
    before = days_and_sums(await rows(hass, DATA_ID))

    emulator.tmobile.sims[ICCID].usage[date(2026, 11, 16)].data_rx_mb += 1.0
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    assert usage_requests(emulator)[-1]["start_dt"] == ["2026-11-01"]
    assert days_and_sums(await rows(hass, DATA_ID)) == [
        *before[:-1],
        (date(2026, 11, 16), 2.0, 9.0),
    ]


@pytest.mark.freeze_time("2026-12-01T00:10:00+00:00")
async def test_month_boundary_finishes_the_last_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """On the first of a month the read still covers the previous month's last day."""
    hass_storage[f"iot_connectivity.{mock_config_entry.entry_id}.history"] = {
        "version": 1,
        "key": f"iot_connectivity.{mock_config_entry.entry_id}.history",
        "data": {
            ICCID: {
                "day": "2026-11-30",
                "sums": {"data": [100.0, 1.0], "sms": [10.0, 0.0]},
            }
        },
    }
    emulator.tmobile.sims[ICCID].usage = {
        date(2026, 11, 30): DailyUsage(data_rx_mb=4.0),
        date(2026, 12, 1): DailyUsage(data_rx_mb=0.25),
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    assert usage_requests(emulator)[-1]["start_dt"] == ["2026-11-30"]
    assert days_and_sums(await rows(hass, DATA_ID)) == [
        (date(2026, 11, 30), 4.0, 104.0),
        (date(2026, 12, 1), 0.25, 104.25),
    ]


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_removing_the_entry_forgets_the_sums(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: EmulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The running sums are kept until the account is removed."""
    await set_up(hass, emulator, mock_config_entry)
    key = f"iot_connectivity.{mock_config_entry.entry_id}.history"
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert ICCID in hass_storage[key]["data"]

    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage
