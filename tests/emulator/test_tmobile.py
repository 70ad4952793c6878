"""The T-Mobile emulator serves the guide's endpoints, examples and pushes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
import uuid

import aiohttp
from aiohttp import web
import pytest

from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.management_api import TOP_UP_VOLUME_MB, split_sms
from iot_emulator.tmobile import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    TMobileEmulator,
    push_delivery_report,
    push_sms_mo,
)

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
SIM = f"/management-api/v1/sims/{ICCID}"
BASIC = aiohttp.encode_basic_auth(DEFAULT_USERNAME, DEFAULT_PASSWORD)
FORM = {"grant_type": "client_credentials"}

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("tmobile_easy_connect", name)


class Api:
    """Requests to one running T-Mobile emulator, with a fresh token."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, emulator: TMobileEmulator
    ) -> None:
        self.session = session
        self.url = url
        self.emulator = emulator
        self.token: str | None = None

    async def raw(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        async with self.session.request(method, f"{self.url}{path}", **kwargs) as resp:
            text = await resp.text()
            body = await resp.json() if text else None
            return resp.status, body, dict(resp.headers)

    async def login(self) -> Any:
        status, answer, _ = await self.raw(
            "POST",
            "/management-api/oauth/token",
            data=FORM,
            headers={"Authorization": BASIC},
        )
        assert status == 200
        self.token = answer["access_token"]
        return answer

    async def call(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if self.token is None:
            await self.login()
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.raw(method, path, headers=headers, **kwargs)


@pytest.fixture
def tmobile(emulator: EmulatorServer) -> TMobileEmulator:
    return emulator.tmobile


@pytest.fixture
def api(emulator: EmulatorServer, http_session: aiohttp.ClientSession) -> Api:
    return Api(http_session, emulator.url("tmobile_easy_connect"), emulator.tmobile)


@pytest.fixture
async def receiver(aiohttp_raw_server) -> tuple[str, list[tuple[str, Any]]]:
    """A customer endpoint: its URL and the (method, JSON) requests it got."""
    received: list[tuple[str, Any]] = []

    async def handle(request: web.BaseRequest) -> web.Response:
        received.append((request.method, await request.json()))
        return web.Response(status=204)

    server = await aiohttp_raw_server(handle)
    return str(server.make_url("/hook")), received


# --- token -----------------------------------------------------------------


async def test_token_answer_has_the_documents_shape(api: Api) -> None:
    answer = await api.login()
    assert answer.keys() == example("token_response").keys()
    assert uuid.UUID(answer["access_token"])
    assert answer["token_type"] == "bearer"
    assert answer["expires_in"] == 3599
    assert answer["scope"] == "all"
    assert (answer["userId"], answer["orgId"]) == (1001, 4321)
    sent = api.emulator.requests_to("token")[0]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("headers", "form", "status"),
    [
        (
            {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USERNAME, "x")},
            FORM,
            401,
        ),
        ({"Authorization": aiohttp.encode_basic_auth("nobody", "x")}, FORM, 401),
        ({}, FORM, 401),
        ({"Authorization": "Basic !!!"}, FORM, 401),
        ({"Authorization": BASIC}, {"grant_type": "password"}, 400),
        ({"Authorization": BASIC}, {}, 400),
    ],
)
async def test_token_refusals(
    api: Api, headers: dict[str, str], form: dict[str, str], status: int
) -> None:
    code, body, _ = await api.raw(
        "POST", "/management-api/oauth/token", data=form, headers=headers
    )
    assert code == status
    assert body["message"]


async def test_token_lifetime_is_configurable(
    api: Api, tmobile: TMobileEmulator
) -> None:
    tmobile.tokens.lifetime = 42
    assert (await api.login())["expires_in"] == 42


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc", "Bearer "])
async def test_api_refuses_missing_or_unknown_tokens(
    api: Api, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    status, _, _ = await api.raw("GET", "/management-api/v1/sims", headers=headers)
    assert status == 401


@pytest.mark.parametrize("end", ["expire_all", "revoke_all"])
async def test_expired_and_revoked_tokens_are_refused(
    api: Api, tmobile: TMobileEmulator, end: str
) -> None:
    assert (await api.call("GET", SIM))[0] == 200
    getattr(tmobile.tokens, end)()
    assert (await api.call("GET", SIM))[0] == 401


# --- SIMs and paging -------------------------------------------------------


async def test_seeded_sim_is_the_example_record(api: Api) -> None:
    status, body, _ = await api.call("GET", SIM)
    assert (status, body) == (200, example("sim"))


async def test_unknown_sim_is_not_found(api: Api) -> None:
    for path in ("", "/quota/data", "/usage", "/sms", "/topup"):
        method = "POST" if path == "/topup" else "GET"
        status, body, _ = await api.call(method, f"/management-api/v1/sims/1{path}")
        assert (status, body) == (404, {"message": "SIM not found."})


async def test_list_pages_with_headers(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.generate(250)
    seen: list[str] = []
    for page, size in ((1, 100), (2, 100), (3, 51)):
        status, body, headers = await api.call(
            "GET", "/management-api/v1/sims", params={"page": page, "pageSize": 100}
        )
        assert status == 200
        assert len(body) == size
        assert headers["X-Total-Count"] == "251"
        assert headers["X-Total-Pages"] == "3"
        assert headers["X-Current-Page"] == str(page)
        assert headers["X-Count-Per-Page"] == "100"
        seen += [sim["iccid"] for sim in body]
    assert len(set(seen)) == 251
    assert seen[0] == ICCID
    _, beyond, headers = await api.call(
        "GET", "/management-api/v1/sims", params={"page": 4, "pageSize": 100}
    )
    assert beyond == []
    assert headers["X-Current-Page"] == "4"
    _, default, headers = await api.call("GET", "/management-api/v1/sims")
    assert (len(default), headers["X-Count-Per-Page"]) == (10, "10")


@pytest.mark.parametrize(
    "params", [{"pageSize": "101"}, {"pageSize": "0"}, {"page": "0"}, {"page": "x"}]
)
async def test_list_refuses_bad_paging(api: Api, params: dict[str, str]) -> None:
    status, _, _ = await api.call("GET", "/management-api/v1/sims", params=params)
    assert status == 400


def test_generated_sims_are_deterministic() -> None:
    first, again = (
        TMobileEmulator(generated=5, seed=3),
        TMobileEmulator(generated=5, seed=3),
    )
    other = TMobileEmulator(generated=5, seed=4)
    records = [sim.record for sim in first.sims.values()]
    assert len(records) == 6
    assert records == [sim.record for sim in again.sims.values()]
    assert records != [sim.record for sim in other.sims.values()]
    assert {
        sim.record["status"] for sim in TMobileEmulator(generated=40).sims.values()
    } == {
        "Enabled",
        "Disabled",
    }


async def test_put_changes_status_and_label(api: Api, tmobile: TMobileEmulator) -> None:
    body = {"iccid": ICCID, "label": "Moved", "imei_lock": True, "status": "Disabled"}
    status, answer, _ = await api.call("PUT", SIM, json=body)
    assert (status, answer) == (200, None)
    _, sim, _ = await api.call("GET", SIM)
    assert (sim["label"], sim["imei_lock"], sim["status"]) == (
        "Moved",
        True,
        "Disabled",
    )
    assert tmobile.sims[ICCID].subscriber_info["state"] == "OFFLINE"
    _, events, _ = await api.call("GET", f"{SIM}/events", params={"pageSize": 1000})
    assert events["events"][-1]["event_type"] == (
        "Status of SIM changed from 'Enabled' to 'Disabled'"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"iccid": "1", "status": "Enabled"},
        {"iccid": ICCID, "status": "Active"},
        {"iccid": ICCID},
        {"status": "Enabled"},
        {"iccid": ICCID, "status": "Enabled", "imei_lock": "yes"},
        {"iccid": ICCID, "status": "Enabled", "label": 5},
        ["not", "an", "object"],
    ],
)
async def test_put_refuses_invalid_bodies(api: Api, body: Any) -> None:
    assert (await api.call("PUT", SIM, json=body))[0] == 400


async def test_put_refuses_malformed_json(api: Api) -> None:
    assert (await api.call("PUT", SIM, data=b"{"))[0] == 400


async def test_bulk_update(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.generate(1)
    other = list(tmobile.sims)[1]
    body = [
        {"iccid": ICCID, "status": "Disabled"},
        {"iccid": other, "status": "Enabled", "label": "Bulk"},
    ]
    assert (await api.call("POST", "/management-api/v1/sims", json=body))[0] == 201
    assert tmobile.sims[ICCID].record["status"] == "Disabled"
    assert tmobile.sims[other].record["label"] == "Bulk"
    unknown = [{"iccid": "1", "status": "Enabled"}]
    assert (await api.call("POST", "/management-api/v1/sims", json=unknown))[0] == 404
    assert (await api.call("POST", "/management-api/v1/sims", json=[]))[0] == 400


# --- quota, usage, connectivity, events -------------------------------------


async def test_quotas_are_the_examples(api: Api) -> None:
    assert (await api.call("GET", f"{SIM}/quota/data"))[1] == example("quota_data")
    assert (await api.call("GET", f"{SIM}/quota/sms"))[1] == example("quota_sms")


async def test_usage_serves_the_example_days(api: Api) -> None:
    params = {"start_dt": "2025-06-01", "end_dt": "2025-06-30"}
    status, body, _ = await api.call("GET", f"{SIM}/usage", params=params)
    assert (status, body) == (200, example("usage"))
    one_day = {"start_dt": "2025-06-02", "end_dt": "2025-06-02"}
    _, body, _ = await api.call("GET", f"{SIM}/usage", params=one_day)
    assert body == {"stats": example("usage")["stats"][1:]}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start_dt": "2025-06-01"},
        {"start_dt": "2025-06-31", "end_dt": "2025-07-01"},
        {"start_dt": "2025-06-02", "end_dt": "2025-06-01"},
    ],
)
async def test_usage_refuses_bad_dates(api: Api, params: dict[str, str]) -> None:
    assert (await api.call("GET", f"{SIM}/usage", params=params))[0] == 400


async def test_tick_grows_usage_and_spends_quota(
    api: Api, tmobile: TMobileEmulator
) -> None:
    sim = tmobile.sims[ICCID]
    before = sim.quota_data["volume"]
    tmobile.tick(3600)
    today = datetime.now(UTC).date().isoformat()
    _, body, _ = await api.call(
        "GET", f"{SIM}/usage", params={"start_dt": today, "end_dt": today}
    )
    [day] = body["stats"]
    assert day["date"] == f"{today}T00:00:00.000Z"
    assert float(day["data"]["volume"]) == pytest.approx(2.0)
    assert day["data"]["volume"] == "2.000000"
    assert sim.quota_data["volume"] == pytest.approx(before - 2.0)


async def test_exhausted_quota_stops_usage(tmobile: TMobileEmulator) -> None:
    sim = tmobile.sims[ICCID]
    sim.quota_data["volume"] = 1.0
    tmobile.tick(7200)
    assert sim.quota_data["volume"] == 0
    assert sim.quota_data["quota_status"] == {"id": 2, "description": "Quota exhausted"}
    assert sim.record["quota_status"]["id"] == 2
    assert sim.today().data_rx_mb + sim.today().data_tx_mb == pytest.approx(1.0)


async def test_connectivity_info(api: Api) -> None:
    status, body, _ = await api.call("GET", f"{SIM}/connectivity_info")
    assert status == 200
    assert body["subscriber_info"] == example("connectivity_info")["subscriber_info"]
    assert "ussd_info" not in body
    assert datetime.fromisoformat(body["reply_timestamp"]).tzinfo is not None
    _, body, _ = await api.call(
        "GET",
        f"{SIM}/connectivity_info",
        params={"ussd": "true", "subscriber": "false"},
    )
    assert body["ussd_info"] == example("connectivity_info")["ussd_info"]
    assert "subscriber_info" not in body
    status, _, _ = await api.call(
        "GET", f"{SIM}/connectivity_info", params={"ussd": "1"}
    )
    assert status == 400


async def test_reset_detaches_until_the_next_tick(
    api: Api, tmobile: TMobileEmulator
) -> None:
    status, body, _ = await api.call("POST", f"{SIM}/reset")
    assert (status, body) == (201, None)
    _, info, _ = await api.call("GET", f"{SIM}/connectivity_info")
    assert info["subscriber_info"] == {"success": True, "state": "OFFLINE"}
    tmobile.tick(1)
    _, info, _ = await api.call("GET", f"{SIM}/connectivity_info")
    assert info["subscriber_info"]["state"] == "ATTACHED"


async def test_events_page(api: Api) -> None:
    status, body, headers = await api.call("GET", f"{SIM}/events")
    assert (status, body) == (200, example("events"))
    assert headers["X-Total-Count"] == "2"
    _, body, headers = await api.call(
        "GET", f"{SIM}/events", params={"page": 2, "pageSize": 1}
    )
    assert body == {
        "events": example("events")["events"][1:],
        "totalEvents": 2,
        "totalPages": 2,
    }
    assert (headers["X-Total-Pages"], headers["X-Current-Page"]) == ("2", "2")
    status, _, _ = await api.call("GET", f"{SIM}/events", params={"pageSize": 1001})
    assert status == 400


# --- SMS ---------------------------------------------------------------------


async def test_send_sms_records_it(api: Api, tmobile: TMobileEmulator) -> None:
    status, body, headers = await api.call(
        "POST", f"{SIM}/sms", json=example("sms_mt_request")
    )
    assert (status, body) == (201, None)
    sms_id = int(headers["Location"].rsplit("/", 1)[1])
    assert headers["Location"] == f"{api.url}{SIM}/sms/{sms_id}"
    _, record, _ = await api.call("GET", f"{SIM}/sms/{sms_id}")
    assert record["payload"] == "message text"
    assert record["source_address"] == "898822806770xxx"
    assert record["sms_type"] == {"id": 1, "description": "MT"}
    assert record["status"] == {"id": 2, "description": "BUFFERED"}
    assert record["dcs"] == 0
    _, listed, headers = await api.call("GET", f"{SIM}/sms")
    assert listed == [record]
    assert headers["X-Total-Count"] == "1"
    assert tmobile.sims[ICCID].today().sms_mt == 1


async def test_cancel_sms(api: Api, tmobile: TMobileEmulator) -> None:
    _, _, headers = await api.call("POST", f"{SIM}/sms", json={"payload": "x"})
    path = headers["Location"].removeprefix(api.url)
    assert (await api.call("DELETE", path))[0] == 204
    assert (await api.call("GET", path))[0] == 404
    assert (await api.call("DELETE", path))[0] == 404
    _, _, headers = await api.call("POST", f"{SIM}/sms", json={"payload": "y"})
    delivered = headers["Location"].removeprefix(api.url)
    tmobile.deliver_sms(int(delivered.rsplit("/", 1)[1]))
    assert (await api.call("DELETE", delivered))[0] == 400
    assert (await api.call("GET", f"{SIM}/sms/abc"))[0] == 404


@pytest.mark.parametrize(
    "body",
    [
        {"payload": ""},
        {"source_address": "1"},
        {"payload": "x", "dcs": 5},
        {"payload": "x", "dcs": True},
        {"payload": "x", "udh": "05000"},
        {"payload": "x", "udh": "zz"},
        "text",
    ],
)
async def test_send_sms_refuses_invalid_bodies(api: Api, body: Any) -> None:
    assert (await api.call("POST", f"{SIM}/sms", json=body))[0] == 400


@pytest.mark.parametrize("dcs", [0, 4, 8])
async def test_send_sms_takes_each_dcs(api: Api, dcs: int) -> None:
    body = {"payload": "x", "dcs": dcs, "udh": "050003CC0301"}
    assert (await api.call("POST", f"{SIM}/sms", json=body))[0] == 201


# --- top-up ------------------------------------------------------------------


async def test_top_up_adds_the_package(api: Api, tmobile: TMobileEmulator) -> None:
    status, body, headers = await api.call("POST", f"{SIM}/topup")
    assert (status, body) == (201, None)
    assert headers["Location"] == f"{api.url}/management-api/v1/orders/1234"
    quota = tmobile.sims[ICCID].quota_data
    assert quota["volume"] == pytest.approx(435.787951 + TOP_UP_VOLUME_MB)
    assert (quota["total_volume"], quota["last_volume_added"]) == (1000, 500)
    assert tmobile.sims[ICCID].record["current_quota"] == 1000
    assert tmobile.top_ups[0].iccids == (ICCID,)
    assert tmobile.top_ups[0].payment_method == "banktransfer"


async def test_top_up_refuses_unknown_payment_method(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", f"{SIM}/topup", params={"payment_method": "cash"}
    )
    assert (status, body) == (400, {"message": "Payment method used is not valid."})


async def test_bulk_top_up(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.generate(2)
    iccids = list(tmobile.sims)[1:]
    status, _, headers = await api.call(
        "POST",
        "/management-api/v1/sims/topup",
        json=iccids,
        params={"payment_method": "monthlyinvoice"},
    )
    assert status == 201
    assert headers["Location"].endswith("/management-api/v1/orders/1234")
    assert tmobile.top_ups[0].iccids == tuple(iccids)
    for path, body, code in (
        ("/management-api/v1/sims/topup", ["1"], 404),
        ("/management-api/v1/sims/topup", [], 400),
        ("/management-api/v1/sims/topup", {"iccids": iccids}, 400),
        ("/management-api/v1/sims/topup", [1], 400),
    ):
        assert (await api.call("POST", path, json=body))[0] == code


# --- pushes ------------------------------------------------------------------


async def test_push_sms_mo_sends_the_documents_payload(
    http_session: aiohttp.ClientSession, receiver: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = receiver
    [result] = await push_sms_mo(
        http_session,
        url,
        iccid="898828066600000xxx",
        text="message text",
        sms_id=6202,
        source_address="882285100000xxx",
        submitted_at=datetime(2018, 8, 17, 16, 31, 51, tzinfo=UTC),
    )
    assert result.payload == example("sms_mo")
    assert result.status == 204
    assert received == [("POST", example("sms_mo"))]


def test_split_sms() -> None:
    assert split_sms("a" * 160) == ["a" * 160]
    assert split_sms("a" * 161) == ["a" * 153, "a" * 8]
    assert split_sms("") == [""]


async def test_push_sms_mo_splits_long_text(
    http_session: aiohttp.ClientSession, receiver: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = receiver
    text = "x" * 200
    results = await push_sms_mo(http_session, url, iccid=ICCID, text=text, sms_id=7)
    assert [r.payload["multi_part_info"] for r in results] == [
        {"partno": 1, "total": 2, "identifier": "7"},
        {"partno": 2, "total": 2, "identifier": "7"},
    ]
    assert [r.payload["id"] for r in results] == ["7", "8"]
    assert "".join(payload["payload"] for _, payload in received) == text
    assert "source_address" not in results[0].payload


async def test_push_delivery_report_sends_the_documents_payload(
    http_session: aiohttp.ClientSession, receiver: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = receiver
    result = await push_delivery_report(
        http_session,
        url,
        sms_id=6206,
        iccid="8988280666000000xxx",
        submitted_at=datetime(2018, 8, 17, 16, 46, 48, tzinfo=UTC),
        final_at=datetime(2018, 8, 17, 16, 46, 52, tzinfo=UTC),
    )
    assert result.payload == example("delivery_report")
    assert received == [("PATCH", example("delivery_report"))]


async def test_control_push_sms_mo_records_it(
    api: Api, tmobile: TMobileEmulator, receiver: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = receiver
    status, body, _ = await api.raw(
        "POST",
        "/_emulator/push/sms-mo",
        json={"url": url, "iccid": ICCID, "text": "hello"},
    )
    assert status == 200
    [push] = body["pushes"]
    assert push["status"] == 204
    payload = push["payload"]
    assert received == [("POST", payload)]
    assert payload["endpoint"] == {"id": "8765432", "name": ICCID}
    assert payload["source_address"] == "882285100001234"
    assert payload["organisation"] == {"id": "4321"}
    record = tmobile.sims[ICCID].sms[int(payload["id"])]
    assert (record["payload"], record["sms_type"]["description"]) == ("hello", "MO")
    assert tmobile.sims[ICCID].today().sms_mo == 1
    assert api.emulator.requests == []


async def test_control_delivery_report_follows_a_sent_sms(
    api: Api, tmobile: TMobileEmulator, receiver: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = receiver
    _, _, headers = await api.call("POST", f"{SIM}/sms", json={"payload": "hi"})
    sms_id = headers["Location"].rsplit("/", 1)[1]
    status, body, _ = await api.raw(
        "POST", "/_emulator/push/delivery-report", json={"url": url, "sms_id": sms_id}
    )
    assert status == 200
    [(method, report)] = received
    assert method == "PATCH"
    assert body["pushes"][0]["payload"] == report
    assert report["id"] == sms_id
    assert report["status"] == {"status": "DELIVERED", "id": "4"}
    assert report["endpoint"]["name"] == ICCID
    record = tmobile.sims[ICCID].sms[int(sms_id)]
    assert record["status"] == {"id": 4, "description": "DELIVERED"}
    assert record["final_date"] == record["delivery_date"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_emulator/push/delivery-report", {"url": "http://x", "sms_id": 999}, 404),
        ("/_emulator/push/delivery-report", {"url": "http://x", "sms_id": "a"}, 404),
        ("/_emulator/push/delivery-report", {"sms_id": 1}, 400),
        (
            "/_emulator/push/sms-mo",
            {"url": "ftp://x", "iccid": ICCID, "text": "a"},
            400,
        ),
        ("/_emulator/push/sms-mo", {"url": "http://x", "iccid": "1", "text": "a"}, 404),
        ("/_emulator/push/sms-mo", {"url": "http://x", "iccid": ICCID}, 400),
    ],
)
async def test_control_push_refusals(
    api: Api, path: str, body: dict[str, Any], status: int
) -> None:
    assert (await api.raw("POST", path, json=body))[0] == status


async def test_control_push_to_an_unreachable_receiver(
    api: Api, unused_tcp_port: int
) -> None:
    status, body, _ = await api.raw(
        "POST",
        "/_emulator/push/sms-mo",
        json={
            "url": f"http://127.0.0.1:{unused_tcp_port}/",
            "iccid": ICCID,
            "text": "a",
        },
    )
    assert status == 502
    assert body["message"].startswith("Push failed")


# --- routes and faults -------------------------------------------------------


async def test_fault_status_and_recovery(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.faults.add(Fault(FaultKind.STATUS, endpoint="get_sim", status=503, times=1))
    assert (await api.call("GET", SIM))[0] == 503
    assert (await api.call("GET", SIM))[0] == 200


async def test_fault_rate_limit(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.faults.add(
        Fault(FaultKind.RATE_LIMIT, endpoint="list_sims", retry_after=30)
    )
    status, body, _ = await api.call("GET", "/management-api/v1/sims")
    assert (status, body["message"]) == (429, "Too many requests")


async def test_fault_malformed_and_wrong_shape(
    api: Api, tmobile: TMobileEmulator
) -> None:
    tmobile.faults.add(Fault(FaultKind.MALFORMED, endpoint="quota_data", times=1))
    async with api.session.get(
        f"{api.url}{SIM}/quota/data",
        headers={"Authorization": f"Bearer {(await api.login())['access_token']}"},
    ) as resp:
        assert await resp.text() == '{"broken": '
    tmobile.faults.add(
        Fault(FaultKind.WRONG_SHAPE, endpoint="usage", body=[1], times=1)
    )
    assert (await api.call("GET", f"{SIM}/usage"))[1] == [1]


async def test_fault_latency(api: Api, tmobile: TMobileEmulator) -> None:
    tmobile.faults.add(Fault(FaultKind.LATENCY, endpoint="events", delay=0.2, times=1))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await api.call("GET", f"{SIM}/events"))[0] == 200
    assert loop.time() - started >= 0.2


async def test_fault_timeout(api: Api, tmobile: TMobileEmulator) -> None:
    await api.login()
    tmobile.faults.add(Fault(FaultKind.TIMEOUT, endpoint="get_sim", delay=2))
    with pytest.raises(TimeoutError):
        await api.call("GET", SIM, timeout=aiohttp.ClientTimeout(total=0.3))


async def test_fault_disconnect(api: Api, tmobile: TMobileEmulator) -> None:
    await api.login()
    tmobile.faults.add(Fault(FaultKind.DISCONNECT, endpoint="send_sms"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("POST", f"{SIM}/sms", json={"payload": "x"})
    assert tmobile.sims[ICCID].sms == {}


# --- control: a SIM moved to another device --------------------------------


async def test_move_sim_changes_the_reported_imei(api: Api) -> None:
    status, _, _ = await api.raw(
        "POST", "/_emulator/move-sim", json={"iccid": ICCID, "imei": "353456789012348"}
    )
    assert status == 200
    _, sim, _ = await api.call("GET", f"/management-api/v1/sims/{ICCID}")
    assert sim["imei"] == "353456789012348"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"iccid": "404", "imei": "353456789012348"}, 404),
        ({"iccid": ICCID}, 400),
        (["not", "an", "object"], 400),
    ],
)
async def test_move_sim_refusals(api: Api, body: Any, expected: int) -> None:
    status, _, _ = await api.raw("POST", "/_emulator/move-sim", json=body)
    assert status == expected
