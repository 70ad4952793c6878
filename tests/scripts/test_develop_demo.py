"""What scripts/develop.py does while the demo runs: LoRa sensors, their formats, a SIM that moves."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from iot_emulator.lora_payloads import CAYENNE_SENSORS, DEMO_SENSORS
from scripts import develop

WEBHOOK = "http://ha.test/api/webhook/hook"
UNKNOWN_PROFILE = "TWA_100001135.99999"
"""A profile the (restarted) emulator does not know."""


class FakeApi:
    """Home Assistant's REST API as the demo uses it: payload format selects."""

    url = "http://ha.test"

    def __init__(self, selects: dict[str, tuple[str, str]]) -> None:
        self.selects = selects
        self.chosen: list[tuple[str, str]] = []

    def payload_format_selects(self) -> dict[str, tuple[str, str]]:
        return self.selects

    def select_option(self, entity_id: str, option: str) -> None:
        self.chosen.append((entity_id, option))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The emulator control calls the demo makes, in order."""
    made: list[tuple[str, dict[str, Any]]] = []

    def control(_url: str, route: str, body: dict[str, Any]) -> bool:
        made.append((route, body))
        return body.get("routing_profile_id") != UNKNOWN_PROFILE

    monkeypatch.setattr(develop, "emulator_control", control)
    monkeypatch.setattr(develop, "FIRST_PUSH_AFTER", 0.0)
    return made


def activity(
    monkeypatch: pytest.MonkeyPatch,
    api: FakeApi,
    *,
    quiet_after: float = 5.0,
    routing_profile: str | None = None,
) -> develop.DemoActivity:
    entry = develop.DemoEntry("entry", "kpn_lora", "hook", routing_profile)
    monkeypatch.setattr(develop, "stored_entries", lambda _config: [entry])
    return develop.DemoActivity(
        api,  # type: ignore[arg-type]
        {"kpn_lora": "http://emulator.test"},
        Path(),
        speed=0,
        push_every=60,
        quiet_after=quiet_after,
    )


def pushed(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [body for route, body in calls if route == "push/uplink"]


def test_sensors_pushed_and_cayenne_chosen_once(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    selects = {
        eui: (f"select.s{i}_payload_format", "automatic")
        for i, eui in enumerate(CAYENNE_SENSORS)
    }
    api = FakeApi(selects)
    demo = activity(monkeypatch, api)

    demo.run_due()

    bodies = pushed(calls)
    assert [body["dev_eui"] for body in bodies] == [
        develop.DEMO_UPLINK_EUI,
        *(eui for eui, _, _ in DEMO_SENSORS),
    ]
    assert all(body["url"] == WEBHOOK for body in bodies)
    # The sensors' payloads are the emulator's to build.
    assert all("payload_hex" not in body for body in bodies[1:])
    assert api.chosen == [(entity, "cayenne_lpp") for entity, _ in selects.values()]

    demo._next_push = 0.0
    demo.run_due()

    assert len(api.chosen) == len(CAYENNE_SENSORS)


def test_missing_select_told_once(
    monkeypatch: pytest.MonkeyPatch,
    calls: list[tuple[str, dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = activity(monkeypatch, FakeApi({}))

    demo.run_due()
    demo._next_push = 0.0
    demo.run_due()

    told = capsys.readouterr().out.splitlines()
    assert len([line for line in told if "no payload format select" in line]) == len(
        CAYENNE_SENSORS
    )
    assert len(pushed(calls)) == 2 * (1 + len(DEMO_SENSORS))


def test_quiet_sensor_stops(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    demo = activity(monkeypatch, FakeApi({}), quiet_after=1e-9)

    demo.run_due()

    euis = [body["dev_eui"] for body in pushed(calls)]
    assert develop.QUIET_SENSOR not in euis
    assert len(euis) == len(DEMO_SENSORS)


def test_own_routing_profile_gets_the_devices(
    monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    """Once the entry made its profile, the emulator pushes to its address."""
    demo = activity(monkeypatch, FakeApi({}), routing_profile="TWA_100001135.60001")

    demo.run_due()

    attached = [body for route, body in calls if route == "lora/attach"]
    assert {body["routing_profile_id"] for body in attached} == {"TWA_100001135.60001"}
    assert [body["dev_eui"] for body in attached] == [
        develop.DEMO_UPLINK_EUI,
        *(eui for eui, _, _ in DEMO_SENSORS),
    ]
    assert all("url" not in body for body in pushed(calls))


def test_forgotten_routing_profile(
    monkeypatch: pytest.MonkeyPatch,
    calls: list[tuple[str, dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A restarted emulator lost the entry's profile: said once, pushes go on."""
    demo = activity(monkeypatch, FakeApi({}), routing_profile=UNKNOWN_PROFILE)

    demo.run_due()
    demo._next_push = 0.0
    demo.run_due()

    assert "does not know routing profile" in capsys.readouterr().out
    assert len([route for route, _ in calls if route == "lora/attach"]) == 1
    assert all(body["url"] == WEBHOOK for body in pushed(calls))


EMULATORS = {"kpn_iot_sim": "http://127.0.0.1:1", "tmobile_easy_connect": "http://t"}


def test_a_sim_moves_once_after_the_delay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After --imei-change-after seconds the KPN example SIM reports another IMEI."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    now = [1000.0]
    monkeypatch.setattr(
        develop,
        "emulator_control",
        lambda url, route, body: calls.append((url, route, body)),
    )
    monkeypatch.setattr(develop, "time", SimpleNamespace(monotonic=lambda: now[0]))
    activity = develop.DemoActivity(
        FakeApi({}),  # type: ignore[arg-type]
        EMULATORS,
        tmp_path,
        speed=0,
        push_every=0,
        imei_change_after=90,
        quiet_after=0,
    )

    now[0] += 89
    activity.run_due()
    assert calls == []

    now[0] += 1
    activity.run_due()
    now[0] += 90
    activity.run_due()
    assert calls == [
        (
            EMULATORS["kpn_iot_sim"],
            "move-sim",
            {"iccid": develop.DEMO_MOVED_SIM, "imei": develop.DEMO_MOVED_IMEI},
        )
    ]


def test_no_move_when_switched_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--imei-change-after 0 keeps every SIM where it is."""
    calls: list[tuple[Any, ...]] = []
    now = [1000.0]
    monkeypatch.setattr(develop, "emulator_control", lambda *call: calls.append(call))
    monkeypatch.setattr(develop, "time", SimpleNamespace(monotonic=lambda: now[0]))
    activity = develop.DemoActivity(
        FakeApi({}),  # type: ignore[arg-type]
        EMULATORS,
        tmp_path,
        speed=0,
        push_every=0,
        imei_change_after=0,
        quiet_after=0,
    )
    for _ in range(3):
        activity.run_due()
        now[0] += 3600
    assert calls == []
