"""The Infobip emulator serves the document's endpoints and examples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.infobip import (
    DEFAULT_API_KEY,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    InfobipEmulator,
)

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

ACTIVATION_READY = "8981100022152967705"
ACTIVE = "8981100022152967721"
BASIC = aiohttp.encode_basic_auth(DEFAULT_USERNAME, DEFAULT_PASSWORD)
APP_KEY = f"App {DEFAULT_API_KEY}"


def example(name: str) -> Any:
    return load_example("infobip_iot", name)


class Api:
    """Requests to one running Infobip emulator."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, emulator: InfobipEmulator
    ) -> None:
        self.session = session
        self.url = url
        self.emulator = emulator

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: str | None = BASIC,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": auth} if auth is not None else {}
        async with self.session.request(
            method,
            f"{self.url}{path}",
            headers=headers,
            json=json,
            params=params,
        ) as resp:
            text = await resp.text()
            return resp.status, (await resp.json() if text else None)


@pytest.fixture
def api(emulator: EmulatorServer, http_session: aiohttp.ClientSession) -> Api:
    return Api(http_session, emulator.url("infobip_iot"), emulator.infobip)


@pytest.fixture
async def generated_api(aiohttp_server, http_session: aiohttp.ClientSession) -> Api:
    emulator = InfobipEmulator(generated=45, seed=7)
    server = await aiohttp_server(emulator.make_app())
    return Api(http_session, str(server.make_url("")).rstrip("/"), emulator)


async def test_examples_served_verbatim(api: Api) -> None:
    assert await api.call("GET", "/iot/2/sims", params={"limit": "2"}) == (
        200,
        example("sims_page"),
    )
    assert await api.call("GET", f"/iot/2/sims/{ACTIVE}") == (200, example("sim"))
    assert await api.call("GET", f"/iot/2/sims/{ACTIVE}/usage") == (
        200,
        example("usage"),
    )
    assert await api.call(
        "GET", "/iot/2/sims/usage/monthly", params={"limit": "2"}
    ) == (200, example("usage_monthly"))


async def test_list_defaults_to_page_one_of_twenty(generated_api: Api) -> None:
    status, body = await generated_api.call("GET", "/iot/2/sims")
    assert status == 200
    assert (body["page"], body["limit"], len(body["sims"])) == (1, 20, 20)
    assert [sim["iccid"] for sim in body["sims"][:2]] == [ACTIVATION_READY, ACTIVE]


@pytest.mark.parametrize(
    ("path", "key"),
    [("/iot/2/sims", "sims"), ("/iot/2/sims/usage/monthly", "usage")],
)
async def test_pages_cover_every_sim_once(generated_api: Api, path: str, key: str):
    seen: list[str] = []
    sizes = []
    for page in (1, 2, 3):
        status, body = await generated_api.call(
            "GET", path, params={"page": str(page), "limit": "20"}
        )
        assert status == 200
        assert body["page"] == page
        sizes.append(len(body[key]))
        seen += [entry["iccid"] for entry in body[key]]
    assert sizes == [20, 20, 7]
    assert sorted(seen) == sorted(generated_api.emulator.sims)
    _, beyond = await generated_api.call("GET", path, params={"page": "4"})
    assert beyond[key] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "101"},
        {"limit": "0"},
        {"limit": "many"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
    ],
)
@pytest.mark.parametrize("path", ["/iot/2/sims", "/iot/2/sims/usage/monthly"])
async def test_bad_paging_is_refused(api: Api, path: str, params: dict[str, str]):
    status, body = await api.call("GET", path, params=params)
    assert status == 400
    assert body["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"


async def test_limit_of_one_hundred_is_allowed(generated_api: Api) -> None:
    status, body = await generated_api.call(
        "GET", "/iot/2/sims", params={"limit": "100"}
    )
    assert status == 200
    assert len(body["sims"]) == 47


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "",
        aiohttp.encode_basic_auth(DEFAULT_USERNAME, "wrong"),
        aiohttp.encode_basic_auth("nobody", DEFAULT_PASSWORD),
        "Basic not-base64!",
        "App wrong-key",
        f"Bearer {DEFAULT_API_KEY}",
        f"App {DEFAULT_API_KEY}x",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/iot/2/sims"),
        ("GET", f"/iot/2/sims/{ACTIVE}"),
        ("PATCH", f"/iot/1/sims/{ACTIVE}"),
        ("PUT", f"/iot/1/sims/{ACTIVE}/status"),
        ("PUT", f"/iot/2/sims/{ACTIVE}/status"),
        ("GET", f"/iot/2/sims/{ACTIVE}/usage"),
        ("GET", "/iot/2/sims/usage/monthly"),
        ("POST", f"/iot/1/sims/{ACTIVE}/sms"),
        ("POST", f"/iot/1/sims/{ACTIVE}/diagnostic"),
    ],
)
async def test_wrong_credentials_are_refused(
    api: Api, method: str, path: str, auth: str | None
) -> None:
    status, body = await api.call(method, path, auth=auth, json={})
    assert status == 401
    assert body["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
    assert api.emulator.actions == []
    assert api.emulator.sent_sms == []


@pytest.mark.parametrize("auth", [BASIC, APP_KEY, f"app  {DEFAULT_API_KEY}"])
async def test_basic_and_api_key_are_accepted(api: Api, auth: str) -> None:
    status, _ = await api.call("GET", "/iot/2/sims", auth=auth)
    assert status == 200


async def test_revoked_credentials_are_refused(api: Api) -> None:
    api.emulator.users.clear()
    api.emulator.api_keys.clear()
    assert (await api.call("GET", "/iot/2/sims"))[0] == 401
    assert (await api.call("GET", "/iot/2/sims", auth=APP_KEY))[0] == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/iot/2/sims/8900000000000000000"),
        ("GET", "/iot/2/sims/8900000000000000000/usage"),
        ("PATCH", "/iot/1/sims/8900000000000000000"),
        ("PUT", "/iot/1/sims/8900000000000000000/status"),
        ("POST", "/iot/1/sims/8900000000000000000/sms"),
        ("POST", "/iot/1/sims/8900000000000000000/diagnostic"),
    ],
)
async def test_unknown_sim_is_not_found(api: Api, method: str, path: str) -> None:
    status, body = await api.call(method, path, json={"name": "x", "text": "x"})
    assert status == 404
    assert body["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"


async def test_rename(api: Api) -> None:
    status, body = await api.call(
        "PATCH", f"/iot/1/sims/{ACTIVE}", json=example("update_name_request")
    )
    assert status == 200
    assert body.keys() == example("update_name_response").keys()
    _, sim = await api.call("GET", f"/iot/2/sims/{ACTIVE}")
    assert sim["name"] == "1st SIM card"
    assert sim["updatedAt"] > example("sim")["updatedAt"]
    action = api.emulator.actions[-1]
    assert (action.action_id, action.kind, action.iccid, action.value) == (
        body["actionId"],
        "name",
        ACTIVE,
        "1st SIM card",
    )


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "  "}, {"name": 5}, ["name"]]
)
async def test_rename_needs_a_name(api: Api, body: Any) -> None:
    assert (await api.call("PATCH", f"/iot/1/sims/{ACTIVE}", json=body))[0] == 400
    assert api.emulator.sims[ACTIVE]["name"] == "1st activated"


async def test_body_must_be_json(api: Api) -> None:
    async with api.session.patch(
        f"{api.url}/iot/1/sims/{ACTIVE}",
        data=b"{",
        headers={"Authorization": BASIC},
    ) as resp:
        assert resp.status == 400
    assert api.emulator.actions == []


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        ("Activation Ready", "Active", 200),
        ("Suspended", "Active", 200),
        ("Active", "Suspended", 200),
        ("Active", "Active", 200),
        ("Suspended", "Suspended", 200),
        ("Activation Ready", "Suspended", 400),
        ("Imported", "Active", 400),
        ("Imported", "Suspended", 400),
        ("Deactivated", "Active", 400),
        ("Deactivated", "Suspended", 400),
    ],
)
async def test_status_transitions(
    api: Api, version: int, start: str, target: str, expected: int
) -> None:
    api.emulator.sims[ACTIVE]["status"] = start
    status, body = await api.call(
        "PUT", f"/iot/{version}/sims/{ACTIVE}/status", json={"status": target}
    )
    assert status == expected
    now = api.emulator.sims[ACTIVE]["status"]
    if expected == 200:
        assert now == target
        assert body.keys() == example("status_response").keys()
        assert api.emulator.actions[-1].action_id == body["actionId"]
    else:
        assert now == start
        assert "cannot become" in body["requestError"]["serviceException"]["text"]
        assert api.emulator.actions == []


@pytest.mark.parametrize(
    "body",
    [
        {"status": "Active/Suspended"},
        {"status": "Deactivated"},
        {"status": "active"},
        {"status": None},
        {},
    ],
)
async def test_status_must_be_active_or_suspended(api: Api, body: Any) -> None:
    status, _ = await api.call("PUT", f"/iot/1/sims/{ACTIVE}/status", json=body)
    assert status == 400
    assert api.emulator.sims[ACTIVE]["status"] == "Active"


async def test_documented_status_request_activates(api: Api) -> None:
    status, _ = await api.call(
        "PUT", f"/iot/1/sims/{ACTIVATION_READY}/status", json=example("status_request")
    )
    assert status == 200
    assert api.emulator.sims[ACTIVATION_READY]["status"] == "Active"


async def test_sms_is_recorded(api: Api) -> None:
    status, body = await api.call(
        "POST", f"/iot/1/sims/{ACTIVE}/sms", json=example("sms_request")
    )
    assert (status, body) == (200, None)
    [sms] = api.emulator.sent_sms
    assert (sms.iccid, sms.text) == (ACTIVE, example("sms_request")["text"])
    _, usage = await api.call("GET", f"/iot/2/sims/{ACTIVE}/usage")
    assert usage["receivedSmsCount"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 160, 200),
        ("€" * 160, 200),
        ("x" * 161, 400),
        ("", 400),
        (" ", 400),
        (None, 400),
    ],
)
async def test_sms_text_limit(api: Api, text: str | None, expected: int) -> None:
    status, _ = await api.call("POST", f"/iot/1/sims/{ACTIVE}/sms", json={"text": text})
    assert status == expected
    assert len(api.emulator.sent_sms) == (1 if expected == 200 else 0)


async def test_sms_to_deactivated_sim_is_refused(api: Api) -> None:
    api.emulator.sims[ACTIVE]["status"] = "Deactivated"
    status, _ = await api.call("POST", f"/iot/1/sims/{ACTIVE}/sms", json={"text": "hi"})
    assert status == 400
    assert api.emulator.sent_sms == []


async def test_diagnostic_returns_a_fresh_action(api: Api) -> None:
    path = f"/iot/1/sims/{ACTIVE}/diagnostic"
    first = await api.call("POST", path)
    second = await api.call("POST", path, auth=APP_KEY)
    assert first[0] == second[0] == 200
    assert first[1].keys() == example("diagnostic_response").keys()
    assert first[1]["actionId"] != second[1]["actionId"]
    assert [a.kind for a in api.emulator.actions] == ["diagnostic", "diagnostic"]


async def test_usage_grows_for_active_sims_only(api: Api) -> None:
    api.emulator.tick(10)
    _, monthly = await api.call(
        "GET", "/iot/2/sims/usage/monthly", params={"limit": "2"}
    )
    used = {entry["iccid"]: entry["usedDataBytes"] for entry in monthly["usage"]}
    assert used[ACTIVE] > example("usage")["usedDataBytes"]
    assert used[ACTIVATION_READY] == 227199488
    assert monthly["usage"][0]["sentSmsCount"] is None


async def test_control_tick_grows_usage(api: Api) -> None:
    async with api.session.post(
        f"{api.url}/_emulator/tick", json={"seconds": 5}
    ) as resp:
        assert resp.status == 200
    assert api.emulator.usage[ACTIVE]["usedDataBytes"] > 27199488


async def test_usage_of_never_used_sim_starts_from_null() -> None:
    emulator = InfobipEmulator(generated=45, seed=7)
    unused = next(i for i, u in emulator.usage.items() if u["usedDataBytes"] is None)
    emulator.sims[unused]["status"] = "Active"
    emulator.tick(1)
    assert emulator.usage[unused]["usedDataBytes"] == emulator.data_rates[unused]


def test_generated_sims_are_deterministic_and_plausible() -> None:
    first = InfobipEmulator(generated=45, seed=3)
    again = InfobipEmulator(generated=45, seed=3)
    other = InfobipEmulator(generated=45, seed=4)
    assert first.control_state() == again.control_state()
    assert first.control_state() != other.control_state()
    assert len(first.sims) == len(first.usage) == 47
    statuses = {sim["status"] for sim in first.sims.values()}
    assert statuses <= {
        "Imported",
        "Activation Ready",
        "Active",
        "Suspended",
        "Deactivated",
    }
    assert len(statuses) > 2
    assert all(len(iccid) == 19 for iccid in first.sims)


async def test_control_state_lists_everything(api: Api) -> None:
    await api.call("POST", f"/iot/1/sims/{ACTIVE}/sms", json={"text": "hi"})
    async with api.session.get(f"{api.url}/_emulator/state") as resp:
        state = await resp.json()
    assert [sim["iccid"] for sim in state["sims"]] == [ACTIVATION_READY, ACTIVE]
    assert state["sent_sms"][0]["text"] == "hi"
    assert state["actions"] == []


async def test_faults_apply_per_route_and_wear_off(api: Api) -> None:
    api.emulator.faults.add(
        Fault(FaultKind.STATUS, endpoint="sims", status=503, times=1)
    )
    assert (await api.call("GET", f"/iot/2/sims/{ACTIVE}"))[0] == 200
    assert (await api.call("GET", "/iot/2/sims"))[0] == 503
    assert (await api.call("GET", "/iot/2/sims"))[0] == 200
    assert [r.endpoint for r in api.emulator.requests] == ["sim", "sims", "sims"]


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        (Fault(FaultKind.STATUS, status=502), 502, "Injected HTTP 502"),
        (Fault(FaultKind.RATE_LIMIT, retry_after=30), 429, "Too many requests"),
    ],
)
async def test_error_faults(api: Api, fault: Fault, status: int, message: str) -> None:
    fault.endpoint = "usage"
    api.emulator.faults.add(fault)
    answer_status, body = await api.call("GET", f"/iot/2/sims/{ACTIVE}/usage")
    assert (answer_status, body["message"]) == (status, message)


@pytest.mark.parametrize(
    ("fault", "body"),
    [
        (Fault(FaultKind.LATENCY, delay=0.05), example("sim")),
        (Fault(FaultKind.WRONG_SHAPE, body=[1]), [1]),
        (Fault(FaultKind.WRONG_SHAPE), "unexpected"),
    ],
)
async def test_answering_faults(api: Api, fault: Fault, body: Any) -> None:
    fault.endpoint = "sim"
    api.emulator.faults.add(fault)
    assert await api.call("GET", f"/iot/2/sims/{ACTIVE}") == (200, body)


async def test_malformed_fault(api: Api) -> None:
    api.emulator.faults.add(Fault(FaultKind.MALFORMED, endpoint="usage_monthly"))
    async with api.session.get(
        f"{api.url}/iot/2/sims/usage/monthly", headers={"Authorization": BASIC}
    ) as resp:
        assert resp.status == 200
        with pytest.raises(ValueError, match="Expecting"):
            await resp.json()


async def test_timeout_fault(api: Api) -> None:
    api.emulator.faults.add(Fault(FaultKind.TIMEOUT, endpoint="sms", delay=1))
    with pytest.raises(TimeoutError):
        async with api.session.post(
            f"{api.url}/iot/1/sims/{ACTIVE}/sms",
            json={"text": "hi"},
            headers={"Authorization": BASIC},
            timeout=aiohttp.ClientTimeout(total=0.5),
        ):
            pass
    assert api.emulator.sent_sms == []


async def test_disconnect_fault(api: Api) -> None:
    api.emulator.faults.add(Fault(FaultKind.DISCONNECT, endpoint="diagnostic"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("POST", f"/iot/1/sims/{ACTIVE}/diagnostic")
    assert api.emulator.actions == []
