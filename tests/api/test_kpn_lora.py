"""The KPN LoRa client against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
import pytest

from custom_components.iot_connectivity.api.errors import (
    ActivationError,
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
)
from custom_components.iot_connectivity.api.kpn_lora import (
    ALARM_TYPE_NAMES,
    LRC_URL,
    KpnLoraClient,
    alarm_type_name,
    parse_alarm,
    parse_connectivity_plan,
    parse_device,
    parse_health,
    parse_routing_profile,
)
from custom_components.iot_connectivity.api.lrc import DownlinkValidationError
from custom_components.iot_connectivity.api.models import (
    AlarmSeverity,
    ConnectivityPlan,
    LoraAlarm,
    LoraDevice,
    LoraHealth,
    LoraHealthState,
    RoutingProfile,
    RoutingRoute,
)
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.kpn_gateway import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from iot_emulator.kpn_lora import (
    DEFAULT_THINGPARK_PASSWORD,
    DEFAULT_THINGPARK_USERNAME,
    KpnLoraEmulator,
)

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

AS_ID = "YOUR-AS-ID"
AS_KEY = "6dd70c8511e02ac833add9a146f5bf23"
API_EUI = "0059AC0000170311"
INIT_EUI = "0059BA0000000002"
SF12_EUI = "0059AC0000041201"
HIDDEN = "never-shown-credential"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("kpn_lora", name)


@pytest.fixture
def lora(emulator: EmulatorServer) -> KpnLoraEmulator:
    provider: KpnLoraEmulator = emulator.kpn_lora
    return provider


def make_client(
    session: aiohttp.ClientSession, url: str, **kwargs: Any
) -> KpnLoraClient:
    options: dict[str, Any] = {
        "url": url,
        "lrc_url": url,
        "as_id": AS_ID,
        "as_key": AS_KEY,
    } | kwargs
    credentials = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "thingpark_username": DEFAULT_THINGPARK_USERNAME,
        "thingpark_password": DEFAULT_THINGPARK_PASSWORD,
    } | options.pop("credentials", {})
    return KpnLoraClient(session, **credentials, **options)


@pytest.fixture
def client(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> KpnLoraClient:
    return make_client(http_session, emulator.url("kpn_lora"))


async def test_get_account_activates_once(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    accounts = await asyncio.gather(*(client.get_account() for _ in range(3)))
    assert {account.account_id for account in accounts} == {
        "demo.user@thingpark.example"
    }
    assert accounts[0].name == DEFAULT_THINGPARK_USERNAME
    await client.get_health()
    [activation] = lora.requests_to("activate")
    assert activation.json() == {
        "thingpark_username": DEFAULT_THINGPARK_USERNAME,
        "thingpark_password": DEFAULT_THINGPARK_PASSWORD,
    }
    assert DEFAULT_CLIENT_ID in lora.activated


async def test_first_lora_call_activates(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    await client.list_connectivity_plans()
    assert [r.endpoint for r in lora.requests] == [
        "token",
        "activate",
        "connectivity_plans",
    ]


async def test_explicit_activation_repeats(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    await client.activate()
    await client.activate()
    assert len(lora.requests_to("activate")) == 2
    assert len(lora.requests_to("token")) == 1


async def test_activated_project_is_not_activated_again(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, lora: KpnLoraEmulator
) -> None:
    lora.activated.add(DEFAULT_CLIENT_ID)
    client = make_client(http_session, emulator.url("kpn_lora"), activated=True)

    account = await client.get_account()
    await client.list_devices()

    assert account.account_id == DEFAULT_THINGPARK_USERNAME.lower()
    # The client id and secret are still proven, by the token.
    assert [r.endpoint for r in lora.requests] == ["token", "list_devices"]
    assert client.activated


async def test_lost_activation_is_restored_once(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, lora: KpnLoraEmulator
) -> None:
    """A 403 means the project is not activated: activate once, then retry."""
    client = make_client(http_session, emulator.url("kpn_lora"), activated=True)

    plans, health, alarms = await asyncio.gather(
        client.list_connectivity_plans(), client.get_health(), client.list_alarms()
    )

    assert plans
    assert health
    assert alarms
    assert len(lora.requests_to("activate")) == 1
    assert DEFAULT_CLIENT_ID in lora.activated


async def test_lost_activation_with_changed_thingpark_password(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, lora: KpnLoraEmulator
) -> None:
    client = make_client(
        http_session,
        emulator.url("kpn_lora"),
        activated=True,
        credentials={"thingpark_password": HIDDEN},
    )

    with pytest.raises(ActivationError) as err:
        await client.get_health()

    assert HIDDEN not in str(err.value)
    assert len(lora.requests_to("activate")) == 1


async def test_forbidden_after_activating_again_is_an_authentication_error(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    await client.get_account()
    lora.faults.add(Fault(FaultKind.STATUS, endpoint="health_statistics", status=403))

    with pytest.raises(AuthenticationError) as err:
        await client.get_health()

    assert not isinstance(err.value, ActivationError)
    # Activated when added, once again for the 403, and no loop after that.
    assert len(lora.requests_to("activate")) == 2
    assert len(lora.requests_to("health_statistics")) == 2


async def test_refused_activation(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(
        http_session,
        emulator.url("kpn_lora"),
        credentials={"thingpark_password": HIDDEN},
    )
    with pytest.raises(ActivationError) as err:
        await client.list_devices()
    assert HIDDEN not in str(err.value)
    assert emulator.kpn_lora.activated == set()
    assert emulator.kpn_lora.requests_to("list_devices") == []


async def test_refused_client_secret_is_not_an_activation_error(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(
        http_session, emulator.url("kpn_lora"), credentials={"client_secret": HIDDEN}
    )
    with pytest.raises(AuthenticationError) as err:
        await client.get_account()
    assert not isinstance(err.value, ActivationError)
    assert emulator.kpn_lora.requests_to("activate") == []


async def test_repr_hides_credentials(client: KpnLoraClient) -> None:
    text = repr(client)
    for secret in (DEFAULT_CLIENT_SECRET, DEFAULT_THINGPARK_PASSWORD, AS_KEY):
        assert secret not in text


async def test_list_devices_with_statistics(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    devices = {device.eui: device for device in await client.list_devices()}
    assert set(devices) == {API_EUI, INIT_EUI, SF12_EUI, "0059AC0000032611"}
    api_device = devices[API_EUI]
    assert api_device.ref == "15531"
    assert api_device.name == "Test Device via API"
    assert api_device.profile == "CUSTOM/Static V 1.0 Class A"
    assert api_device.connectivity_plan == "kpn-acc-ope-cs/often-geo-2019"
    assert api_device.routing_profile == "TWA_100001135.861"
    assert api_device.health_state is LoraHealthState.ACTIVE
    assert (api_device.last_rssi, api_device.last_snr) == (-38.2, 2.6)
    seen = lora.devices["15531"].last_uplink
    assert seen is not None
    # The API sends milliseconds.
    assert api_device.last_uplink == seen.replace(
        microsecond=seen.microsecond // 1000 * 1000
    )
    assert devices[SF12_EUI].last_sf == 12
    assert devices["0059AC0000032611"].battery_percent == 20
    init = devices[INIT_EUI]
    assert init.health_state is LoraHealthState.INIT
    assert (init.ref, init.name, init.last_rssi, init.last_uplink) == (
        "15532",
        "Test device",
        None,
        None,
    )
    [request] = lora.requests_to("list_devices")
    assert parse_qs(request.query_string) == {
        "pageIndex": ["1"],
        "statistics": ["true"],
    }


@pytest.mark.parametrize(("generated", "pages"), [(196, [1, 2, 3]), (197, [1, 2, 3])])
async def test_list_devices_pages_past_100(
    aiohttp_server,
    http_session: aiohttp.ClientSession,
    generated: int,
    pages: list[int],
) -> None:
    lora = KpnLoraEmulator(generated=generated, seed=3)
    server = await aiohttp_server(lora.make_app())
    url = str(server.make_url("")).rstrip("/")
    devices = await make_client(http_session, url).list_devices()
    assert len(devices) == generated + 4
    assert len({device.eui for device in devices}) == generated + 4
    assert devices[-1].eui == f"70B3D5E75E{generated - 1:06X}"
    asked = [
        int(parse_qs(r.query_string)["pageIndex"][0])
        for r in lora.requests_to("list_devices")
    ]
    assert asked == pages


async def test_list_devices_stops_when_pages_repeat(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    page = [
        example("device_create_response") | {"EUI": f"{i:016X}"} for i in range(100)
    ]
    lora.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="list_devices", body=page))
    devices = await client.list_devices()
    assert len(devices) == 100
    assert len(lora.requests_to("list_devices")) == 2


async def test_get_health_counts_the_devices(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    assert await client.get_health() == LoraHealth(
        init=1, active=3, rf_error=0, total=4
    )
    lora.tick(3 * 3600)
    assert await client.get_health() == LoraHealth(
        init=1, active=2, rf_error=1, total=4
    )


async def test_list_alarms(client: KpnLoraClient, lora: KpnLoraEmulator) -> None:
    alarms = await client.list_alarms()
    assert [alarm.ref for alarm in alarms] == [
        "5a6717531ffbe425b9c16bb6",
        "5a6847972d3694372cad4fed",
    ]
    assert alarms[1] == LoraAlarm(
        ref="5a6847972d3694372cad4fed",
        device_ref="32611",
        type_id=1,
        type_name="Battery level",
        severity=AlarmSeverity.WARNING,
        raw_severity="WARNING",
        acked=False,
        occurrences=9,
        created_at=datetime(2018, 1, 24, 8, 45, 11, 742000, tzinfo=UTC),
        updated_at=datetime(2018, 2, 4, 8, 52, 5, 384000, tzinfo=UTC),
        info=("20%",),
    )
    [sf_alarm] = await client.list_alarms(SF12_EUI.lower())
    assert sf_alarm.type_name == "Lower data rate than expected"
    assert sf_alarm.info == ("SF12", "SF10", "13.000000dB", "-15.000000dB")
    assert parse_qs(lora.requests_to("list_alarms")[-1].query_string) == {
        "deviceEUI": [SF12_EUI]
    }
    assert await client.list_alarms(INIT_EUI) == []


async def test_no_uplink_alarm_after_silence(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    lora.tick(3 * 3600)
    [raised] = [a for a in await client.list_alarms(SF12_EUI) if a.type_id == 4]
    assert raised.type_name == "No uplink activity"
    assert raised.severity is AlarmSeverity.MAJOR
    assert raised.info == ("3",)
    assert raised.is_open


async def test_acknowledge_alarm(client: KpnLoraClient, lora: KpnLoraEmulator) -> None:
    await client.acknowledge_alarm("5a6717531ffbe425b9c16bb6")
    alarm = next(a for a in await client.list_alarms() if a.ref.startswith("5a67"))
    assert alarm.acked
    assert not alarm.is_open
    [ack] = lora.requests_to("ack_alarm")
    assert ack.path.endswith("/deviceAlarms/5a6717531ffbe425b9c16bb6/acks")
    with pytest.raises(NotFoundError):
        await client.acknowledge_alarm("000000000000000000000000")


async def test_list_connectivity_plans(client: KpnLoraClient) -> None:
    assert await client.list_connectivity_plans() == [
        ConnectivityPlan(
            id="kpn-acc-ope-cs/testing",
            ref="608",
            name="kpn-acc-ope Testing CP",
            granted_connections=10,
            used_connections=1,
            communication_type="UNICAST",
        ),
        ConnectivityPlan(
            id="kpn-acc-ope-cs/often-geo-2019",
            ref="624",
            name="Often Geo 2019eb",
            granted_connections=100000,
            used_connections=0,
            communication_type="UNICAST",
        ),
    ]


async def test_send_downlink(client: KpnLoraClient, lora: KpnLoraEmulator) -> None:
    await client.send_downlink(API_EUI.lower(), "01AB", port=2)
    await client.send_downlink(
        API_EUI, "", port=223, confirmed=True, flush_queue=True, fcnt_down=9
    )
    first, second = lora.downlinks
    assert (first.dev_eui, first.port, first.payload_hex, first.as_id) == (
        API_EUI,
        2,
        "01AB",
        AS_ID,
    )
    assert (first.confirmed, first.flush_queue, first.fcnt_down) == (False, False, None)
    assert (second.confirmed, second.flush_queue, second.fcnt_down) == (True, True, 9)
    sent = datetime.fromisoformat(first.time)
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 10
    # The LRC is no gateway resource: no bearer token, no activation.
    assert [r.endpoint for r in lora.requests] == ["lrc_downlink", "lrc_downlink"]
    assert "Authorization" not in lora.requests[0].headers
    assert lora.devices["15531"].downlinks_24h == 2


@pytest.mark.parametrize(
    ("eui", "payload", "port", "fcnt_down", "reason"),
    [
        (API_EUI, "01", 0, None, "port"),
        (API_EUI, "01", 224, None, "port"),
        (API_EUI, "zz", 1, None, "payload_hex"),
        (API_EUI, "012", 1, None, "payload_odd"),
        (API_EUI, "00" * 243, 1, None, "payload_too_long"),
        (API_EUI, "00", 1, -1, "fcnt_down"),
        ("0059AC", "00", 1, None, "eui"),
    ],
)
async def test_invalid_downlink_is_not_sent(
    client: KpnLoraClient,
    lora: KpnLoraEmulator,
    *,
    eui: str,
    payload: str,
    port: int,
    fcnt_down: int | None,
    reason: str,
) -> None:
    with pytest.raises(DownlinkValidationError) as err:
        await client.send_downlink(eui, payload, port=port, fcnt_down=fcnt_down)
    assert err.value.reason == reason
    assert lora.requests == []


@pytest.mark.parametrize("missing", ["as_id", "as_key"])
async def test_downlink_needs_as_credentials(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, missing: str
) -> None:
    client = make_client(http_session, emulator.url("kpn_lora"), **{missing: None})
    with pytest.raises(DownlinkValidationError) as err:
        await client.send_downlink(API_EUI, "00", port=1)
    assert err.value.reason == "not_configured"
    assert emulator.kpn_lora.requests == []


async def test_downlink_with_a_wrong_as_key_is_refused(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(http_session, emulator.url("kpn_lora"), as_key="0" * 32)
    with pytest.raises(InvalidRequestError) as err:
        await client.send_downlink(API_EUI, "00", port=1)
    # Not an AuthenticationError: the gateway credentials are fine.
    assert not isinstance(err.value, AuthenticationError)
    assert "0" * 32 not in str(err.value)
    assert emulator.kpn_lora.downlinks == []


async def test_downlink_outside_the_time_deviation_is_refused(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    lora.max_time_deviation = -1.0
    with pytest.raises(InvalidRequestError):
        await client.send_downlink(API_EUI, "00", port=1)


async def test_downlink_to_an_unknown_device(client: KpnLoraClient) -> None:
    with pytest.raises(NotFoundError):
        await client.send_downlink("0000000000000001", "00", port=1)


@pytest.mark.parametrize(
    "body",
    [
        "Request queued",
        "<html><body>Request refused by LRC</body></html>",
        "",
        {"status": "queued"},
    ],
)
async def test_downlink_not_queued_is_invalid_response(
    client: KpnLoraClient, lora: KpnLoraEmulator, body: Any
) -> None:
    lora.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="lrc_downlink", body=body))
    with pytest.raises(InvalidResponseError):
        await client.send_downlink(API_EUI, "00", port=1)


async def test_token_expiry_mid_run(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    await client.get_health()
    lora.tokens.expire_all()
    await client.list_alarms()
    lora.tokens.revoke_all()
    assert len(await client.list_devices()) == 4
    assert len(lora.requests_to("token")) == 3
    assert len(lora.requests_to("activate")) == 1


async def test_short_token_lifetime(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    lora.tokens.lifetime = 0.05
    await client.get_health()
    await asyncio.sleep(0.1)
    await client.get_health()
    assert len(lora.requests_to("token")) >= 2


async def test_api_quota(client: KpnLoraClient, lora: KpnLoraEmulator) -> None:
    before = client.api_quota
    await client.get_health()
    after = client.api_quota
    assert before is None
    assert after is not None
    assert lora.quota is not None
    assert (after.limit, after.used) == (lora.quota.limit, 3)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(FaultKind.STATUS, status=503), ProviderUnavailableError),
        (Fault(FaultKind.STATUS, status=400), InvalidRequestError),
        (Fault(FaultKind.STATUS, status=404), NotFoundError),
        (Fault(FaultKind.RATE_LIMIT, retry_after=30), RateLimitedError),
        (Fault(FaultKind.MALFORMED), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE, body=[1]), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE, body=[{"name": "x"}]), InvalidResponseError),
        (Fault(FaultKind.DISCONNECT), ProviderUnavailableError),
    ],
)
@pytest.mark.parametrize(
    ("call", "endpoint"),
    [
        (KpnLoraClient.list_devices, "list_devices"),
        (KpnLoraClient.list_alarms, "list_alarms"),
        (KpnLoraClient.list_connectivity_plans, "connectivity_plans"),
    ],
)
async def test_failures_are_typed(
    client: KpnLoraClient,
    lora: KpnLoraEmulator,
    *,
    fault: Fault,
    error: type[Exception],
    call,
    endpoint: str,
) -> None:
    fault.endpoint = endpoint
    lora.faults.add(fault)
    with pytest.raises(error):
        await call(client)


async def test_rate_limit_carries_retry_after(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    lora.faults.add(
        Fault(FaultKind.RATE_LIMIT, endpoint="health_statistics", retry_after=30)
    )
    with pytest.raises(RateLimitedError) as err:
        await client.get_health()
    assert err.value.retry_after == 30
    assert err.value.reset_at is not None


async def test_health_of_the_wrong_shape(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    lora.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="health_statistics", body=[]))
    with pytest.raises(InvalidResponseError):
        await client.get_health()


async def test_timeout_is_unavailable(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(
        http_session,
        emulator.url("kpn_lora"),
        timeout=aiohttp.ClientTimeout(total=0.5),
    )
    emulator.kpn_lora.faults.add(
        Fault(FaultKind.TIMEOUT, endpoint="health_statistics", delay=2)
    )
    with pytest.raises(ProviderUnavailableError):
        await client.get_health()


def test_production_addresses(http_session: aiohttp.ClientSession) -> None:
    client = KpnLoraClient(http_session, "id", "secret", "user", "password")
    assert LRC_URL == "https://api.kpn-lora.com"
    assert repr(client) == (
        "<KpnLoraClient https://api-prd.kpn.com lrc=https://api.kpn-lora.com>"
    )


def test_parse_connectivity_plans_example() -> None:
    plans = [parse_connectivity_plan(plan) for plan in example("connectivity_plans")]
    assert [
        (p.id, p.ref, p.granted_connections, p.used_connections) for p in plans
    ] == [
        ("kpn-acc-ope-cs/testing", "608", 10, 1),
        ("kpn-acc-ope-cs/often-geo-2019", "624", 100000, 0),
    ]


def test_parse_device_examples() -> None:
    answered = parse_device(example("device_create_response"))
    assert answered == LoraDevice(
        eui=INIT_EUI,
        ref="15532",
        name="Test device",
        profile="CUSTOM/Static V 1.0 Class A",
        connectivity_plan="kpn-acc-ope-cs/often-geo-2019",
        routing_profile="TWA_100001135.2647",
    )
    created = parse_device(example("device_create_request"))
    assert (created.eui, created.ref, created.name) == (
        API_EUI,
        None,
        "Test Device via API",
    )
    assert created.routing_profile == "TWA_100001135.861"


def test_parse_device_statistics_nested_and_as_text() -> None:
    device = parse_device(
        {
            "EUI": "70b3d5e75e000001",
            "statistics": {
                "healthState": "RF_CNX_ERROR",
                "lastRSSI": "-101.5",
                "lastSNR": "-3.250000",
                "lastSF": "SF10",
                "lastUplinkTime": "2024-05-01T10:00:00.000+02:00",
                "lastBatteryLevel": 0,
                "last24hUplinkCount": "48",
                "lastMeanPER": 0.125,
            },
            "unknownField": {"ignored": True},
        }
    )
    assert device.eui == "70B3D5E75E000001"
    assert device.health_state is LoraHealthState.RF_CONNECTION_ERROR
    assert (device.last_rssi, device.last_snr, device.last_sf) == (-101.5, -3.25, 10)
    assert device.last_uplink == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert device.external_power is True
    assert device.uplinks_24h == 48
    assert device.mean_per == 0.125
    assert device.downlinks_24h is None


@pytest.mark.parametrize("data", [[], "device", {"name": "no EUI"}])
def test_parse_device_wrong_shape(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_device(data)


def test_parse_alarms_example() -> None:
    first, second = (parse_alarm(alarm) for alarm in example("device_alarms"))
    assert first == LoraAlarm(
        ref="5a6717531ffbe425b9c16bb6",
        device_ref="41201",
        type_id=6,
        type_name="Lower data rate than expected",
        severity=AlarmSeverity.MAJOR,
        raw_severity="MAJOR",
        acked=False,
        occurrences=1,
        created_at=datetime(2018, 1, 23, 11, 6, 59, 73000, tzinfo=UTC),
        updated_at=datetime(2018, 1, 23, 11, 6, 59, 73000, tzinfo=UTC),
        info=("SF12", "SF10", "13.000000dB", "-15.000000dB"),
    )
    assert (second.type_name, second.severity, second.occurrences) == (
        "Battery level",
        AlarmSeverity.WARNING,
        9,
    )


def test_parse_alarm_unknown_values() -> None:
    alarm = parse_alarm(
        {
            "ref": "a",
            "alarmState": "SEVERE",
            "deviceAlarmTypeId": "99",
            "additionalInfo10": "ten",
            "additionalInfo2": "two",
        }
    )
    assert alarm.severity is AlarmSeverity.UNKNOWN
    assert alarm.type_name == "Alarm type 99"
    assert alarm.info == ("two", "ten")
    assert alarm.acked is False


def test_alarm_type_names() -> None:
    assert sorted(ALARM_TYPE_NAMES) == list(range(1, 17))
    assert len(set(ALARM_TYPE_NAMES.values())) == 16
    assert alarm_type_name(4) == "No uplink activity"
    assert alarm_type_name(16) == "Wrong MIC in uplink"
    assert alarm_type_name(None) == "Unknown alarm"


def test_parse_health_example() -> None:
    assert parse_health(example("health_statistics")) == LoraHealth(
        init=11, active=55, rf_error=0, total=66
    )
    assert parse_health({"totalCount": None}) == LoraHealth()


# --- routing profiles -------------------------------------------------------

NEW_AS_KEY = "00112233445566778899aabbccddeeff"
HA_ADDRESS = "https://ha.example.com/api/webhook/abc"


async def test_create_routing_profile(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    profile = await client.create_routing_profile(
        name="Home Assistant", as_id="ha-1", as_key=NEW_AS_KEY, addresses=[HA_ADDRESS]
    )

    [request] = lora.requests_to("create_routing_profile")
    assert request.json() == {
        "name": "Home Assistant",
        "default": False,
        "hsmGroupId": "HSM_KPN-OPE.1",
        "routes": [
            {
                "sourcePorts": "*",
                "strategy": "SEQUENTIAL",
                "contentType": "JSON",
                "asId": "ha-1",
                "asKey": NEW_AS_KEY,
                "addresses": [HA_ADDRESS],
            }
        ],
    }
    assert profile == RoutingProfile(
        id=f"TWA_100001135.{profile.ref}",
        ref=profile.ref,
        name="Home Assistant",
        routes=(
            RoutingRoute(
                as_id="ha-1",
                addresses=(HA_ADDRESS,),
                content_type="JSON",
                strategy="SEQUENTIAL",
                source_ports="*",
            ),
        ),
    )
    assert profile.encrypted_as_key is None
    assert lora.as_keys["ha-1"] == NEW_AS_KEY
    assert NEW_AS_KEY not in repr(profile)


async def test_create_routing_profile_with_rsa_key(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    """An RSA key makes ThingPark answer the ASK, encrypted, once: kept out of repr."""
    public_key = example("routing_profile_request")["rsaPublicKey"]
    profile = await client.create_routing_profile(
        name="p",
        as_id="ha-2",
        as_key=NEW_AS_KEY,
        addresses=[HA_ADDRESS],
        rsa_public_key=public_key,
    )
    assert lora.requests_to("create_routing_profile")[0].json()["rsaPublicKey"] == (
        public_key
    )
    assert profile.encrypted_as_key is not None
    assert len(profile.encrypted_as_key) == 512
    assert profile.encrypted_as_key not in repr(profile)


def test_parse_routing_profile_verbatim() -> None:
    profile = parse_routing_profile(example("routing_profile_response"))
    assert profile.id == "TWA_100001135.2647"
    assert profile.ref == "2647"
    assert profile.routes[0].as_id == "YOUR-AS-ID"
    assert profile.routes[0].addresses == ("https://your-application-server/path/",)
    assert (
        profile.encrypted_as_key
        == (example("routing_profile_response")["rsaEncryptedASKey"])
    )


@pytest.mark.parametrize(
    ("changes", "refused_by"),
    [
        ({"as_key": "short"}, "client"),
        ({"as_id": " "}, "client"),
        ({"addresses": []}, "client"),
        ({"addresses": ["http://ha.example.com/api/webhook/abc"]}, "server"),
        ({"as_id": "YOUR-AS-ID"}, "server"),
        ({"hsm_group_id": "HSM_UNKNOWN.1"}, "server"),
    ],
    ids=["short_key", "blank_as_id", "no_address", "plain_http", "as_id_taken", "hsm"],
)
async def test_create_routing_profile_refused(
    client: KpnLoraClient,
    lora: KpnLoraEmulator,
    changes: dict[str, Any],
    refused_by: str,
) -> None:
    arguments: dict[str, Any] = {
        "name": "p",
        "as_id": "ha-3",
        "as_key": NEW_AS_KEY,
        "addresses": [HA_ADDRESS],
    } | changes

    with pytest.raises(InvalidRequestError) as err:
        await client.create_routing_profile(**arguments)

    sent = lora.requests_to("create_routing_profile")
    assert len(sent) == (refused_by == "server")
    if refused_by == "server":
        assert err.value.provider_message
    assert NEW_AS_KEY not in str(err.value)
    assert len(lora.routing_profiles) == 1


async def test_create_routing_profile_activates_again_after_403(
    client: KpnLoraClient, lora: KpnLoraEmulator
) -> None:
    await client.activate()
    lora.activated.clear()

    profile = await client.create_routing_profile(
        name="p", as_id="ha-4", as_key=NEW_AS_KEY, addresses=[HA_ADDRESS]
    )

    assert profile.routes[0].as_id == "ha-4"
    assert len(lora.requests_to("create_routing_profile")) == 2
    assert len(lora.routing_profiles) == 2
