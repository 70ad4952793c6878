"""Quota forecast: when a SIM's data or SMS bundle runs out at its recent rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_USAGE_INTERVAL,
    DOMAIN,
    INTERVAL_BOUNDS,
)
from custom_components.iot_connectivity.forecast import (
    QuotaReading,
    add_sample,
    runs_out,
)

from .conftest import FROZEN_TIME, state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, EventStateChangedData, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
DATA_FORECAST = "sensor.weather_station_utrecht_data_quota_runs_out"
SMS_FORECAST = "sensor.weather_station_utrecht_sms_quota_runs_out"
USAGE_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_USAGE_INTERVAL][0])
RATE_MB_PER_HOUR = 2.0
"""The seeded T-Mobile SIM's use (emulator)."""
NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)


@pytest.fixture
def provider() -> Provider:
    """The T-Mobile SIM of the guide: a data and an SMS quota."""
    return Provider.TMOBILE_EASY_CONNECT


@pytest.fixture
def platforms() -> list[Platform]:
    """Only sensors: no network event read shares the SIM's turns."""
    return [Platform.SENSOR]


async def use_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    reads: int,
) -> None:
    """Let the SIM use data for ``reads`` usage intervals, each ending in a read."""
    for _ in range(reads):
        emulator.tmobile.tick(USAGE_INTERVAL.total_seconds())
        freezer.tick(USAGE_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def data_left_mb(emulator: EmulatorServer) -> float:
    """The data left of the SIM, as the emulator has it."""
    return float(emulator.tmobile.sims[ICCID].quota_data["volume"])


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_forecast_at_a_steady_rate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """Steady use of 2 MB an hour: the bundle runs out when the rest is used."""
    assert state_of(hass, DATA_FORECAST).state == STATE_UNKNOWN

    await use_for(hass, freezer, emulator, 3)

    expected = dt_util.utcnow() + timedelta(
        hours=data_left_mb(emulator) / RATE_MB_PER_HOUR
    )
    forecast = dt_util.parse_datetime(state_of(hass, DATA_FORECAST).state)
    assert forecast is not None
    assert abs((forecast - expected).total_seconds()) < 1
    # No SMS were sent: flat use has no forecast.
    assert state_of(hass, SMS_FORECAST).state == STATE_UNKNOWN


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_too_little_data_is_unknown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """Two samples are no rate; the third makes one."""
    await use_for(hass, freezer, emulator, 1)
    assert state_of(hass, DATA_FORECAST).state == STATE_UNKNOWN

    await use_for(hass, freezer, emulator, 1)
    assert state_of(hass, DATA_FORECAST).state != STATE_UNKNOWN


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_top_up_starts_the_series_anew(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """More data left than before is a top-up: the old rate no longer counts."""
    await use_for(hass, freezer, emulator, 3)
    assert state_of(hass, DATA_FORECAST).state != STATE_UNKNOWN

    emulator.tmobile.sims[ICCID].quota_data["volume"] = 500.0
    await use_for(hass, freezer, emulator, 1)
    assert state_of(hass, DATA_FORECAST).state == STATE_UNKNOWN

    await use_for(hass, freezer, emulator, 2)
    expected = dt_util.utcnow() + timedelta(
        hours=data_left_mb(emulator) / RATE_MB_PER_HOUR
    )
    forecast = dt_util.parse_datetime(state_of(hass, DATA_FORECAST).state)
    assert forecast is not None
    assert abs((forecast - expected).total_seconds()) < 1


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_bundle_expiring_first_is_unknown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A bundle that expires before it would run out has no forecast."""
    emulator.tmobile.sims[ICCID].quota_data["expiry_date"] = "2026-11-20T00:00:00.000Z"
    await use_for(hass, freezer, emulator, 3)
    assert state_of(hass, DATA_FORECAST).state == STATE_UNKNOWN


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_samples_survive_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A reload keeps the samples: the forecast stays without new reads."""
    await use_for(hass, freezer, emulator, 2)
    before = state_of(hass, DATA_FORECAST).state
    assert before != STATE_UNKNOWN

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, DATA_FORECAST).state == before


def test_runs_out_follows_the_least_squares_rate() -> None:
    """Noisy samples, 10 units each 10 minutes: the fitted rate, from the last value."""
    start = NOW.timestamp() - 3600
    series: list[list[float]] = []
    # Noise symmetric about the middle leaves the fitted rate exact.
    for minute, noise in enumerate([0.5, -0.5, 0.0, 0.0, 0.0, -0.5, 0.5]):
        series = add_sample(
            series,
            start + minute * 600,
            QuotaReading(1000.0 - minute * 10 + noise, 1000.0, None),
        )
    moment = runs_out(series, NOW, None)
    assert moment is not None
    fitted_rate = 10.0 / 600  # units a second
    expected = series[-1][0] + series[-1][1] / fitted_rate
    assert moment.timestamp() == pytest.approx(expected, abs=1)


@pytest.mark.parametrize(
    ("samples", "expiry"),
    [
        # Too few samples.
        ([(0, 100.0), (600, 90.0)], None),
        # Three samples, but within less than the minimum span.
        ([(0, 100.0), (60, 90.0), (120, 80.0)], None),
        # Flat use.
        ([(0, 100.0), (600, 100.0), (1200, 100.0)], None),
        # Used up already.
        ([(0, 20.0), (600, 10.0), (1200, 0.0)], None),
        # Expires before it would run out.
        ([(0, 100.0), (600, 99.0), (1200, 98.0)], NOW + timedelta(hours=1)),
        # Absurdly far.
        ([(0, 1e9), (600, 1e9 - 1), (1200, 1e9 - 2)], None),
    ],
)
def test_runs_out_unknown(
    samples: list[tuple[float, float]], expiry: datetime | None
) -> None:
    """The cases the forecast leaves unknown."""
    start = NOW.timestamp() - samples[-1][0]
    size = max(100.0, samples[0][1])
    series = [[start + offset, left, size] for offset, left in samples]
    assert runs_out(series, NOW, expiry) is None


def test_runs_out_never_before_now() -> None:
    """A forecast in the past (reads stopped) says now."""
    start = NOW.timestamp() - 86_000
    series = [[start + i * 600, 30.0 - i * 10, 100.0] for i in range(3)]
    assert runs_out(series, NOW, None) == NOW


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_removing_the_entry_forgets_the_samples(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """The samples are kept until the account is removed."""
    await use_for(hass, freezer, emulator, 1)
    key = f"{DOMAIN}.{init_integration.entry_id}.forecast"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert ICCID in hass_storage[key]["data"]

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


def forecast_states(events: list[Event[EventStateChangedData]]) -> list[str]:
    """The states the data forecast sensor was written with."""
    return [
        state.state
        for event in events
        if event.data["entity_id"] == DATA_FORECAST
        and (state := event.data["new_state"]) is not None
    ]


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_one_read_writes_the_forecast_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A read that changes the forecast writes it once, with the quota just read.

    Here the read shows faster use, and brings the bundle's expiry before the
    moment it would run out: the forecast goes from a moment to unknown,
    without a write of the earlier moment that the new sample and the
    previous quota (its later expiry) make first.
    """
    await use_for(hass, freezer, emulator, 3)
    assert state_of(hass, DATA_FORECAST).state != STATE_UNKNOWN
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)

    quota = emulator.tmobile.sims[ICCID].quota_data
    quota["volume"] = data_left_mb(emulator) - 20.0
    quota["expiry_date"] = "2026-11-17T00:00:00.000Z"
    await use_for(hass, freezer, emulator, 1)

    assert forecast_states(writes) == [STATE_UNKNOWN]


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_read_without_change_writes_no_forecast(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A read that leaves the forecast as it was writes nothing."""
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)

    await use_for(hass, freezer, emulator, 1)

    assert state_of(hass, DATA_FORECAST).state == STATE_UNKNOWN
    assert forecast_states(writes) == []
