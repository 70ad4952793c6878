"""The measurements, run by pytest inside Home Assistant's test harness.

``python -m benchmarks`` runs this module; each ``bench_*`` function gets a
fresh Home Assistant instance. Figures go into the shared :class:`Run`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
import logging
import math
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    storage,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_storage,
)

from custom_components import iot_connectivity
from custom_components.iot_connectivity.api.models import Capability, Provider
from custom_components.iot_connectivity.const import (
    CONF_PROVIDER,
    DOMAIN,
)
from custom_components.iot_connectivity.providers import PROVIDERS
from iot_emulator import infobip, kpn_lora, kpn_sim, management_api
from iot_emulator.server import EmulatorServer
from tests.integration.conftest import CREDENTIALS

from .emulator_thread import EmulatorThread
from .floor import EntityCount, floor_entry, floor_integration
from .probes import (
    Answer,
    BlockingCallLog,
    CountingQuota,
    ReplayServer,
    RequestLog,
    WarningLog,
    captured_answers,
    counted_state_writes,
    cpu_time,
    frozen_heap,
    json_floor,
    memory_kib,
    transport_floor,
    wall_time,
)
from .run import Run
from .uplinks import measure_uplinks

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

ENTITY_LIMIT_WARNING = "enabled entities for config entry"
"""What Home Assistant logs when it refuses an entry's entities beyond its limit."""
STEP = timedelta(seconds=10)
"""Resolution of simulated time: the shortest interval any coordinator uses."""
KEEPALIVE = timedelta(seconds=15)
"""How long an idle connection stays open: aiohttp's default, which Home
Assistant's shared client session keeps."""
CPU_REPEAT = 15
"""Samples of a refresh (or short cycle) and of its HTTP floor, the least of
each compared: one refresh of a few answers takes milliseconds, and on a
shared virtual machine single samples of it vary by half."""
MANY_BODIES = 200
MANY_REFRESHES = 100
"""A cycle this long is sampled once: its thousand refreshes are sample enough."""
PAIRED_REFRESHES = 100
"""Refreshes of a long cycle after which the HTTP floor of their answers is
measured: CPU and floor a few seconds apart, so that a slower minute on a
shared machine slows both."""
SETTLE = timedelta(minutes=1)
"""Time for Home Assistant's delayed registry saves (10 s) to run."""
SETUP_REPEAT = 3
"""First setups of each entry, each beside its floor: on a shared virtual
machine the same setup varies by a fifth from one minute to the next."""
CHANGED_SHARE = 0.01

PAGE_SIZES: dict[str, int] = {
    "list_things": kpn_sim.MAX_PAGE_SIZE,
    "session_status": kpn_sim.MAX_STATUS_IDS,
    "list_sims": management_api.MAX_SIM_PAGE_SIZE,
    "sims": infobip.MAX_PAGE_LIMIT,
    "usage_monthly": infobip.MAX_PAGE_LIMIT,
    "list_devices": kpn_lora.PAGE_SIZE,
}
"""Endpoints that list items, and the most items one page of each can hold."""
PER_ITEM_ENDPOINTS = frozenset(
    {"usage", "quota_data", "quota_sms", "connectivity_info", "status"}
)
"""Endpoints with no bulk form: one request per SIM is the least possible."""
EVENT_SHARE = 0.1
"""Share of the SIMs whose network event entity (disabled by default) the bench
enables: every tenth SIM. Their event log is read in their turns."""
SHARE_ENDPOINTS: dict[str, float] = {"events": EVENT_SHARE}
"""Per-SIM endpoints read for a share of the SIMs only."""


def quotas() -> dict[str, CountingQuota]:
    """Request limits each emulated provider enforces, by provider key.

    KPN's gateway reports its quota in headers (the emulator's default of
    10,000 a day, for each API); the same T-Mobile API elsewhere allows 10
    requests a second per customer, sent without headers (enforced per minute,
    as simulated time stands still within a step). Infobip publishes none.
    """
    now = time.time()
    return {
        "kpn_iot_sim": CountingQuota(
            enforce=True, window_start=now, clock=simulated_time
        ),
        "kpn_lora": CountingQuota(enforce=True, window_start=now, clock=simulated_time),
        "tmobile_easy_connect": CountingQuota(
            limit=600,
            interval=1,
            time_unit="minute",
            enforce=True,
            window_start=now,
            clock=simulated_time,
            send_headers=False,
        ),
    }


def simulated_time() -> float:
    """The frozen clock the benchmark moves on (looked up at each call)."""
    return time.time()


def enable_network_events(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    server: EmulatorServer,
    provider: Provider,
) -> None:
    """Enable the network event entity of every tenth SIM, where there is one.

    Registered before setup, as a user who enabled them before a restart.
    """
    if Capability.NETWORK_EVENTS not in PROVIDERS[provider].capabilities:
        return
    sims = getattr(server.providers[provider], "sims", {})
    registry = er.async_get(hass)
    for iccid in sorted(sims)[:: round(1 / EVENT_SHARE)]:
        registry.async_get_or_create(
            "event",
            DOMAIN,
            f"{entry.unique_id}_{iccid}_network_event",
            config_entry=entry,
        )


def config_entry(provider: Provider, url: str) -> MockConfigEntry:
    """An entry of ``provider``'s demo account on the emulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{PROVIDERS[provider].name} (bench)",
        unique_id=f"{provider}_bench",
        data={CONF_PROVIDER: provider.value, **CREDENTIALS[provider](url)},
        entry_id=f"{provider}_bench",
    )


def registered(hass: HomeAssistant, entry_id: str) -> EntityCount:
    """The entities (and enabled ones) and devices an entry registered."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    platforms: dict[str, list[int]] = {}
    for entity in entities:
        counts = platforms.setdefault(entity.domain, [0, 0])
        counts[0] += 1
        counts[1] += entity.disabled_by is None
    return EntityCount(
        entities=len(entities),
        enabled=sum(entity.disabled_by is None for entity in entities),
        devices=len(devices),
        platforms=tuple(
            (platform, counts[0], counts[1])
            for platform, counts in sorted(platforms.items())
        ),
    )


def coordinators(entry: MockConfigEntry) -> dict[str, DataUpdateCoordinator[Any]]:
    """The entry's coordinators by kind."""
    data = entry.runtime_data
    found = {
        "sims": data.sims,
        "traffic": data.traffic,
        "lora": data.lora,
        "plans": data.plans,
    }
    return {kind: c for kind, c in found.items() if c is not None}


def minimum_requests(endpoint: str, items: int) -> int:
    """The fewest requests that read ``endpoint`` for ``items`` SIMs or devices."""
    if endpoint in PER_ITEM_ENDPOINTS:
        return items
    if (share := SHARE_ENDPOINTS.get(endpoint)) is not None:
        return math.ceil(items * share)
    if (size := PAGE_SIZES.get(endpoint)) is not None:
        return max(math.ceil(items / size), 1)
    return 1


def request_table(sent: Counter[str], items: int) -> dict[str, dict[str, int]]:
    """Requests sent per endpoint beside the least possible."""
    return {
        endpoint: {"sent": count, "minimum": minimum_requests(endpoint, items)}
        for endpoint, count in sorted(sent.items())
    }


def spread_schedule(coordinator: DataUpdateCoordinator[Any]) -> Any:
    """The traffic coordinator's schedule of reads in turns, if it has one."""
    return getattr(coordinator, "schedule", None)


@contextmanager
def polling_paused(paused: Iterable[DataUpdateCoordinator[Any]]) -> Iterator[None]:
    """No scheduled refresh while a measurement moves the clock on."""
    paused = list(paused)
    for coordinator in paused:
        coordinator._unschedule_refresh()  # noqa: SLF001 - no public way to hold polling
    with patch.object(DataUpdateCoordinator, "_schedule_refresh", lambda _: None):
        yield
    for coordinator in paused:
        coordinator._schedule_refresh()  # noqa: SLF001


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let ``delta`` of simulated time pass and everything due run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def full_refresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coordinator: DataUpdateCoordinator[Any],
    items: int,
    paired: Callable[[list[Answer]], Awaitable[None]] | None = None,
) -> tuple[float, list[Answer], int]:
    """Read every item once: one refresh, or every turn of a spread read.

    Returns the CPU seconds, the answers and the refreshes it took.
    ``paired`` is given the answers of every :data:`PAIRED_REFRESHES`
    refreshes as they come, between two refreshes, outside the measured CPU.
    """
    schedule = spread_schedule(coordinator)
    period = coordinator.update_interval
    if schedule is not None:
        period = timedelta(seconds=schedule.period)
    # Whatever the coordinator reads only once per interval is due again.
    gap = period or STEP
    freezer.tick(gap)
    started = dt_util.utcnow().timestamp()
    refreshes = 0
    cpu = 0.0
    done = 0
    with captured_answers() as answers:
        while True:
            first = len(answers)
            start = cpu_time()
            await coordinator.async_refresh()
            cpu += cpu_time() - start
            refreshes += 1
            if gap >= KEEPALIVE and len(answers) > first:
                answers[first].reconnected = True
            if paired is not None and refreshes % PAIRED_REFRESHES == 0:
                await paired(answers[done:])
                done = len(answers)
            if schedule is None or not coordinator.last_update_success:
                # A failure (a 429 of a burst, say) is reported as a missed target.
                break
            read = sum(t >= started for t in schedule.read_at.values())
            if read >= items:
                break
            gap = timedelta(seconds=schedule.budget.slice_seconds)
            freezer.tick(gap)
    if paired is not None and done < len(answers):
        await paired(answers[done:])
    await hass.async_block_till_done()
    return cpu, answers, refreshes


def _one_percent[T](items: list[T]) -> list[T]:
    """Every hundredth item: the share a quiet refresh finds changed."""
    return items[:: round(1 / CHANGED_SHARE)]


def _flip_statuses(sims: dict[str, management_api.SimState]) -> Callable[[], None]:
    """Enable or disable 1 % of a management API account's SIMs."""

    def flip() -> None:
        for sim in _one_percent(list(sims.values())):
            enabled = sim.record["status"] == management_api.ENABLED
            sim.record["status"] = (
                management_api.DISABLED if enabled else management_api.ENABLED
            )

    return flip


def flip_one_percent(server: EmulatorServer, provider: Provider) -> Callable[[], None]:
    """A change to 1 % of the provider's SIMs or devices, for the emulator thread."""
    pick = _one_percent

    def kpn() -> None:
        for thing in pick(list(server.kpn_sim.things.values())):
            thing["State"] = "SUSPENDED" if thing["State"] == "ACTIVE" else "ACTIVE"

    def infobip_sims() -> None:
        for sim in pick(list(server.infobip.sims.values())):
            active = sim["status"] == infobip.ACTIVE
            sim["status"] = infobip.SUSPENDED if active else infobip.ACTIVE

    def lora() -> None:
        for device in pick(list(server.kpn_lora.devices.values())):
            device.last_rssi = (device.last_rssi or -100.0) - 1.0

    return {
        Provider.KPN_IOT_SIM: kpn,
        Provider.TMOBILE_EASY_CONNECT: _flip_statuses(server.tmobile.sims),
        Provider.ONENCE: _flip_statuses(server.onence.sims),
        Provider.INFOBIP_IOT: infobip_sims,
        Provider.KPN_LORA: lora,
    }[provider]


def item_count(server: EmulatorServer, provider: Provider) -> int:
    """How many SIMs or devices the provider's account holds."""
    return {
        Provider.KPN_IOT_SIM: len(server.kpn_sim.things),
        Provider.TMOBILE_EASY_CONNECT: len(server.tmobile.sims),
        Provider.ONENCE: len(server.onence.sims),
        Provider.INFOBIP_IOT: len(server.infobip.sims),
        Provider.KPN_LORA: len(server.kpn_lora.devices),
    }[provider]


@pytest.fixture
def hass_storage() -> Iterator[dict[str, Any]]:
    """Storage serialised as in production, only never written to disk.

    The harness's own mock turns every registry save into a JSON round trip
    inside the event loop, which would be charged to the integration.
    """
    write = storage.Store._async_write_data  # noqa: SLF001
    with (
        mock_storage() as stored,
        patch.object(storage.Store, "_async_write_data", write),
        patch.object(storage.Store, "_write_prepared_data", lambda *_: None),
    ):
        yield stored


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Measure at production speed: asyncio's debug mode costs CPU."""
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture(autouse=True)
def production_log_level() -> Iterator[None]:
    """Log warnings and worse, as Home Assistant does unless started ``--verbose``.

    The test harness logs at INFO: a line on stderr for each entity
    registered, hundreds of thousands in a run, inside the measured setups
    and their floors alike.
    """
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.setLevel(level)


@pytest.mark.usefixtures("socket_enabled", "enable_custom_integrations")
async def bench_integration(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, bench: Run
) -> None:
    """Set up all four accounts and measure requests, CPU, writes and a day."""
    server = EmulatorServer(sims=bench.sims, lora_devices=bench.lora_devices)
    limits = quotas()
    for key, quota in limits.items():
        server.providers[key].quota = quota
    emulator = EmulatorThread(server)
    await emulator.start()
    replay = Replay(ReplayServer(), emulator)
    replay.url = await emulator.serve(replay.server.app())
    detector = BlockingCallLog()
    refused = WarningLog(ENTITY_LIMIT_WARNING)
    try:
        with detector.watching(), refused.watching():
            await _measure(hass, freezer, bench, server, replay, limits)
    finally:
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)
        await emulator.stop()
    bench.results["blocking_calls"] = detector.reports
    bench.results["entity_limit_reports"] = refused.reports


@dataclass(slots=True)
class Replay:
    """The replay server on the emulator's thread, and how to reach it."""

    server: ReplayServer
    emulator: EmulatorThread
    url: str = ""

    async def floor(self, answers: list[Answer], repeat: int | None = None) -> float:
        """The least CPU time needed to request and receive ``answers`` over HTTP."""

        def load() -> None:
            self.server.bodies = [answer.body for answer in answers]

        await self.emulator.call(load)
        if repeat is None:
            # Thousands of small answers (a cycle of reads in turns) are sample enough.
            repeat = CPU_REPEAT if len(answers) < MANY_BODIES else 1
        return await transport_floor(self.url, answers, repeat)


async def _measure(  # noqa: PLR0917 - the run's parts, each used
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bench: Run,
    server: EmulatorServer,
    replay: Replay,
    limits: dict[str, CountingQuota],
) -> None:
    providers: dict[str, Any] = bench.results.setdefault("providers", {})
    # Importing the integration and its platforms, and setting up the entity
    # components they add to (sensor, notify, ...), is paid once per start,
    # not per entry: the first entry must not be charged with it.
    integration = await async_get_integration(hass, DOMAIN)
    await integration.async_get_component()
    await integration.async_get_platforms(iot_connectivity.PLATFORMS)
    for platform in iot_connectivity.PLATFORMS:
        await async_setup_component(hass, platform, {})
    memory_before = memory_kib()
    entries: dict[Provider, MockConfigEntry] = {}
    with floor_integration(hass):
        for provider in Provider:
            bench.note(f"setting up {provider}")
            entry, setup = await measure_setup(hass, server, provider)
            entries[provider] = entry
            providers[provider] = {
                "items": item_count(server, provider),
                "setup": setup,
            }
    memory_setup = memory_kib()

    every = [c for entry in entries.values() for c in coordinators(entry).values()]
    with polling_paused(every):
        for provider, entry in entries.items():
            figures = providers[provider]
            bench.note(f"refreshing {provider}")
            log = RequestLog(entry.runtime_data.client)
            # Frozen once per entry: a collection of the whole heap costs seconds.
            with frozen_heap():
                figures["refresh"] = {
                    kind: await _measure_coordinator(
                        hass, freezer, coordinator, log, figures["items"], replay
                    )
                    for kind, coordinator in coordinators(entry).items()
                }
            writes, changed = await _measure_writes(
                hass,
                freezer,
                entry,
                replay.emulator,
                flip_one_percent(server, provider),
            )
            figures["state_writes"] = writes
            for kind, after_change in changed.items():
                figures["refresh"][kind]["one_percent_changed"] = after_change
        if (lora_entry := entries.get(Provider.KPN_LORA)) is not None:
            bench.note("pushing uplinks")
            bench.results["uplinks"] = await measure_uplinks(hass, freezer, lora_entry)
    memory_items = memory_kib()

    bench.note(f"simulating {bench.hours:g} h")
    day = await _simulate_day(hass, freezer, bench, entries, limits)
    for provider, figures in day.items():
        providers[provider]["day"] = figures
        count = registered(hass, entries[provider].entry_id)
        providers[provider]["entities_after_day"] = count.entities
        providers[provider]["enabled_after_day"] = count.enabled

    items = sum(figures["items"] for figures in providers.values())
    grown = memory_items["VmRSS"] - memory_before["VmRSS"]
    bench.results["memory"] = {
        "rss_before_setup_kib": memory_before["VmRSS"],
        "rss_after_setup_kib": memory_setup["VmRSS"],
        "rss_all_items_read_kib": memory_items["VmRSS"],
        "peak_rss_kib": memory_kib()["VmHWM"],
        "items": items,
        "kib_per_item": grown / items,
    }


async def timed_setup(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[float, float]:
    """Wall and CPU seconds of setting up ``entry`` until Home Assistant settles.

    The heap is frozen first (:func:`frozen_heap`): otherwise the setup that
    happens to cross a quarter more kept objects pays a second for a full
    collection of every earlier entry, and its floor does not.
    """
    with frozen_heap():
        wall, cpu = wall_time(), cpu_time()
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return wall_time() - wall, cpu_time() - cpu


async def measure_setup(
    hass: HomeAssistant, server: EmulatorServer, provider: Provider
) -> tuple[MockConfigEntry, dict[str, Any]]:
    """Set up ``provider``'s entry, each time beside its floor; the least of each.

    The entry is set up :data:`SETUP_REPEAT` times, removed in between (so
    each is a first setup), and the entry of the last setup is kept.
    """
    samples: list[tuple[float, float, float, float]] = []
    for attempt in range(SETUP_REPEAT):
        entry = config_entry(provider, server.url(provider))
        entry.add_to_hass(hass)
        enable_network_events(hass, entry, server, provider)
        wall, cpu = await timed_setup(hass, entry)
        if entry.state is not ConfigEntryState.LOADED:
            raise RuntimeError(f"{provider} did not set up: {entry.state}")
        count = registered(hass, entry.entry_id)
        floor = await measure_floor(hass, count, f"{provider}_{attempt}")
        samples.append((wall, cpu, *floor))
        if attempt < SETUP_REPEAT - 1:
            await hass.config_entries.async_remove(entry.entry_id)
            await hass.async_block_till_done()
    wall, cpu, floor_wall, floor_cpu = (
        min(column) for column in zip(*samples, strict=True)
    )
    return entry, {
        "seconds": wall,
        "cpu_seconds": cpu,
        "entities": count.entities,
        "enabled": count.enabled,
        "devices": count.devices,
        "platforms": [list(platform) for platform in count.platforms],
        "floor_seconds": floor_wall,
        "floor_cpu_seconds": floor_cpu,
        "ratio": wall / floor_wall,
        "cpu_ratio": cpu / floor_cpu,
        "samples": [[sample[0], sample[2]] for sample in samples],
    }


async def measure_floor(
    hass: HomeAssistant, count: EntityCount, name: str
) -> tuple[float, float]:
    """Wall and CPU seconds of Home Assistant adding what the entry just did.

    Measured right after the entry's setup, in the same instance: the same
    registries, the same memory, the same frozen clock (whose patched time
    functions cost every clock read in Home Assistant's code), and a moment
    later on the same machine. The floor's entry is removed again afterwards.
    """
    entry = floor_entry(count, name)
    entry.add_to_hass(hass)
    floor_wall, floor_cpu = await timed_setup(hass, entry)
    if registered(hass, entry.entry_id) != count:
        raise RuntimeError(f"the floor for {name} added other entities")
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return floor_wall, floor_cpu


async def _measure_coordinator(  # noqa: PLR0917 - the run's parts, each used
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coordinator: DataUpdateCoordinator[Any],
    log: RequestLog,
    items: int,
    replay: Replay,
) -> dict[str, Any]:
    """Requests of one full refresh, then its CPU time beside its floors.

    The first refresh after setup may still add entities (a SIM's traffic
    entities appear when it is first read): CPU is measured on the next ones.
    """
    log.reset()
    _, _, refreshes = await full_refresh(hass, freezer, coordinator, items)
    sent = log.since()
    failed = not coordinator.last_update_success
    # The registries save what the first refresh added before CPU is measured.
    await advance(hass, freezer, SETTLE)
    if refreshes >= MANY_REFRESHES:
        # A long cycle takes minutes: its floor is measured in step with it.
        floors: list[float] = []

        async def pair(answers: list[Answer]) -> None:
            floors.append(await replay.floor(answers, repeat=1))

        cpu, answers, _ = await full_refresh(
            hass, freezer, coordinator, items, paired=pair
        )
        figures = await cpu_figures(cpu, answers, replay, transport=sum(floors))
    else:
        # A short cycle (a KPN session cycle of 3 turns) is sampled like a refresh.
        samples: list[float] = []
        for _ in range(CPU_REPEAT):
            cpu, answers, _ = await full_refresh(hass, freezer, coordinator, items)
            samples.append(cpu)
        figures = await cpu_figures(min(samples), answers, replay)
    return {
        "failed": failed or not coordinator.last_update_success,
        "requests": request_table(sent, items),
        "refreshes": refreshes,
        **figures,
    }


async def cpu_figures(
    cpu: float,
    answers: list[Answer],
    replay: Replay,
    transport: float | None = None,
) -> dict[str, Any]:
    """CPU time of a refresh beside ``json.loads`` and HTTP for its answers.

    ``transport`` is the HTTP floor when it was measured already.
    """
    bodies = [answer.body for answer in answers]
    floor = json_floor(bodies)
    if transport is None:
        transport = await replay.floor(answers)
    return {
        "bytes": sum(map(len, bodies)),
        "answers": len(bodies),
        "cpu_ms": cpu * 1000,
        "json_ms": floor * 1000,
        "http_ms": transport * 1000,
        "cpu_ratio": cpu / floor if floor else None,
        "floor_ratio": cpu / (floor + transport) if floor + transport else None,
    }


async def _measure_writes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    emulator: EmulatorThread,
    change: Callable[[], None],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """State writes of a refresh of unchanged data, and of 1 % changed items.

    Also returns the CPU time of each refresh after the change, by kind.
    """
    count = registered(hass, entry.entry_id)
    figures: dict[str, Any] = {"enabled_entities": count.enabled}
    changed: dict[str, dict[str, Any]] = {}
    listing = entry.runtime_data.sims or entry.runtime_data.lora
    for case in ("unchanged", "one_percent_changed"):
        if case == "one_percent_changed":
            await emulator.call(change)
        with counted_state_writes(hass) as writes:
            for kind, coordinator in coordinators(entry).items():
                if coordinator is listing or spread_schedule(coordinator) is None:
                    cpu, answers, _ = await full_refresh(hass, freezer, coordinator, 0)
                    floor = json_floor([answer.body for answer in answers])
                    changed[kind] = {
                        "cpu_ms": cpu * 1000,
                        "cpu_ratio": cpu / floor if floor else None,
                    }
        figures[case] = {"writes": writes.writes, "changes": writes.changes}
    return figures, changed


async def _simulate_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bench: Run,
    entries: dict[Provider, MockConfigEntry],
    limits: dict[str, CountingQuota],
) -> dict[Provider, dict[str, Any]]:
    """A day at the default intervals: requests, 429 answers, largest burst."""
    logs = {p: RequestLog(e.runtime_data.client) for p, e in entries.items()}
    refused = {key: quota.refused for key, quota in limits.items()}
    burst: Counter[Provider] = Counter()
    steps = round(timedelta(hours=bench.hours) / STEP)
    wall = wall_time()
    for step_number in range(steps):
        if step_number % round(timedelta(hours=1) / STEP) == 0:
            bench.note(f"hour {step_number * STEP / timedelta(hours=1):.0f}")
        before = {p: log.since() for p, log in logs.items()}
        await advance(hass, freezer, STEP)
        for provider, log in logs.items():
            step = log.since() - before[provider]
            per_item = sum(
                step[e] for e in step if e in PER_ITEM_ENDPOINTS or e in SHARE_ENDPOINTS
            )
            per_item += step["session_status"]
            burst[provider] = max(burst[provider], per_item)
    bench.results["day_wall_seconds"] = wall_time() - wall
    return {
        provider: {
            "hours": bench.hours,
            "requests": sum(log.since().values()) + log.tokens_since(),
            "by_endpoint": dict(sorted(log.since().items())),
            "token_requests": log.tokens_since(),
            "rate_limited": (
                limits[provider].refused - refused[provider]
                if provider in limits
                else None
            ),
            "quota": (
                {
                    "limit": limits[provider].limit,
                    "interval": limits[provider].interval,
                    "time_unit": limits[provider].time_unit,
                }
                if provider in limits
                else None
            ),
            "largest_per_item_burst": burst[provider],
        }
        for provider, log in logs.items()
    }
