"""The targets of the scale benchmark, judged from its figures, and the printout."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_CPU_RATIO = 3.0
MAX_SETUP_RATIO = 1.5
MAX_WALL_SECONDS = 600.0
MAX_ENABLED_ENTITIES = 10_000
"""Home Assistant adds no more enabled entities to one config entry."""
BURST = 4
"""Most per-SIM requests in one simulated step (the request budget's burst)."""
MAX_UPLINK_CPU_RATIO = 250.0
"""An uplink's Token check, decoding and state writes, per ``json.loads`` of it.

``json.loads`` of a 700-byte uplink takes a few microseconds; every uplink
also fires its event and writes three states that are not readings (the
event entity, last uplink, radio figures), each costing Home Assistant tens
of microseconds. The limit catches what grows with the number of devices."""
_UPLINKS = "kpn_lora uplinks"
"""Most per-SIM requests in one simulated step (the request budget's burst)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One target: what was measured, the limit, and whether it was met."""

    name: str
    scope: str
    value: float | None
    limit: float
    passed: bool


def _at_most(name: str, scope: str, value: float | None, limit: float) -> Target:
    return Target(name, scope, value, limit, value is not None and value <= limit)


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target of the issue, per provider where it applies."""
    found: list[Target] = []
    for provider, figures in results["providers"].items():
        found.extend(_provider_targets(provider, figures))
    found.append(
        _at_most(
            "blocking calls in the event loop", "all", len(results["blocking_calls"]), 0
        )
    )
    found.append(
        _at_most(
            "entity limit warnings from Home Assistant",
            "all",
            len(results["entity_limit_reports"]),
            0,
        )
    )
    found.append(
        _at_most(
            "benchmark wall time (s)", "all", results["wall_seconds"], MAX_WALL_SECONDS
        )
    )
    found.extend(uplink_targets(results.get("uplinks")))
    return found


def uplink_targets(figures: dict[str, Any] | None) -> list[Target]:
    """Pushed uplinks: CPU beside ``json.loads``, writes beside changes, no blocking."""
    if not figures:
        return []
    found = [
        _at_most(
            "CPU/json.loads per uplink, one reading changed",
            _UPLINKS,
            figures["changed"]["cpu_ratio"],
            MAX_UPLINK_CPU_RATIO,
        )
    ]
    found.extend(
        _at_most(
            f"reading state writes beyond readings changed, {name}",
            _UPLINKS,
            figures[name]["reading_writes"] - figures[name]["readings_changed"],
            0,
        )
        # A new entity writes twice as it is added (the sensor platform stores
        # its display precision): the first round adds entities, it is shown only.
        for name in ("changed", "unchanged")
    )
    found.append(
        _at_most(
            "blocking calls while pushing uplinks",
            _UPLINKS,
            figures["blocking_calls"],
            0,
        )
    )
    return found


def _provider_targets(provider: str, figures: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    for kind, refresh in figures["refresh"].items():
        found.append(
            _at_most(f"{kind} refresh failed", provider, int(refresh["failed"]), 0)
        )
        for endpoint, count in refresh["requests"].items():
            ratio = count["sent"] / count["minimum"]
            found.append(
                _at_most(f"requests/minimum {kind} {endpoint}", provider, ratio, 1.0)
            )
        found.append(_cpu_target(provider, kind, refresh))
    day = figures["day"]
    if day["rate_limited"] is not None:
        found.append(_at_most("429 answers in a day", provider, day["rate_limited"], 0))
    found.append(
        _at_most(
            "per-SIM requests in one step",
            provider,
            day["largest_per_item_burst"],
            BURST,
        )
    )
    for case, label in (("unchanged", "nothing"), ("one_percent_changed", "1 %")):
        counts = figures["state_writes"][case]
        found.append(
            _at_most(
                f"state writes without a state change, {label} changed",
                provider,
                counts["writes"] - counts["changes"],
                0,
            )
        )
    setup = figures["setup"]
    # Setup is CPU-bound: its CPU time (printed too) is close to the wall time.
    found.append(_at_most("setup/floor", provider, setup["ratio"], MAX_SETUP_RATIO))
    found.append(
        _at_most(
            "enabled entities after the day",
            provider,
            figures["enabled_after_day"],
            MAX_ENABLED_ENTITIES,
        )
    )
    return found


def _cpu_target(provider: str, kind: str, refresh: dict[str, Any]) -> Target:
    """CPU of a refresh against the least any client pays for its answers.

    That floor is receiving the bodies over HTTP plus ``json.loads`` of them.
    ``json.loads`` alone is no floor: receiving the same bytes costs about as
    much for the lists, and a hundred times more for a few small answers
    (plans, reads in turns). The ratio to ``json.loads`` alone is printed too.
    """
    return _at_most(
        f"CPU/(HTTP + json.loads) {kind} refresh",
        provider,
        refresh["floor_ratio"],
        MAX_CPU_RATIO,
    )


def as_json(found: list[Target]) -> list[dict[str, Any]]:
    """The targets for the JSON file."""
    return [asdict(target) for target in found]


def render(results: dict[str, Any], found: list[Target]) -> str:
    """The figures and the targets as text."""
    lines = [
        (
            f"{results['sims']} SIMs per SIM provider, {results['lora_devices']} "
            f"LoRa devices, {results['hours']:g} h simulated; wall time "
            f"{results['wall_seconds']:.0f} s (the day: "
            f"{results['day_wall_seconds']:.0f} s)"
        ),
    ]
    for provider, figures in results["providers"].items():
        lines.extend(_render_provider(provider, figures))
    memory = results["memory"]
    lines += [
        "",
        (
            f"memory: peak RSS {memory['peak_rss_kib'] / 1024:.0f} MiB; "
            f"{memory['rss_before_setup_kib'] / 1024:.0f} MiB before setup, "
            f"{memory['rss_all_items_read_kib'] / 1024:.0f} MiB with every item "
            f"read: {memory['kib_per_item']:.1f} KiB per SIM / device "
            f"({memory['items']} items)"
        ),
        f"blocking calls reported: {len(results['blocking_calls'])}",
        f"entity limit warnings: {len(results['entity_limit_reports'])}",
        *render_uplinks(results.get("uplinks")),
        "",
        "targets:",
    ]
    lines += [
        f"  {'PASS' if t.passed else 'FAIL'}  {t.scope:22} {t.name}: "
        f"{_number(t.value)} (limit {_number(t.limit)})"
        for t in found
    ]
    passed = sum(t.passed for t in found)
    lines.append(f"{passed} passed, {len(found) - passed} failed")
    return "\n".join(lines)


def _render_provider(provider: str, figures: dict[str, Any]) -> list[str]:
    setup, day, writes = figures["setup"], figures["day"], figures["state_writes"]
    lines = [
        "",
        f"{provider}: {figures['items']} items",
        (
            f"  setup (least of {len(setup.get('samples', [])) or 1}) "
            f"{setup['seconds']:.2f} s, CPU {setup['cpu_seconds']:.2f} s (HA "
            f"floor {setup['floor_seconds']:.2f} s, CPU "
            f"{setup['floor_cpu_seconds']:.2f} s; ratio {setup['ratio']:.2f}, CPU "
            f"{setup['cpu_ratio']:.2f}); "
            f"{setup['entities']} entities, {setup['enabled']} enabled, "
            f"{setup['devices']} devices; {figures['entities_after_day']} "
            f"entities after the day, {figures['enabled_after_day']} enabled"
        ),
    ]
    if samples := setup.get("samples"):
        pairs = ", ".join(f"{wall:.2f}/{floor:.2f}" for wall, floor in samples)
        lines.append(f"  setups/floors (s): {pairs}")
    for kind, refresh in figures["refresh"].items():
        requests = ", ".join(
            f"{endpoint} {count['sent']}/{count['minimum']}"
            for endpoint, count in refresh["requests"].items()
        )
        lines.append(
            f"  {kind:8} requests (sent/minimum) {requests or 'none'} in "
            f"{refresh['refreshes']} refresh(es); CPU {refresh['cpu_ms']:.2f} ms, "
            f"json.loads {refresh['json_ms']:.2f} ms of {refresh['bytes']} bytes "
            f"in {refresh['answers']} answers (ratio {_number(refresh['cpu_ratio'])}), "
            f"HTTP {refresh['http_ms']:.2f} ms (ratio to both "
            f"{_number(refresh['floor_ratio'])})"
        )
        if (changed := refresh.get("one_percent_changed")) is not None:
            lines.append(
                f"  {'':8} after 1 % changed: CPU {changed['cpu_ms']:.2f} ms "
                f"(ratio {_number(changed['cpu_ratio'])})"
            )
    quota = day["quota"]
    limit = (
        f"{quota['limit']} per {quota['interval']} {quota['time_unit']}"
        if quota
        else "none enforced"
    )
    lines += [
        (
            f"  day: {day['requests']} requests ({day['token_requests']} token), "
            f"429: {_number(day['rate_limited'])} (quota {limit}), "
            f"largest per-SIM burst {day['largest_per_item_burst']}"
        ),
        f"  by endpoint: {day['by_endpoint']}",
        (
            f"  state writes/changes: unchanged {writes['unchanged']['writes']}/"
            f"{writes['unchanged']['changes']}, 1 % changed "
            f"{writes['one_percent_changed']['writes']}/"
            f"{writes['one_percent_changed']['changes']} "
            f"({writes['enabled_entities']} enabled entities)"
        ),
    ]
    return lines


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def render_uplinks(figures: dict[str, Any] | None) -> list[str]:
    """The uplink figures as text lines."""
    if not figures:
        return []
    lines = ["", f"uplinks: {figures['devices']} LoRa devices, one each per round"]
    for name in ("new", "changed", "unchanged"):
        round_ = figures[name]
        lines.append(
            f"  {name:9} CPU {round_['cpu_ms_per_uplink']:.3f} ms/uplink, json.loads "
            f"{round_['json_ms_per_uplink']:.4f} ms (ratio {round_['cpu_ratio']:.1f}); "
            f"reading writes {round_['reading_writes']} for "
            f"{round_['readings_changed']} changed readings; all writes "
            f"{round_['all_writes']}; answers {round_['statuses']}"
        )
    lines.append(f"  blocking calls during uplinks: {figures['blocking_calls']}")
    return lines
