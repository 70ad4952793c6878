"""What the demo does on the emulator while it runs: a SIM moves to another device."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from scripts import develop

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

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
        "http://127.0.0.1:8123",
        EMULATORS,
        tmp_path,
        speed=0,
        push_every=0,
        imei_change_after=90,
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
        "http://127.0.0.1:8123",
        EMULATORS,
        tmp_path,
        speed=0,
        push_every=0,
        imei_change_after=0,
    )
    for _ in range(3):
        activity.run_due()
        now[0] += 3600
    assert calls == []
