"""The fault matrix: every provider against every fault, over real HTTP.

Each fault is injected into the emulator (or the emulator is stopped) while
Home Assistant sets up or polls the provider account. docs/reliability.md lists
which test covers which provider and fault.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
import json
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from yarl import URL

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import DOMAIN, LOGGER
from iot_emulator.core import Fault, FaultKind
from iot_emulator.management_api import ManagementApiEmulator

from .counts import COUNTS
from .helpers import advance, entity_ids, set_up, with_clock_running

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.iot_connectivity.coordinator import (
        IoTConnectivityCoordinator,
    )
    from iot_emulator.server import EmulatorServer

POLLS_WHILE_FAILING = 3
TRANSLATIONS = json.loads(
    (
        Path(__file__).parents[2]
        / "custom_components/iot_connectivity/translations/en.json"
    ).read_text("utf-8")
)

type Undo = Callable[[], Awaitable[None]]
type Inject = Callable[[EmulatorServer, Provider], Awaitable[Undo]]

MANAGEMENT_API = frozenset({Provider.TMOBILE_EASY_CONNECT, Provider.ONENCE})
"""The operators of the management API family, served by one emulator code."""
TOKEN_PROVIDERS = frozenset({Provider.KPN_IOT_SIM, Provider.KPN_LORA} | MANAGEMENT_API)
"""Providers whose client caches a bearer token (Infobip sends a fixed key)."""
KPN_GATEWAY = frozenset({Provider.KPN_IOT_SIM, Provider.KPN_LORA})
"""Providers behind the KPN gateway, which reports a request quota."""
FIRST_DATA_ENDPOINT = {
    Provider.KPN_IOT_SIM: "list_things",
    Provider.TMOBILE_EASY_CONNECT: "list_sims",
    Provider.ONENCE: "list_sims",
    Provider.INFOBIP_IOT: "sims",
    Provider.KPN_LORA: "list_devices",
}


@dataclass(frozen=True, kw_only=True)
class FaultCase:
    """A fault, how to cause it, and the providers it applies to."""

    name: str
    inject: Inject
    providers: frozenset[Provider] = field(default_factory=lambda: frozenset(Provider))


def emulator_fault(**fault: Any) -> Inject:
    """Inject an emulator fault on every route; undo by clearing the faults."""

    async def inject(server: EmulatorServer, provider: Provider) -> Undo:
        faults = server.providers[provider].faults
        faults.add(Fault(**fault))

        async def undo() -> None:
            faults.clear()

        return undo

    return inject


async def refuse_connections(server: EmulatorServer, _: Provider) -> Undo:
    """Stop listening; undo by listening on the same ports again."""
    ports = {key: URL(server.url(key)).port or 0 for key in server.providers}
    await server.stop()

    async def undo() -> None:
        await server.start(ports)

    return undo


async def spend_quota(server: EmulatorServer, provider: Provider) -> Undo:
    """Spend the KPN gateway's request quota; it resets a day later by itself."""
    quota = server.providers[provider].quota
    assert quota is not None
    # Follow the frozen test clock, so the day-long window can pass.
    quota.clock = time.time
    quota.window_start = time.time()
    quota.limit = quota.used = 10
    quota.enforce = True

    async def undo() -> None:
        """Nothing: the quota window ends on its own."""

    return undo


TRANSIENT_FAULTS = (
    FaultCase(name="timeout", inject=emulator_fault(kind=FaultKind.TIMEOUT, delay=2)),
    FaultCase(name="connection_refused", inject=refuse_connections),
    FaultCase(name="disconnect", inject=emulator_fault(kind=FaultKind.DISCONNECT)),
    *(
        FaultCase(
            name=f"http_{status}",
            inject=emulator_fault(kind=FaultKind.STATUS, status=status),
        )
        for status in (500, 502, 503)
    ),
    FaultCase(
        name="rate_limited_retry_after",
        inject=emulator_fault(kind=FaultKind.RATE_LIMIT, retry_after=3600),
    ),
    FaultCase(name="rate_limited", inject=emulator_fault(kind=FaultKind.RATE_LIMIT)),
    FaultCase(name="quota_spent", inject=spend_quota, providers=KPN_GATEWAY),
    FaultCase(name="malformed_json", inject=emulator_fault(kind=FaultKind.MALFORMED)),
    FaultCase(name="wrong_shape", inject=emulator_fault(kind=FaultKind.WRONG_SHAPE)),
)
"""Faults the provider recovers from by itself."""


def matrix(cases: tuple[FaultCase, ...]) -> list[Any]:
    """Parametrise ``provider`` and ``case`` over the applicable pairs."""
    return [
        pytest.param(provider, case, id=f"{provider}-{case.name}")
        for provider in Provider
        for case in cases
        if provider in case.providers
    ]


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Any:
    """Fail any case that logs an error with a traceback (an unhandled exception)."""
    caplog.set_level(logging.INFO)
    yield
    COUNTS["fault cases"] += 1
    tracebacks = [
        record.getMessage()
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if record.levelno >= logging.ERROR and record.exc_info
    ]
    assert not tracebacks


def unavailable(hass: HomeAssistant, ids: set[str]) -> set[str]:
    """Those of ``ids`` whose state is unavailable."""
    return {
        i
        for i in ids
        if (state := hass.states.get(i)) is None or state.state == STATE_UNAVAILABLE
    }


def coordinators(
    entry: MockConfigEntry,
) -> list[IoTConnectivityCoordinator[Any, Any]]:
    """The coordinators of a loaded entry."""
    data = entry.runtime_data
    return [c for c in (data.sims, data.traffic, data.lora, data.plans) if c]


NOISE = frozenset(
    {
        "asyncio",
        "aiohttp_fast_zlib",
        "homeassistant.loader",
        # Traffic entities of SIMs first read after recovery are registered then.
        "homeassistant.helpers.entity_registry",
    }
)
"""Loggers whose notes concern the test bench, not the integration: asyncio's
debug-mode slow callbacks (jumping the frozen clock makes every callback look
hours long), a missing zlib accelerator, and custom integrations in general."""


def lines_since(
    caplog: pytest.LogCaptureFixture, start: int, level: int = logging.INFO
) -> list[str]:
    """What was logged at ``level`` or above since record ``start``."""
    return [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records[start:]
        if record.levelno >= level and record.name not in NOISE
    ]


def assert_one_line_each(logged: list[str], names: list[str], prefix: str) -> None:
    """Assert ``logged`` is one line per coordinator, each starting with ``prefix``."""
    for name in names:
        start = prefix.format(logger=LOGGER.name, name=name)
        assert sum(line.startswith(start) for line in logged) == 1, (name, logged)
    assert len(logged) == len(names), logged


def reauth_flows(hass: HomeAssistant) -> list[str]:
    """The config flows in progress for the integration, by source."""
    return [
        flow["context"]["source"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    ]


def status_entity(hass: HomeAssistant, entry: MockConfigEntry, item_id: str) -> str:
    """The status (SIM) or health (LoRa) sensor of one SIM or device."""
    key = "health_state" if entry.unique_id == f"{Provider.KPN_LORA}_demo" else "status"
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.unique_id}_{item_id}_{key}"
    )
    assert entity_id is not None, f"no {key} sensor for {item_id}"
    return entity_id


@pytest.mark.parametrize(("provider", "case"), matrix(TRANSIENT_FAULTS))
async def test_transient_fault_during_setup(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    case: FaultCase,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Setup is retried (ConfigEntryNotReady) and succeeds once the fault is gone."""
    undo = await case.inject(emulator, provider)

    assert await set_up(hass, freezer, mock_config_entry) is (
        ConfigEntryState.SETUP_RETRY
    )
    assert not reauth_flows(hass)

    await undo()
    await advance(hass, freezer, timedelta(days=1))
    assert mock_config_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(("provider", "case"), matrix(TRANSIENT_FAULTS))
async def test_transient_fault_while_running(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    case: FaultCase,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable and come back; each coordinator logs once each way."""
    await set_up(hass, freezer, mock_config_entry)
    ids = entity_ids(hass, mock_config_entry)
    assert ids
    assert not unavailable(hass, ids)
    names = [coordinator.name for coordinator in coordinators(mock_config_entry)]
    start = len(caplog.records)

    undo = await case.inject(emulator, provider)
    for _ in range(POLLS_WHILE_FAILING):
        await advance(hass, freezer)

    assert unavailable(hass, ids) == ids
    assert_one_line_each(
        lines_since(caplog, start),
        names,
        "ERROR {logger}: Error fetching {name} data: ",
    )

    start = len(caplog.records)
    await undo()
    await advance(hass, freezer, timedelta(days=1))

    assert not unavailable(hass, ids)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert_one_line_each(
        lines_since(caplog, start),
        names,
        "INFO {logger}: Fetching {name} data recovered",
    )


def revoke_credentials(server: EmulatorServer, provider: Provider) -> None:
    """Make the provider refuse the entry's credentials and every issued token."""
    match provider:
        case Provider.KPN_IOT_SIM:
            server.kpn_sim.clients.clear()
        case Provider.KPN_LORA:
            server.kpn_lora.clients.clear()
        case Provider.TMOBILE_EASY_CONNECT:
            server.tmobile.credentials.clear()
        case Provider.ONENCE:
            server.onence.credentials.clear()
        case Provider.INFOBIP_IOT:
            server.infobip.api_keys.clear()
            server.infobip.users.clear()
    server.providers[provider].tokens.revoke_all()


async def test_credentials_revoked_during_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Refused credentials fail setup with reauthentication, and nothing retries."""
    revoke_credentials(emulator, provider)

    assert await set_up(hass, freezer, mock_config_entry) is (
        ConfigEntryState.SETUP_ERROR
    )
    assert reauth_flows(hass) == [SOURCE_REAUTH]

    requests = emulator.providers[provider].requests
    sent = len(requests)
    for _ in range(POLLS_WHILE_FAILING):
        await advance(hass, freezer)
    assert [request.endpoint for request in requests[sent:]] == []


async def test_credentials_revoked_while_running(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reauthentication starts once; polling stops rather than storm the provider."""
    await set_up(hass, freezer, mock_config_entry)
    ids = entity_ids(hass, mock_config_entry)
    names = [coordinator.name for coordinator in coordinators(mock_config_entry)]
    start = len(caplog.records)

    fetched = len(emulator.providers[provider].requests_to("token"))
    revoke_credentials(emulator, provider)
    await advance(hass, freezer)

    assert reauth_flows(hass) == [SOURCE_REAUTH]
    assert unavailable(hass, ids) == ids
    # One refused token request per coordinator, however many reads each has.
    assert len(emulator.providers[provider].requests_to("token")) - fetched <= len(
        names
    )
    logged = [line for line in lines_since(caplog, start) if "reauth" not in line]
    assert_one_line_each(
        logged,
        names,
        "ERROR {logger}: Authentication failed while fetching {name} data: ",
    )

    requests = emulator.providers[provider].requests
    sent = len(requests)
    for _ in range(POLLS_WHILE_FAILING):
        await advance(hass, freezer)
    assert [request.endpoint for request in requests[sent:]] == []
    assert reauth_flows(hass) == [SOURCE_REAUTH]


@pytest.mark.parametrize("provider", sorted(TOKEN_PROVIDERS))
async def test_token_refused_during_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A fresh token refused once is replaced once, and setup goes on."""
    provider_emulator = emulator.providers[provider]
    provider_emulator.faults.add(
        Fault(
            kind=FaultKind.STATUS,
            endpoint=FIRST_DATA_ENDPOINT[provider],
            status=401,
            times=1,
        )
    )

    await set_up(hass, freezer, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert len(provider_emulator.requests_to("token")) == 2
    assert not reauth_flows(hass)


@pytest.mark.parametrize("provider", sorted(TOKEN_PROVIDERS))
async def test_token_refused_while_running(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cached token the provider revoked is renewed silently; nothing fails."""
    await set_up(hass, freezer, mock_config_entry)
    ids = entity_ids(hass, mock_config_entry)
    provider_emulator = emulator.providers[provider]
    endpoint = FIRST_DATA_ENDPOINT[provider]
    tokens, reads = (
        len(provider_emulator.requests_to(name)) for name in ("token", endpoint)
    )
    start = len(caplog.records)

    provider_emulator.tokens.revoke_all()
    # Well within the token's lifetime: the client still holds it as valid.
    await advance(hass, freezer, timedelta(minutes=5))

    assert len(provider_emulator.requests_to("token")) == tokens + 1
    # The refused read, then the same read with the new token.
    assert len(provider_emulator.requests_to(endpoint)) >= reads + 2
    assert not unavailable(hass, ids)
    assert not lines_since(caplog, start)
    assert not reauth_flows(hass)


def keep_only(records: Mapping[str, dict[str, Any]], key: str) -> None:
    """Leave each record with nothing but ``key``."""
    for record in records.values():
        kept = record[key]
        record.clear()
        record[key] = kept


def strip_kpn_sim(server: EmulatorServer) -> None:
    """Things and sessions with only their ``ThingId``."""
    keep_only(server.kpn_sim.things, "ThingId")
    keep_only(server.kpn_sim.sessions, "ThingId")


def management_api(server: EmulatorServer, provider: Provider) -> ManagementApiEmulator:
    """The emulator of one operator of the management API."""
    emulator = server.providers[provider]
    assert isinstance(emulator, ManagementApiEmulator)
    return emulator


def strip_management_api(provider: Provider) -> Mutation:
    """SIMs with only their ICCID; empty quotas and session; no usage."""

    def strip(server: EmulatorServer) -> None:
        for sim in management_api(server, provider).sims.values():
            iccid = sim.iccid
            parts = (sim.record, sim.quota_data, sim.quota_sms, sim.subscriber_info)
            for part in (*parts, sim.connectivity or {}):
                part.clear()
            sim.record["iccid"] = iccid
            sim.usage.clear()

    return strip


def strip_infobip(server: EmulatorServer) -> None:
    """SIMs and usage records with only their ICCID."""
    keep_only(server.infobip.sims, "iccid")
    keep_only(server.infobip.usage, "iccid")


def strip_kpn_lora(server: EmulatorServer) -> None:
    """Devices, alarms and plans with only their ids; no health counts.

    Device statistics are served from typed state, so bare answers are served.
    """
    lora = server.kpn_lora
    bare = {
        "list_devices": [{"EUI": device.eui} for device in lora.devices.values()],
        "list_alarms": [{"ref": ref} for ref in lora.alarms],
        "connectivity_plans": [{"id": plan["id"]} for plan in lora.connectivity_plans],
        "health_statistics": {},
    }
    for endpoint, body in bare.items():
        lora.faults.add(Fault(kind=FaultKind.WRONG_SHAPE, endpoint=endpoint, body=body))


UNKNOWN_STATUS = "NEW_STATUS_FROM_THE_FUTURE"


def unknown_kpn_sim(server: EmulatorServer) -> None:
    """A Thing state and a connection status never seen before."""
    for thing in server.kpn_sim.things.values():
        thing["State"] = UNKNOWN_STATUS
    for session in server.kpn_sim.sessions.values():
        session["ConnectionStatus"] = UNKNOWN_STATUS


def unknown_management_api(provider: Provider) -> Mutation:
    """A SIM status, quota status id and attach state never seen before."""

    def unknown(server: EmulatorServer) -> None:
        for sim in management_api(server, provider).sims.values():
            sim.record["status"] = UNKNOWN_STATUS
            for quota in (sim.quota_data, sim.quota_sms):
                quota["quota_status"] = {"id": 7, "description": UNKNOWN_STATUS}
            sim.subscriber_info["state"] = UNKNOWN_STATUS
            if sim.connectivity is not None:
                sim.connectivity["status"] = UNKNOWN_STATUS

    return unknown


def unknown_infobip(server: EmulatorServer) -> None:
    """A SIM status never seen before."""
    for sim in server.infobip.sims.values():
        sim["status"] = UNKNOWN_STATUS


def unknown_kpn_lora(server: EmulatorServer) -> None:
    """A health state and an alarm state never seen before."""
    for device in server.kpn_lora.devices.values():
        device.health = UNKNOWN_STATUS
    for alarm in server.kpn_lora.alarms.values():
        alarm["alarmState"] = UNKNOWN_STATUS


def empty_kpn_sim(server: EmulatorServer) -> None:
    """No Things."""
    server.kpn_sim.things.clear()
    server.kpn_sim.sessions.clear()


def empty_management_api(provider: Provider) -> Mutation:
    """No SIMs."""
    return lambda server: management_api(server, provider).sims.clear()


def empty_infobip(server: EmulatorServer) -> None:
    """No SIMs, no usage."""
    server.infobip.sims.clear()
    server.infobip.usage.clear()


def empty_kpn_lora(server: EmulatorServer) -> None:
    """No devices, alarms or plans."""
    server.kpn_lora.devices.clear()
    server.kpn_lora.alarms.clear()
    server.kpn_lora.connectivity_plans.clear()


type Mutation = Callable[[EmulatorServer], None]
DATA_CASES: dict[str, dict[Provider, Mutation]] = {
    "missing_optional_fields": {
        Provider.KPN_IOT_SIM: strip_kpn_sim,
        **{provider: strip_management_api(provider) for provider in MANAGEMENT_API},
        Provider.INFOBIP_IOT: strip_infobip,
        Provider.KPN_LORA: strip_kpn_lora,
    },
    "unknown_enum_values": {
        Provider.KPN_IOT_SIM: unknown_kpn_sim,
        **{provider: unknown_management_api(provider) for provider in MANAGEMENT_API},
        Provider.INFOBIP_IOT: unknown_infobip,
        Provider.KPN_LORA: unknown_kpn_lora,
    },
    "empty_lists": {
        Provider.KPN_IOT_SIM: empty_kpn_sim,
        **{provider: empty_management_api(provider) for provider in MANAGEMENT_API},
        Provider.INFOBIP_IOT: empty_infobip,
        Provider.KPN_LORA: empty_kpn_lora,
    },
}
"""Answers that are odd but valid: the entry loads and stays available."""


def enum_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The enabled enum sensors of ``entry`` by entity id, with translation keys."""
    return {
        entity.entity_id: entity.translation_key or ""
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.original_device_class == "enum" and not entity.disabled
    }


def assert_data_case(hass: HomeAssistant, case: str, entry: MockConfigEntry) -> None:
    """The entry is loaded, its data read, and what the odd answer means shows."""
    assert entry.state is ConfigEntryState.LOADED
    assert all(c.last_update_success for c in coordinators(entry))
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    items = [device.serial_number for device in devices if device.serial_number]
    if case == "empty_lists":
        assert len(devices) == 1
        assert not items
        count = "devices_total" if entry.runtime_data.lora else "sims_active"
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{entry.unique_id}_{count}"
        )
        assert entity_id is not None
        assert hass.states.get(entity_id).state == "0"  # type: ignore[union-attr]
        return
    assert items
    assert not unavailable(hass, entity_ids(hass, entry))
    sensors = enum_sensors(hass, entry)
    assert sensors
    for entity_id, translation_key in sensors.items():
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state in state.attributes["options"]
        assert state.state in TRANSLATIONS["entity"]["sensor"][translation_key]["state"]
    if case == "unknown_enum_values":
        for item_id in items:
            entity_id = status_entity(hass, entry, item_id)
            assert hass.states.get(entity_id).state == "unknown"  # type: ignore[union-attr]


@pytest.mark.parametrize("case", list(DATA_CASES))
async def test_odd_answer_during_setup(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    case: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry loads, warning about nothing."""
    DATA_CASES[case][provider](emulator)
    start = len(caplog.records)

    await set_up(hass, freezer, mock_config_entry)

    assert_data_case(hass, case, mock_config_entry)
    assert not lines_since(caplog, start, logging.WARNING)


@pytest.mark.parametrize("case", list(DATA_CASES))
async def test_odd_answer_while_running(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    case: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities follow the odd answer and stay available, logging nothing."""
    await set_up(hass, freezer, mock_config_entry)
    start = len(caplog.records)

    DATA_CASES[case][provider](emulator)
    await advance(hass, freezer)

    assert_data_case(hass, case, mock_config_entry)
    assert not lines_since(caplog, start, logging.WARNING)


def vanish(server: EmulatorServer, provider: Provider) -> str:
    """Remove one SIM or device from the provider; return its ICCID or DevEUI.

    A LoRa device's alarms stay, naming a device the list no longer has.
    """
    match provider:
        case Provider.KPN_IOT_SIM:
            iccid = next(iter(server.kpn_sim.things))
            del server.kpn_sim.things[iccid], server.kpn_sim.sessions[iccid]
            return iccid
        case Provider.TMOBILE_EASY_CONNECT | Provider.ONENCE:
            sims = management_api(server, provider).sims
            return sims.pop(next(iter(sims))).iccid
        case Provider.INFOBIP_IOT:
            iccid = next(iter(server.infobip.sims))
            del server.infobip.sims[iccid], server.infobip.usage[iccid]
            return iccid
        case Provider.KPN_LORA:
            lora = server.kpn_lora
            alarmed = next(iter(lora.alarms.values()))["deviceRef"]
            return lora.devices.pop(alarmed).eui
    raise AssertionError(provider)


def detail_coordinator(
    entry: MockConfigEntry,
) -> IoTConnectivityCoordinator[Any, Any]:
    """The coordinator that reads details of what another read listed."""
    data = entry.runtime_data
    detail: IoTConnectivityCoordinator[Any, Any] | None = data.traffic or data.lora
    assert detail is not None
    return detail


async def test_item_vanishes_between_list_and_detail(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Details of a SIM or device gone since it was listed fail nothing else.

    The SIM list still names it when usage, quota and sessions are read; LoRa
    alarms still name a device the device list no longer has.
    """
    await set_up(hass, freezer, mock_config_entry)
    start = len(caplog.records)
    gone = vanish(emulator, provider)
    others = {
        entity.entity_id
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), mock_config_entry.entry_id
        )
        if device.serial_number not in (None, gone)
        for entity in er.async_entries_for_device(er.async_get(hass), device.id)
        if not entity.disabled
    }

    detail = detail_coordinator(mock_config_entry)
    await with_clock_running(hass, freezer, detail.async_refresh())

    assert detail.last_update_success
    assert others
    assert not unavailable(hass, others)

    await advance(hass, freezer)

    registry = dr.async_get(hass)
    assert (
        registry.async_get_device_by_identifier(
            (DOMAIN, gone), mock_config_entry.entry_id
        )
        is None
    )
    assert not unavailable(hass, others)
    assert not lines_since(caplog, start, logging.WARNING)
