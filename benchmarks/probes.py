"""What the benchmark observes: requests, bodies, CPU, state writes, memory, quota."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
import gc
import json
import logging
import math
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, Self, override
from unittest.mock import patch

from aiohttp import ClientSession, web
from homeassistant import block_async_io
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from yarl import URL

from custom_components.iot_connectivity.api._http import HttpClient, Response
from custom_components.iot_connectivity.const import DOMAIN
from iot_emulator.core import RequestQuota

if TYPE_CHECKING:
    from homeassistant.core import Event, EventStateChangedData, HomeAssistant

REPLAY_HEADER = "X-Replay"
"""Which recorded answer the replay server is asked for."""
TOKEN_ENDPOINTS = frozenset({"token"})
"""Authentication, counted apart from the data a refresh reads."""


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap while the block runs.

    Python runs a full collection whenever the objects kept have grown by a
    quarter. Frozen, such a collection during the block scans only the
    objects made since, not the whole process (the earlier entries, the
    harness's records): a measurement pays for the garbage its own work
    makes, not for a scan of everything that ran before it. Only the
    youngest generation is collected first: a full collection of millions
    of objects takes seconds, and older garbage is collected once the heap
    is unfrozen.
    """
    gc.collect(0)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def wall_time() -> float:
    """Seconds of real time: the frozen test clock does not move this one."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def cpu_time() -> float:
    """CPU seconds of the calling thread (Home Assistant's event loop)."""
    return time.thread_time()


def json_floor(bodies: list[bytes], repeat: int = 5) -> float:
    """The least CPU time ``json.loads`` needs for ``bodies``, best of ``repeat``."""
    best = math.inf
    for _ in range(repeat):
        start = cpu_time()
        for body in bodies:
            json.loads(body)
        best = min(best, cpu_time() - start)
    return best


@dataclass(slots=True)
class Answer:
    """One request a client sent (address and query) and the body it got."""

    target: str
    params: Mapping[str, str | int] | None
    body: bytes
    reconnected: bool = False
    """The first answer of a refresh that found its keep-alive connections
    closed (the last request was longer ago than they stay open)."""

    @property
    def path(self) -> str:
        """The address's path, worked out only when the floor is measured."""
        return URL(self.target).path


class ReplayServer:
    """Serves recorded answers again: the least CPU a client pays to get them.

    A request with ``X-Replay: <n>`` is answered with the n-th body as JSON,
    whatever its path; it runs on the emulator's thread, so only the client
    side is charged to Home Assistant's.
    """

    def __init__(self) -> None:
        """Serve nothing yet."""
        self.bodies: list[bytes] = []

    def app(self) -> web.Application:
        """The application to serve."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.Response:
        body = self.bodies[int(request.headers[REPLAY_HEADER])]
        return web.Response(body=body, content_type="application/json")


async def transport_floor(url: str, answers: list[Answer], repeat: int = 3) -> float:
    """The least CPU time aiohttp needs to send the requests and read ``answers``.

    The same paths and queries, one request after the other, each body read
    whole: what any client pays before it parses anything (best of
    ``repeat``). They go on one connection, and on a new one wherever the
    refresh that sent them found its keep-alive connections closed (polls
    minutes apart do): one connection for all of that refresh's requests,
    the fewest any client could open. Opening a connection is counted;
    making and closing a session is not.
    """
    best = math.inf
    for _ in range(repeat):
        sessions: list[ClientSession] = []
        cpu = 0.0
        try:
            for index, answer in enumerate(answers):
                if not sessions or answer.reconnected:
                    sessions.append(ClientSession())
                start = cpu_time()
                async with sessions[-1].get(
                    f"{url}{answer.path}",
                    params=answer.params,
                    headers={REPLAY_HEADER: str(index)},
                ) as response:
                    await response.read()
                cpu += cpu_time() - start
        finally:
            for session in sessions:
                await session.close()
        best = min(best, cpu)
    return best


class WarningLog(logging.Handler):
    """Warnings of ``logger`` (all by default) whose message contains ``needle``."""

    def __init__(self, needle: str, logger: str = "") -> None:
        """Collect nothing yet."""
        super().__init__(logging.WARNING)
        self.needle = needle
        self.logger = logging.getLogger(logger)
        self.reports: list[str] = []

    @override
    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.reports.append(record.getMessage().splitlines()[0])

    @contextmanager
    def watching(self) -> Iterator[Self]:
        """Collect while the block runs."""
        self.logger.addHandler(self)
        try:
            yield self
        finally:
            self.logger.removeHandler(self)


@contextmanager
def captured_answers() -> Iterator[list[Answer]]:
    """Every successful answer the provider clients receive, with its request."""
    answers: list[Answer] = []
    send = HttpClient._send  # noqa: SLF001 - the one HTTP path of every client

    async def recording_send(
        self: HttpClient, name: str, method: str, target: str, **kwargs: Any
    ) -> Response:
        response = await send(self, name, method, target, **kwargs)
        answers.append(Answer(target, kwargs.get("params"), response.body))
        return response

    with patch.object(HttpClient, "_send", recording_send):
        yield answers


@dataclass(slots=True)
class StateWrites:
    """State writes of the integration's entities, and actual state changes."""

    writes: int = 0
    changes: int = 0


@contextmanager
def counted_state_writes(hass: HomeAssistant) -> Iterator[StateWrites]:
    """Count ``async_write_ha_state`` calls and state changes of our entities."""
    counts = StateWrites()
    write = Entity.async_write_ha_state

    def counting_write(self: Entity) -> None:
        if self.platform is not None and self.platform.platform_name == DOMAIN:
            counts.writes += 1
        write(self)

    ours = {
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN
    }

    def count_change(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] in ours:
            counts.changes += 1

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count_change)
    try:
        with patch.object(Entity, "async_write_ha_state", counting_write):
            yield counts
    finally:
        unsubscribe()


@dataclass(slots=True)
class CountingQuota(RequestQuota):
    """The emulator's request quota, counting the requests it refused (429)."""

    refused: int = 0
    send_headers: bool = True
    """False for providers that enforce a limit without ``quota-*`` headers."""

    @override
    def count(self) -> bool:
        allowed = super().count()
        self.refused += not allowed
        return allowed

    @override
    def headers(self) -> dict[str, str]:
        return super().headers() if self.send_headers else {}


class BlockingCallLog(WarningLog):
    """Home Assistant's blocking-call detector, switched on for the loop thread."""

    def __init__(self) -> None:
        """Collect nothing yet."""
        super().__init__("blocking call", "homeassistant.util.loop")

    @contextmanager
    @override
    def watching(self) -> Iterator[Self]:
        """Detect blocking calls in the event loop while the block runs."""
        with super().watching():
            block_async_io.enable()
            try:
                yield self
            finally:
                calls = block_async_io._BLOCKED_CALLS.calls  # noqa: SLF001 - as HA's own fixture
                for call in calls:
                    setattr(call.object, call.function, call.original_func)
                calls.clear()


def memory_kib() -> dict[str, int]:
    """Resident (``VmRSS``) and peak resident (``VmHWM``) memory of the process."""
    fields: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


@dataclass(slots=True)
class RequestLog:
    """Requests per endpoint one client sent since :meth:`reset`."""

    client: Any
    start: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        """Count from now on."""
        self.reset()

    @property
    def _counts(self) -> Counter[str]:
        counts: Counter[str] = self.client._http.request_counts  # noqa: SLF001 - the clients' request counter
        return counts

    def reset(self) -> None:
        """Count from now on."""
        self.start = Counter(self._counts)

    def since(self) -> Counter[str]:
        """Requests per endpoint since the last reset, without authentication."""
        counts = self._counts - self.start
        return Counter({k: v for k, v in counts.items() if k not in TOKEN_ENDPOINTS})

    def tokens_since(self) -> int:
        """Authentication requests since the last reset."""
        counts = self._counts - self.start
        return sum(v for k, v in counts.items() if k in TOKEN_ENDPOINTS)
