"""The KPN LoRa (ThingPark) emulator serves the document's API and the LRC."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import pytest

from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.kpn_gateway import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    TOKEN_PATH,
)
from iot_emulator.kpn_lora import (
    ATTACH_PATH,
    BASE_PATH,
    DEFAULT_CUSTOMER_ID,
    DEFAULT_THINGPARK_PASSWORD,
    DEFAULT_THINGPARK_USERNAME,
    LRC_DOWNLINK_PATH,
    PUSH_UPLINK_PATH,
    SENSORS_PATH,
    KpnLoraEmulator,
)
from iot_emulator.lora_payloads import (
    DEMO_SENSORS,
    DIGITAL_INPUT,
    HUMIDITY,
    PERCENTAGE,
    TEMPERATURE,
    cayenne,
    cayenne_gps,
    lorawan_encrypt,
    wrap_session_key,
)

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from iot_emulator.server import EmulatorServer

pytestmark = pytest.mark.usefixtures("socket_enabled")

AS_ID = "YOUR-AS-ID"
AS_KEY = "6dd70c8511e02ac833add9a146f5bf23"
API_EUI = "0059ac0000170311"
INIT_REF, INIT_EUI = "15532", "0059ba0000000002"
SF12_REF, SF12_EUI = "41201", "0059AC0000041201"
BATTERY_REF = "32611"
ERROR_FIELDS = {"code", "message", "errorId"}
STATISTICS_FIELDS = {
    "healthState",
    "lastRSSI",
    "lastSNR",
    "averageRSSI",
    "averageSNR",
    "lastSF",
    "last24hUplinkCount",
    "last24hDownlinkCount",
    "lastUplinkTime",
    "lastDownlinkTime",
    "lastBatteryLevel",
    "lastBatteryLevelTime",
    "lastMeanPER",
}


def example(name: str) -> Any:
    return load_example("kpn_lora", name)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]


class Api:
    """Requests to one running LoRa emulator as the demo gateway client."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, emulator: KpnLoraEmulator
    ) -> None:
        self.session = session
        self.url = url
        self.emulator = emulator
        self._token: str | None = None

    async def token(self, *, activate: bool = True) -> str:
        if self._token is None:
            reply = await self.raw(
                "POST",
                f"{self.url}{TOKEN_PATH}",
                params={"grant_type": "client_credentials"},
                data={
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                },
            )
            self._token = reply.body["access_token"]
            if activate:
                assert (await self.activate()).status == 200
        return self._token

    async def activate(
        self,
        username: str = DEFAULT_THINGPARK_USERNAME,
        password: str = DEFAULT_THINGPARK_PASSWORD,
    ) -> Reply:
        return await self.call(
            "POST",
            "/activate",
            json={"thingpark_username": username, "thingpark_password": password},
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        authorization: str | None = "own",
        **kwargs: Any,
    ) -> Reply:
        """``path`` below the base path; ``authorization`` "own" uses the token."""
        if authorization == "own":
            authorization = f"Bearer {await self.token()}"
        headers = {"Authorization": authorization} if authorization else {}
        return await self.raw(
            method, f"{self.url}{BASE_PATH}{path}", headers=headers, **kwargs
        )

    async def raw(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as resp:
            text = await resp.text()
            try:
                body = await resp.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Reply(resp.status, body, resp.headers)

    async def downlink(self, query: str) -> Reply:
        return await self.raw("POST", f"{self.url}{LRC_DOWNLINK_PATH}?{query}")


@pytest.fixture
def api(emulator: EmulatorServer, http_session: aiohttp.ClientSession) -> Api:
    return Api(http_session, emulator.url("kpn_lora"), emulator.kpn_lora)


async def served(
    aiohttp_server: Any, session: aiohttp.ClientSession, **seed: int
) -> Api:
    emulator = KpnLoraEmulator(**seed)
    server = await aiohttp_server(emulator.make_app())
    return Api(session, str(server.make_url("")).rstrip("/"), emulator)


def assert_error(reply: Reply, status: int) -> None:
    assert reply.status == status
    assert set(reply.body) == ERROR_FIELDS
    assert reply.body["code"] == status
    assert reply.body["message"]


def now_text(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).isoformat(timespec="milliseconds")


def signed(params: list[tuple[str, str]], key: str = AS_KEY) -> str:
    """A downlink query signed independently of the library."""
    plain = "&".join(f"{k}={v}" for k, v in params)
    token = hashlib.sha256(f"{plain}{key}".encode()).hexdigest()
    sent = "&".join(f"{k}={quote(v, safe=':')}" for k, v in params)
    return f"{sent}&Token={token}"


def downlink_params(**changes: str | None) -> list[tuple[str, str]]:
    params = {
        "DevEUI": API_EUI.upper(),
        "FPort": "1",
        "Payload": "00ff",
        "AS_ID": AS_ID,
        "Time": now_text(),
    } | changes
    return [(key, value) for key, value in params.items() if value is not None]


# --- gateway token and activation -------------------------------------------


async def test_token_refused_for_a_wrong_secret(api: Api) -> None:
    reply = await api.raw(
        "POST",
        f"{api.url}{TOKEN_PATH}",
        params={"grant_type": "client_credentials"},
        data={"client_id": DEFAULT_CLIENT_ID, "client_secret": "wrong"},
    )
    assert reply.status == 401


ROUTES = [
    ("POST", "/activate"),
    ("GET", "/connectivityPlans"),
    ("GET", "/routingProfiles"),
    ("POST", "/routingProfiles"),
    ("GET", "/devices"),
    ("POST", "/devices"),
    ("GET", f"/devices/{INIT_REF}"),
    ("DELETE", f"/devices/{INIT_REF}"),
    ("GET", "/deviceAlarms"),
    ("POST", "/deviceAlarms/5a6717531ffbe425b9c16bb6/acks"),
    ("GET", f"/deviceFrameStatistics?deviceEUIList={API_EUI}"),
    ("GET", "/deviceHealthStatistics"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer unknown", "Basic abc"])
async def test_every_route_needs_a_valid_token(
    api: Api, method: str, path: str, authorization: str | None
) -> None:
    reply = await api.call(method, path, authorization=authorization)
    assert reply.status == 401
    assert reply.body["name"] == "invalid_token"


@pytest.mark.parametrize(("method", "path"), ROUTES[1:])
async def test_every_lora_route_needs_activation(
    api: Api, method: str, path: str
) -> None:
    await api.token(activate=False)
    assert_error(await api.call(method, path), 403)
    assert INIT_REF in api.emulator.devices


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"thingpark_username": DEFAULT_THINGPARK_USERNAME}, 400),
        (
            {"thingpark_username": DEFAULT_THINGPARK_USERNAME, "thingpark_password": 1},
            400,
        ),
        ([], 400),
        (
            {
                "thingpark_username": DEFAULT_THINGPARK_USERNAME,
                "thingpark_password": "wrong",
            },
            403,
        ),
        (
            {
                "thingpark_username": DEFAULT_THINGPARK_USERNAME.lower(),
                "thingpark_password": DEFAULT_THINGPARK_PASSWORD,
            },
            403,
        ),
    ],
)
async def test_activation_refused(api: Api, body: Any, status: int) -> None:
    await api.token(activate=False)
    assert_error(await api.call("POST", "/activate", json=body), status)
    assert api.emulator.activated == set()
    assert_error(await api.call("GET", "/deviceHealthStatistics"), 403)


async def test_activation_is_per_client_id(api: Api) -> None:
    await api.token()
    assert api.emulator.activated == {DEFAULT_CLIENT_ID}
    api.emulator.clients["second-project"] = "second-secret"
    other = Api(api.session, api.url, api.emulator)
    reply = await other.raw(
        "POST",
        f"{api.url}{TOKEN_PATH}",
        params={"grant_type": "client_credentials"},
        data={"client_id": "second-project", "client_secret": "second-secret"},
    )
    other._token = reply.body["access_token"]
    assert_error(await other.call("GET", "/devices"), 403)
    assert (await other.activate()).status == 200
    assert (await other.call("GET", "/devices")).status == 200


@pytest.mark.parametrize("spoil", ["expire_all", "revoke_all"])
async def test_expired_and_revoked_tokens_are_refused(api: Api, spoil: str) -> None:
    assert (await api.call("GET", "/devices")).status == 200
    getattr(api.emulator.tokens, spoil)()
    assert (await api.call("GET", "/devices")).status == 401


async def test_token_lifetime_is_configurable(api: Api) -> None:
    api.emulator.tokens.lifetime = 0.05
    await api.token()
    await asyncio.sleep(0.1)
    assert (await api.call("GET", "/devices")).status == 401


# --- subscription and routing profiles --------------------------------------


async def test_connectivity_plans_verbatim(api: Api) -> None:
    reply = await api.call("GET", "/connectivityPlans")
    assert reply.status == 200
    assert reply.body == example("connectivity_plans")


async def test_routing_profiles_hide_keys(api: Api) -> None:
    reply = await api.call("GET", "/routingProfiles")
    response = example("routing_profile_response")
    del response["rsaEncryptedASKey"]
    assert reply.body == [response]


async def test_create_routing_profile(api: Api) -> None:
    request = example("routing_profile_request")
    assert_error(await api.call("POST", "/routingProfiles", json=request), 409)
    new_key = "00112233445566778899aabbccddeeff"
    request["routes"][0] |= {"asId": "MY-AS", "asKey": new_key}
    reply = await api.call("POST", "/routingProfiles", json=request)
    assert reply.status == 201
    assert reply.body["name"] == "your-routing-profile-name"
    assert reply.body["id"] == f"TWA_{DEFAULT_CUSTOMER_ID}.{reply.body['ref']}"
    assert len(reply.body["rsaEncryptedASKey"]) == 512
    assert reply.body["routes"] == [
        {k: v for k, v in request["routes"][0].items() if k != "asKey"}
    ]
    listed = (await api.call("GET", "/routingProfiles")).body
    assert [p["id"] for p in listed][-1] == reply.body["id"]
    assert "rsaEncryptedASKey" not in listed[-1]
    # The new route's key now signs downlinks.
    query = signed(downlink_params(AS_ID="MY-AS"), new_key)
    assert (await api.downlink(query)).status == 200


VALID_ROUTE = {"asId": "X", "asKey": AS_KEY, "addresses": ["https://as.example/up"]}


@pytest.mark.parametrize(
    ("route", "hsm_group"),
    [
        (VALID_ROUTE | {"asKey": "short"}, "HSM_KPN-OPE.1"),
        (VALID_ROUTE | {"asId": ""}, "HSM_KPN-OPE.1"),
        ({k: v for k, v in VALID_ROUTE.items() if k != "asId"}, "HSM_KPN-OPE.1"),
        (VALID_ROUTE | {"addresses": []}, "HSM_KPN-OPE.1"),
        (VALID_ROUTE | {"addresses": ["http://as.example/up"]}, "HSM_KPN-OPE.1"),
        (VALID_ROUTE | {"addresses": ["/api/webhook/abc"]}, "HSM_KPN-OPE.1"),
        ("not-a-route", "HSM_KPN-OPE.1"),
        (VALID_ROUTE, None),
        (VALID_ROUTE, "HSM_SOMEWHERE.9"),
    ],
    ids=[
        "short_key",
        "empty_as_id",
        "no_as_id",
        "no_address",
        "plain_http",
        "no_host",
        "not_a_route",
        "no_hsm_group",
        "unknown_hsm_group",
    ],
)
async def test_invalid_routing_profile(
    api: Api, route: Any, hsm_group: str | None
) -> None:
    body = {"name": "p", "hsmGroupId": hsm_group, "routes": [route]}
    assert_error(await api.call("POST", "/routingProfiles", json=body), 400)
    assert len((await api.call("GET", "/routingProfiles")).body) == 1


async def test_valid_route_is_accepted(api: Api) -> None:
    body = {"name": "p", "hsmGroupId": "HSM_KPN-OPE.1", "routes": [VALID_ROUTE]}
    reply = await api.call("POST", "/routingProfiles", json=body)
    assert reply.status == 201
    assert "rsaEncryptedASKey" not in reply.body


# --- devices ----------------------------------------------------------------


async def test_device_examples_verbatim(api: Api) -> None:
    reply = await api.call("GET", f"/devices/{INIT_REF}")
    assert reply.body == example("device_create_response")
    reply = await api.call("GET", "/devices")
    created = example("device_create_request")
    del created["applicationKey"]
    assert reply.body[0] == {"ref": "15531"} | created
    assert [d["ref"] for d in reply.body] == ["15531", INIT_REF, SF12_REF, BATTERY_REF]
    assert not STATISTICS_FIELDS & set(reply.body[0])


async def test_device_statistics_and_extended_info(api: Api) -> None:
    reply = await api.call(
        "GET", "/devices", params={"statistics": "true", "extendedInfo": "true"}
    )
    by_ref = {device["ref"]: device for device in reply.body}
    assert all(set(device) >= STATISTICS_FIELDS for device in reply.body)
    assert by_ref[INIT_REF]["healthState"] == "INIT"
    assert by_ref[INIT_REF]["lastUplinkTime"] is None
    assert by_ref[SF12_REF]["lastSF"] == 12
    assert by_ref[BATTERY_REF]["lastBatteryLevel"] == 51
    assert by_ref["15531"]["lastRSSI"] == -38.2
    assert by_ref[SF12_REF]["devAddr"] == "00041201"
    datetime.fromisoformat(by_ref[SF12_REF]["creationTime"])
    single = await api.call(
        "GET", f"/devices/{SF12_REF}", params={"statistics": "true"}
    )
    assert single.body["healthState"] == "ACTIVE"
    assert "devAddr" not in single.body


async def test_device_pages(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    api = await served(aiohttp_server, http_session, generated=197, seed=5)
    sizes = []
    for page in range(1, 5):
        reply = await api.call("GET", "/devices", params={"pageIndex": page})
        sizes.append(len(reply.body))
    assert sizes == [100, 100, 1, 0]
    first = (await api.call("GET", "/devices")).body
    assert first == (await api.call("GET", "/devices", params={"pageIndex": 1})).body
    last = (await api.call("GET", "/devices", params={"pageIndex": 3})).body
    assert last[0]["EUI"] == "70B3D5E75E0000C4"
    plans = (await api.call("GET", "/connectivityPlans")).body
    assert plans[1]["usedConnections"] == 197


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
async def test_bad_page_index(api: Api, page: str) -> None:
    assert_error(await api.call("GET", "/devices", params={"pageIndex": page}), 400)


async def test_generation_is_deterministic(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    one = await served(aiohttp_server, http_session, generated=20, seed=9)
    two = await served(aiohttp_server, http_session, generated=20, seed=9)
    params = {"statistics": "true"}
    first = (await one.call("GET", "/devices", params=params)).body
    second = (await two.call("GET", "/devices", params=params)).body
    strip = {"lastUplinkTime", "lastBatteryLevelTime"}

    def stable(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in d.items() if k not in strip} for d in devices]

    assert stable(first) == stable(second)


async def test_unknown_device(api: Api) -> None:
    assert_error(await api.call("GET", "/devices/99999"), 404)
    assert_error(await api.call("DELETE", "/devices/99999"), 404)


async def test_create_and_delete_device(api: Api) -> None:
    request = example("device_create_request")
    assert_error(await api.call("POST", "/devices", json=request), 409)
    request["EUI"] = "0059ac0000170312"
    reply = await api.call("POST", "/devices", json=request)
    assert reply.status == 201
    expected = {k: v for k, v in request.items() if k != "applicationKey"}
    assert reply.body == {"ref": reply.body["ref"]} | expected
    plans = (await api.call("GET", "/connectivityPlans")).body
    assert plans[1]["usedConnections"] == 1
    fetched = await api.call("GET", f"/devices/{reply.body['ref']}")
    assert fetched.body == reply.body
    assert (await api.call("DELETE", f"/devices/{reply.body['ref']}")).status == 200
    assert_error(await api.call("GET", f"/devices/{reply.body['ref']}"), 404)
    plans = (await api.call("GET", "/connectivityPlans")).body
    assert plans[1]["usedConnections"] == 0


async def test_created_device_defaults(api: Api) -> None:
    body = {
        "name": "Minimal",
        "EUI": "0059AC00000000AA",
        "activationType": "OTAA",
        "hsmGroupId": "HSM_KPN-OPE.1",
    }
    reply = await api.call("POST", "/devices", json=body)
    assert reply.body["connectivityPlanId"] == "kpn-acc-ope-cs/testing"
    assert reply.body["processingStrategyId"] == "DATAFLOW"


async def test_unknown_connectivity_plan_answers_the_documented_error(api: Api) -> None:
    request = example("device_create_request")
    request |= {
        "EUI": "0059ac0000170399",
        "connectivityPlanId": "kpn-acc-ope-cs/often-geo-1919",
    }
    reply = await api.call("POST", "/devices", json=request)
    assert reply.status == 400
    assert reply.body == example("error")


@pytest.mark.parametrize(
    "change",
    [
        {"EUI": "0059ac00001703"},
        {"activationType": "ABP"},
        {"hsmGroupId": None},
        {"applicationKey": "00"},
        {"connectivityPlanId": "kpn-acc-ope-cs/testing", "EUI": "0059ac0000170398"},
    ],
)
async def test_invalid_device(api: Api, change: dict[str, Any]) -> None:
    api.emulator.connectivity_plans[0]["usedConnections"] = 10  # full
    body = example("device_create_request") | {"EUI": "0059ac0000170397"} | change
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(await api.call("POST", "/devices", json=body), 400)


async def test_device_body_must_be_an_object(api: Api) -> None:
    assert_error(await api.call("POST", "/devices", data="not json"), 400)
    assert_error(await api.call("POST", "/devices", json=[1]), 400)


# --- alarms -----------------------------------------------------------------


async def test_alarms_verbatim_and_by_device(api: Api) -> None:
    assert (await api.call("GET", "/deviceAlarms")).body == example("device_alarms")
    reply = await api.call(
        "GET", "/deviceAlarms", params={"deviceEUI": SF12_EUI.lower()}
    )
    assert reply.body == example("device_alarms")[:1]
    reply = await api.call("GET", "/deviceAlarms", params={"deviceEUI": "0" * 16})
    assert reply.body == []


async def test_every_alarm_has_its_device(api: Api) -> None:
    for alarm in (await api.call("GET", "/deviceAlarms")).body:
        assert (await api.call("GET", f"/devices/{alarm['deviceRef']}")).status == 200


async def test_acknowledge_alarm(api: Api) -> None:
    reply = await api.call("POST", "/deviceAlarms/5a6847972d3694372cad4fed/acks")
    assert reply.status == 201
    alarm = api.emulator.alarms["5a6847972d3694372cad4fed"]
    assert alarm["acked"] is True
    assert alarm["lastUpdateTime"] != example("device_alarms")[1]["lastUpdateTime"]
    assert_error(await api.call("POST", "/deviceAlarms/unknown/acks"), 404)


async def test_deleting_a_device_removes_its_alarms(api: Api) -> None:
    await api.call("DELETE", f"/devices/{SF12_REF}")
    refs = [a["ref"] for a in (await api.call("GET", "/deviceAlarms")).body]
    assert refs == ["5a6847972d3694372cad4fed"]


# --- statistics -------------------------------------------------------------


async def test_frame_statistics_for_many_devices_at_once(api: Api) -> None:
    reply = await api.call(
        "GET",
        "/deviceFrameStatistics",
        params={"deviceEUIList": f"{API_EUI.upper()},{INIT_EUI},{'0' * 16}"},
    )
    assert reply.body == [
        row | {"deviceEUI": API_EUI} for row in example("frame_statistics")
    ]


async def test_frame_statistics_period_and_aggregation(api: Api) -> None:
    query = signed(downlink_params())
    assert (await api.downlink(query)).status == 200
    latest = await api.call(
        "GET", "/deviceFrameStatistics", params={"deviceEUIList": API_EUI}
    )
    downlink = next(r for r in latest.body if r["type"] == "DOWNLINK")
    assert downlink["frameCount"] == 1
    assert downlink["payloadSentWithSuccessSize"] == 2
    params = {
        "deviceEUIList": API_EUI,
        "startDate": "2020-01-31T00:00:00.000+00:00",
        "duration": "2",
        "aggregationStep": "24",
    }
    reply = await api.call("GET", "/deviceFrameStatistics", params=params)
    assert [(r["type"], r["date"], r["frameCount"]) for r in reply.body] == [
        ("UPLINK", "2020-01-31T00:00:00.000+00:00", 2),
        ("DOWNLINK", "2020-01-31T00:00:00.000+00:00", 3),
    ]
    params["startDate"] = "2020-02-01T00:00:00.000+00:00"
    assert (await api.call("GET", "/deviceFrameStatistics", params=params)).body == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"deviceEUIList": API_EUI, "aggregationStep": "25"},
        {"deviceEUIList": API_EUI, "aggregationStep": "0"},
        {"deviceEUIList": API_EUI, "duration": "x"},
        {"deviceEUIList": API_EUI, "startDate": "yesterday"},
    ],
)
async def test_invalid_frame_statistics_request(
    api: Api, params: dict[str, str]
) -> None:
    assert_error(await api.call("GET", "/deviceFrameStatistics", params=params), 400)


async def test_health_statistics_count_the_devices(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    api = await served(aiohttp_server, http_session, generated=60, seed=1)
    health = (await api.call("GET", "/deviceHealthStatistics")).body
    assert set(health) == set(example("health_statistics"))
    states = [
        d["healthState"]
        for page in (1, 2)
        for d in (
            await api.call(
                "GET", "/devices", params={"pageIndex": page, "statistics": "true"}
            )
        ).body
    ]
    assert health == {
        "initCount": states.count("INIT"),
        "activeCount": states.count("ACTIVE"),
        "rfConnectionErrorCount": states.count("RF_CNX_ERROR"),
        "totalCount": 64,
    }
    assert health["initCount"] > 1
    assert health["activeCount"] > 3


# --- simulated time ---------------------------------------------------------


async def test_tick_devices_report(api: Api) -> None:
    before = api.emulator.devices["15531"]
    fcnt, uplink, rssi = before.fcnt_up, before.last_uplink, before.last_rssi
    api.emulator.tick(3600)
    device = (
        await api.call("GET", "/devices/15531", params={"statistics": "true"})
    ).body
    assert api.emulator.devices["15531"].fcnt_up == fcnt + 6
    assert device["lastUplinkTime"] != uplink
    assert device["lastRSSI"] != rssi
    assert device["last24hUplinkCount"] == 144
    init = (
        await api.call("GET", f"/devices/{INIT_REF}", params={"statistics": "true"})
    ).body
    assert init["lastUplinkTime"] is None


async def test_quiet_device_raises_and_clears_no_uplink_alarm(api: Api) -> None:
    api.emulator.tick(3600)
    assert len(api.emulator.alarms) == 2
    api.emulator.tick(3600)
    [raised] = [a for a in api.emulator.alarms.values() if a["deviceAlarmTypeId"] == 4]
    assert (raised["deviceRef"], raised["additionalInfo1"]) == (SF12_REF, "2")
    health = (await api.call("GET", "/deviceHealthStatistics")).body
    assert health["rfConnectionErrorCount"] == 1
    api.emulator.tick(3600)
    assert raised["additionalInfo1"] == "3"
    assert raised["alarmState"] == "MAJOR"
    api.emulator.quiet_device_ref = None
    api.emulator.tick(600)
    assert raised["alarmState"] == "CLEARED"
    device = (
        await api.call("GET", f"/devices/{SF12_REF}", params={"statistics": "true"})
    ).body
    assert device["healthState"] == "ACTIVE"


async def test_alarms_clear_in_time(api: Api) -> None:
    api.emulator.tick(5 * 3600)
    states = {a["ref"]: a["alarmState"] for a in api.emulator.alarms.values()}
    assert states["5a6847972d3694372cad4fed"] == "WARNING"
    api.emulator.tick(3600)
    alarms = (await api.call("GET", "/deviceAlarms")).body
    cleared = {a["ref"] for a in alarms if a["alarmState"] == "CLEARED"}
    assert cleared == {"5a6717531ffbe425b9c16bb6", "5a6847972d3694372cad4fed"}
    assert any(
        a["deviceAlarmTypeId"] == 4 and a["alarmState"] == "MAJOR" for a in alarms
    )


async def test_tick_through_the_control_api(api: Api) -> None:
    reply = await api.raw("POST", f"{api.url}/_emulator/tick", json={"seconds": 7200})
    assert reply.status == 200
    state = (await api.raw("GET", f"{api.url}/_emulator/state")).body
    assert state["devices"] == 4
    assert state["open_alarms"] == 3


# --- LRC downlinks ------------------------------------------------------------


async def test_downlink_signed_as_published(api: Api) -> None:
    params = downlink_params(FCntDn="4", Confirmed="1", FlushDownlinkQueue="0")
    reply = await api.downlink(signed(params))
    assert (reply.status, reply.body) == (
        200,
        "<html><body>Request queued by LRC</body></html>",
    )
    [queued] = api.emulator.downlinks
    assert (queued.dev_eui, queued.port, queued.payload_hex) == (
        API_EUI.upper(),
        1,
        "00ff",
    )
    assert (queued.fcnt_down, queued.confirmed, queued.flush_queue) == (4, True, False)
    assert api.emulator.devices["15531"].fcnt_down == 4
    assert api.emulator.requests_to("lrc_downlink")[0].body == b""


async def test_downlink_time_with_literal_plus(api: Api) -> None:
    params = downlink_params(Time=now_text())
    plain = "&".join(f"{k}={v}" for k, v in params)
    token = hashlib.sha256(f"{plain}{AS_KEY}".encode()).hexdigest()
    reply = await api.downlink(f"{plain}&Token={token}")
    assert reply.status == 200


@pytest.mark.parametrize(
    ("changes", "key", "status"),
    [
        ({}, "0" * 32, 403),
        ({"AS_ID": "UNKNOWN"}, AS_KEY, 403),
        ({"Time": -90.0}, AS_KEY, 403),
        ({"Time": 90.0}, AS_KEY, 403),
        ({"Time": "yesterday"}, AS_KEY, 400),
        ({"FPort": "0"}, AS_KEY, 400),
        ({"FPort": "224"}, AS_KEY, 400),
        ({"FPort": "one"}, AS_KEY, 400),
        ({"Payload": "0f0"}, AS_KEY, 400),
        ({"Payload": "zz"}, AS_KEY, 400),
        ({"Payload": "00" * 243}, AS_KEY, 400),
        ({"Confirmed": "yes"}, AS_KEY, 400),
        ({"FCntDn": "-1"}, AS_KEY, 400),
        ({"DevEUI": "0059AC"}, AS_KEY, 400),
        ({"Payload": None}, AS_KEY, 400),
        ({"DevEUI": "0000000000000001"}, AS_KEY, 404),
    ],
)
async def test_downlink_refused(
    api: Api, changes: dict[str, Any], key: str, status: int
) -> None:
    if isinstance(offset := changes.get("Time"), float):
        changes = changes | {"Time": now_text(timedelta(seconds=offset))}
    reply = await api.downlink(signed(downlink_params(**changes), key))
    assert reply.status == status
    assert isinstance(reply.body, str)
    assert reply.body
    assert api.emulator.downlinks == []


async def test_tampered_and_unsigned_downlinks_are_refused(api: Api) -> None:
    query = signed(downlink_params())
    tampered = query.replace("Payload=00ff", "Payload=00fe")
    assert (await api.downlink(tampered)).status == 403
    upper_token = (
        query[: query.index("&Token=") + 7] + query.split("&Token=")[1].upper()
    )
    assert (await api.downlink(upper_token)).status == 403
    assert (await api.downlink(query.partition("&Token=")[0])).status == 400
    assert (await api.downlink(query)).status == 200


async def test_time_deviation_is_configurable(api: Api) -> None:
    api.emulator.max_time_deviation = 300.0
    params = downlink_params(Time=now_text(timedelta(seconds=-200)))
    assert (await api.downlink(signed(params))).status == 200


# --- uplink push --------------------------------------------------------------


@pytest.fixture
async def application_server(
    aiohttp_server: Any,
) -> tuple[str, list[tuple[str, Any]]]:
    """An application server that records each push's raw query and body."""
    received: list[tuple[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((request.rel_url.raw_query_string, await request.json()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/as", receive)
    server = await aiohttp_server(app)
    return str(server.make_url("/as")), received


@pytest.mark.parametrize("numeric", [False, True])
async def test_push_uplink_control_route(
    api: Api, application_server: tuple[str, list[Any]], numeric: bool
) -> None:
    url, received = application_server
    fcnt = api.emulator.devices["15531"].fcnt_up
    reply = await api.raw(
        "POST",
        f"{api.url}{PUSH_UPLINK_PATH}",
        json={
            "url": url,
            "dev_eui": API_EUI,
            "payload_hex": "0a0b",
            "fport": 5,
            "numeric": numeric,
        },
    )
    assert reply.body["status"] == 200
    assert reply.body["fcnt_up"] == fcnt + 1
    [(query, body)] = received
    fields = body["DevEUI_uplink"]
    assert fields["FCntUp"] == (fcnt + 1 if numeric else str(fcnt + 1))
    assert fields["FPort"] == (5 if numeric else "5")
    assert fields["DevEUI"] == API_EUI.upper()
    assert fields["Lrrs"]["Lrr"][0]["Lrrid"] == fields["Lrrid"]
    plain_query, _, token = query.partition("&Token=")
    expected = hashlib.sha256(
        (
            f"{DEFAULT_CUSTOMER_ID}{API_EUI.upper()}5{fcnt + 1}0a0b"
            f"{unquote(plain_query)}{AS_KEY}"
        ).encode()
    ).hexdigest()
    assert token == expected
    assert [p.partition("=")[0] for p in plain_query.split("&")] == [
        "LrnDevEui",
        "LrnFPort",
        "LrnInfos",
        "AS_ID",
        "Time",
    ]
    assert api.emulator.devices["15531"].fcnt_up == fcnt + 1


async def test_push_uplink_refusals(api: Api) -> None:
    push = f"{api.url}{PUSH_UPLINK_PATH}"
    reply = await api.raw("POST", push, json={"dev_eui": API_EUI})
    assert reply.status == 400
    body = {"url": "http://127.0.0.1:9/", "payload_hex": "00"}
    reply = await api.raw("POST", push, json=body | {"dev_eui": "0" * 16})
    assert reply.status == 404
    reply = await api.raw("POST", push, json=body | {"dev_eui": API_EUI, "as_id": "X"})
    assert reply.status == 400
    reply = await api.raw("POST", push, json=body | {"dev_eui": API_EUI})
    assert reply.status == 502


# --- faults and quota ---------------------------------------------------------


async def test_quota_headers(api: Api) -> None:
    reply = await api.call("GET", "/deviceHealthStatistics")
    assert reply.headers["quota-limit"] == "10000"
    assert int(reply.headers["quota-used"]) == 3


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        (Fault(FaultKind.STATUS, status=503), 503, None),
        (Fault(FaultKind.RATE_LIMIT, retry_after=7), 429, None),
        (Fault(FaultKind.MALFORMED), 200, '{"broken": '),
        (Fault(FaultKind.WRONG_SHAPE, body={"devices": 1}), 200, {"devices": 1}),
        (Fault(FaultKind.LATENCY, delay=0.2), 200, None),
    ],
    ids=["status", "rate_limit", "malformed", "wrong_shape", "latency"],
)
async def test_faults_on_the_device_list(
    api: Api, fault: Fault, status: int, body: Any
) -> None:
    await api.token()
    fault.endpoint = "list_devices"
    api.emulator.faults.add(fault)
    started = time.monotonic()
    reply = await api.call("GET", "/devices")
    assert reply.status == status
    if body is not None:
        assert reply.body == body
    assert "quota-used" in reply.headers
    if fault.kind is FaultKind.RATE_LIMIT:
        assert reply.headers["Retry-After"] == "7"
    if fault.kind is FaultKind.LATENCY:
        assert time.monotonic() - started >= 0.2
        assert len(reply.body) == 4
    assert (await api.call("GET", "/deviceAlarms")).status == 200


async def test_timeout_fault_outlasts_the_client(api: Api) -> None:
    await api.token()
    api.emulator.faults.add(
        Fault(FaultKind.TIMEOUT, endpoint="health_statistics", delay=1, times=1)
    )
    with pytest.raises(TimeoutError):
        await api.call(
            "GET", "/deviceHealthStatistics", timeout=aiohttp.ClientTimeout(total=0.2)
        )


async def test_disconnect_fault_on_the_lrc(api: Api) -> None:
    api.emulator.faults.add(
        Fault(FaultKind.DISCONNECT, endpoint="lrc_downlink", times=1)
    )
    with pytest.raises(aiohttp.ClientError):
        await api.downlink(signed(downlink_params()))
    assert (await api.downlink(signed(downlink_params()))).status == 200
    assert len(api.emulator.requests_to("lrc_downlink")) == 2


# --- routing profiles push, demo sensors ----------------------------------------


async def test_uplink_goes_to_the_routing_profile_of_the_device(
    api: Api, application_server: tuple[str, list[tuple[str, Any]]]
) -> None:
    """Without a URL, ThingPark pushes to the device's profile, signed by its route."""
    url, received = application_server
    new_key = "00112233445566778899aabbccddeeff"
    route = {"asId": "HA-AS", "asKey": new_key, "addresses": [url]}
    body = {"name": "ha", "hsmGroupId": "HSM_KPN-OPE.1", "routes": [route]}
    profile = (await api.call("POST", "/routingProfiles", json=body)).body
    attach = await api.raw(
        "POST",
        f"{api.url}{ATTACH_PATH}",
        json={"dev_eui": API_EUI, "routing_profile_id": profile["id"]},
    )
    assert attach.body["routingProfileId"] == profile["id"]

    reply = await api.raw(
        "POST",
        f"{api.url}{PUSH_UPLINK_PATH}",
        json={"dev_eui": API_EUI, "payload_hex": "0167", "fport": 3},
    )

    assert reply.body["statuses"] == [200]
    [(query, uplink)] = received
    plain_query, _, token = query.partition("&Token=")
    assert "AS_ID=HA-AS" in plain_query
    fcnt = reply.body["fcnt_up"]
    assert (
        token
        == hashlib.sha256(
            (
                f"{DEFAULT_CUSTOMER_ID}{API_EUI.upper()}3{fcnt}0167"
                f"{unquote(plain_query)}{new_key}"
            ).encode()
        ).hexdigest()
    )
    assert uplink["DevEUI_uplink"]["payload_hex"] == "0167"


async def test_attach_refuses_unknown(api: Api) -> None:
    unknown_profile = await api.raw(
        "POST",
        f"{api.url}{ATTACH_PATH}",
        json={"dev_eui": API_EUI, "routing_profile_id": "TWA_1.1"},
    )
    unknown_device = await api.raw(
        "POST",
        f"{api.url}{ATTACH_PATH}",
        json={"dev_eui": "0000000000000000", "routing_profile_id": "TWA_1.1"},
    )
    assert (unknown_profile.status, unknown_device.status) == (404, 404)


async def test_push_without_url_needs_an_address(api: Api) -> None:
    """The seeded profile points at the document's example host, unreachable here."""
    api.emulator.routing_profiles[0]["routes"][0]["addresses"] = []
    reply = await api.raw(
        "POST",
        f"{api.url}{PUSH_UPLINK_PATH}",
        json={"dev_eui": API_EUI, "payload_hex": "00"},
    )
    assert reply.status == 409


async def test_demo_sensors_send_realistic_payloads(
    api: Api, application_server: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = application_server
    sensors_url = f"{api.url}{SENSORS_PATH}"
    listed = (await api.raw("POST", sensors_url)).body
    again = (await api.raw("POST", sensors_url)).body
    assert listed == again
    assert [s["dev_eui"] for s in listed] == [eui for eui, _, _ in DEMO_SENSORS]
    devices = (await api.call("GET", "/devices")).body
    assert {eui for eui, _, _ in DEMO_SENSORS} <= {d["EUI"] for d in devices}

    frames = {}
    for eui, _, kind in DEMO_SENSORS:
        reply = await api.raw(
            "POST", f"{api.url}{PUSH_UPLINK_PATH}", json={"url": url, "dev_eui": eui}
        )
        assert reply.body["status"] == 200
        frames[kind] = bytes.fromhex(reply.body["payload_hex"])

    climate = frames["climate"]
    assert (climate[0:2], climate[4:6], climate[7:9]) == (
        b"\x01\x67",
        b"\x02\x68",
        b"\x03\x78",
    )
    assert 15.0 < int.from_bytes(climate[2:4], "big", signed=True) / 10 < 30.0
    assert len(climate) == 10
    tracker = frames["tracker"]
    assert tracker[:2] == b"\x01\x88"
    assert len(tracker) == 11
    latitude = int.from_bytes(tracker[2:5], "big", signed=True) / 10_000
    longitude = int.from_bytes(tracker[5:8], "big", signed=True) / 10_000
    assert abs(latitude - 52.0907) < 0.01
    assert abs(longitude - 5.1214) < 0.01
    assert frames["door"] == b"\x01\x00\x01"
    driver = received[-1][1]["DevEUI_uplink"]
    assert driver["FPort"] == "2"
    assert driver["points"]["temperature"]["unitId"] == "Cel"
    assert driver["payload"]["temperature"] == driver["points"]["temperature"]["record"]
    assert int.from_bytes(frames["driver"][:2], "big", signed=True) == round(
        driver["payload"]["temperature"] * 100
    )

    reply = await api.raw(
        "POST",
        f"{api.url}{PUSH_UPLINK_PATH}",
        json={"url": url, "dev_eui": DEMO_SENSORS[2][0]},
    )
    assert reply.body["payload_hex"] == "010000"  # the door toggles


async def test_push_needs_payload_for_other_devices(api: Api) -> None:
    reply = await api.raw(
        "POST", f"{api.url}{PUSH_UPLINK_PATH}", json={"dev_eui": API_EUI}
    )
    assert reply.status == 400


# Published Cayenne LPP examples (the format's reference document).
@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (
            cayenne(3, TEMPERATURE, 27.2) + cayenne(5, TEMPERATURE, 25.5),
            "03670110056700ff",
        ),
        (cayenne(1, TEMPERATURE, -4.1), "0167ffd7"),
        (cayenne_gps(1, 42.3519, -87.9094, 10), "018806765ff2960a0003e8"),
        (cayenne(2, HUMIDITY, 50.5), "026865"),
        (cayenne(1, DIGITAL_INPUT, 1), "010001"),
        (cayenne(3, PERCENTAGE, 97), "037861"),
    ],
)
def test_cayenne_encoder(encoded: bytes, expected: str) -> None:
    assert encoded.hex() == expected


def unwrap(wrapped_hex: str, as_key_hex: str) -> bytes:
    """Unwrap an AppSKey as Actility's reference code does (AES-CBC, zero IV)."""
    aes = Cipher(algorithms.AES(bytes.fromhex(as_key_hex)), modes.CBC(bytes(16)))
    decryptor = aes.decryptor()
    return decryptor.update(bytes.fromhex(wrapped_hex)) + decryptor.finalize()


def test_lorawan_crypto_matches_published_vectors() -> None:
    """Actility's published tunnel-interface vectors: key unwrap and a payload."""
    assert (
        wrap_session_key(
            bytes.fromhex("b0ad83c614043c76c434d460b48b90b4"),
            bytes.fromhex("98CC5DDD614FF2DF44FD09CA9F52CDBA"),
        )
        == "DFE758AFD5FD4DD8A64BE063373AF6C8".lower()
    )
    app_s_key = unwrap(
        "439d42627c5afe3d4d536340646621a2", "dbfb0939c448ff1fbf84e84d6ac8ce98"
    )
    encrypted = bytes.fromhex("afac18845bbe3771708042")
    assert lorawan_encrypt(encrypted, app_s_key, "05947ED0", 1) == b"32.5C/90.5F"


async def test_profile_with_rsa_key_gets_encrypted_payloads(
    api: Api, application_server: tuple[str, list[tuple[str, Any]]]
) -> None:
    """An ASK profile's uplinks carry ciphertext and the AppSKey wrapped with the ASK."""
    url, received = application_server
    route = {"asId": "ENC-AS", "asKey": AS_KEY.replace("6", "7"), "addresses": [url]}
    body = {
        "name": "encrypted",
        "hsmGroupId": "HSM_KPN-OPE.1",
        "rsaPublicKey": example("routing_profile_request")["rsaPublicKey"],
        "routes": [route],
    }
    profile = (await api.call("POST", "/routingProfiles", json=body)).body
    await api.raw(
        "POST",
        f"{api.url}{ATTACH_PATH}",
        json={"dev_eui": API_EUI, "routing_profile_id": profile["id"]},
    )

    reply = await api.raw(
        "POST",
        f"{api.url}{PUSH_UPLINK_PATH}",
        json={"dev_eui": API_EUI, "payload_hex": "0167010f"},
    )

    assert reply.body["statuses"] == [200]
    fields = received[-1][1]["DevEUI_uplink"]
    assert fields["payload_hex"] != "0167010f"
    ask = api.emulator.application_server_keys[profile["id"]]
    app_s_key = unwrap(fields["AppSKey"], ask)
    plain = lorawan_encrypt(
        bytes.fromhex(fields["payload_hex"]),
        app_s_key,
        fields["DevAddr"],
        int(fields["FCntUp"]),
    )
    assert plain.hex() == "0167010f"
