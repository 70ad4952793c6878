"""What every provider emulator shares: tokens, fault injection, recording, quota.

A provider module builds an :class:`aiohttp.web.Application` with
:meth:`ProviderEmulator.make_app`, naming each route (``name=``); faults are
injected per route name (or ``"*"`` for every route).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import json
import secrets
import time
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTROL_PREFIX = "/_emulator"


class FaultKind(StrEnum):
    """What an injected fault does to a matching request."""

    LATENCY = "latency"
    """Wait ``delay`` seconds, then answer normally."""
    TIMEOUT = "timeout"
    """Never answer in time: wait ``delay`` (default 300 s) before closing."""
    STATUS = "status"
    """Answer with HTTP ``status`` (default 500) and a JSON error body."""
    RATE_LIMIT = "rate_limit"
    """Answer 429; with ``retry_after`` a Retry-After header is sent."""
    MALFORMED = "malformed"
    """Answer 200 with a body that is not JSON."""
    WRONG_SHAPE = "wrong_shape"
    """Answer 200 with valid JSON of the wrong shape (``body`` or a string)."""
    DISCONNECT = "disconnect"
    """Close the connection without an answer."""


@dataclass(slots=True)
class Fault:
    """One injected fault; ``times`` None means until cleared."""

    kind: FaultKind
    endpoint: str = "*"
    status: int = 500
    delay: float | None = None
    retry_after: float | None = None
    body: Any = None
    times: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from the control API's JSON."""
        return cls(
            kind=FaultKind(data["kind"]),
            endpoint=str(data.get("endpoint", "*")),
            status=int(data.get("status", 500)),
            delay=data.get("delay"),
            retry_after=data.get("retry_after"),
            body=data.get("body"),
            times=data.get("times"),
        )


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as it arrived, for byte-for-byte assertions."""

    endpoint: str
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    peer: Any = None
    """The client's address and port: requests on one connection share it."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Faults:
    """The faults injected into one provider."""

    def __init__(self) -> None:
        """Start with none."""
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Inject ``fault`` (the newest matching one wins)."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def take(self, endpoint: str) -> Fault | None:
        """The fault that applies to ``endpoint`` now, consuming one use."""
        for fault in reversed(self._faults):
            if fault.endpoint in ("*", endpoint):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


@dataclass(slots=True)
class TokenStore:
    """Bearer tokens with an expiry; ``lifetime`` is configurable for tests."""

    lifetime: float
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def issue(self, subject: str) -> tuple[str, int]:
        """A new token for ``subject`` and its lifetime in whole seconds."""
        token = secrets.token_hex(16)
        self._tokens[token] = (subject, time.monotonic() + self.lifetime)
        return token, max(int(self.lifetime), 1)

    def subject(self, token: str) -> str | None:
        """Whose valid token this is, or None when unknown or expired."""
        entry = self._tokens.get(token)
        if entry is None:
            return None
        if time.monotonic() >= entry[1]:
            del self._tokens[token]
            return None
        return entry[0]

    def revoke_all(self) -> None:
        """Invalidate every issued token (clients must re-authenticate)."""
        self._tokens.clear()

    def expire_all(self) -> None:
        """Let every issued token run out now."""
        self._tokens = {t: (s, 0.0) for t, (s, _) in self._tokens.items()}


_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(slots=True)
class RequestQuota:
    """A KPN-gateway-style request quota (``quota-*`` headers, 429 when spent)."""

    limit: int = 10_000
    interval: int = 1
    time_unit: str = "day"
    enforce: bool = False
    used: int = 0
    window_start: float = field(default_factory=time.time)
    clock: Callable[[], float] = time.time

    @property
    def interval_seconds(self) -> float:
        """The window length in seconds."""
        return self.interval * _UNIT_SECONDS.get(self.time_unit, 86400)

    def count(self) -> bool:
        """Count one request; False when it is over the enforced quota."""
        now = self.clock()
        if now - self.window_start >= self.interval_seconds:
            self.window_start, self.used = now, 0
        if self.enforce and self.used >= self.limit:
            return False
        self.used += 1
        return True

    def reset_at(self) -> datetime:
        """When the current window ends."""
        return datetime.fromtimestamp(self.window_start, UTC) + timedelta(
            seconds=self.interval_seconds
        )

    def headers(self) -> dict[str, str]:
        """The gateway's quota headers for the current window."""
        return {
            "quota-limit": str(self.limit),
            "quota-used": str(self.used),
            "quota-interval": str(self.interval),
            "quota-time-unit": self.time_unit,
            "quota-reset-UTC": str(int(self.reset_at().timestamp() * 1000)),
        }


def json_response(data: Any, status: int = 200, **kwargs: Any) -> web.Response:
    """A JSON answer."""
    return web.json_response(data, status=status, **kwargs)


def json_error(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    """A JSON error answer with a ``message`` (``extra`` goes into the body)."""
    return web.json_response(
        {"message": message, **extra}, status=status, headers=headers
    )


class ProviderEmulator:
    """Base of one provider's emulator: state, faults, recording, control API."""

    name: str = "provider"
    token_lifetime: float = 3600.0

    def __init__(self) -> None:
        """Start clean; subclasses seed their records."""
        self.faults = Faults()
        self.tokens = TokenStore(self.token_lifetime)
        self.requests: list[RecordedRequest] = []
        self.quota: RequestQuota | None = None
        """Set to add KPN quota headers to every answer and enforce a limit."""

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """The recorded requests of one route name."""
        return [r for r in self.requests if r.endpoint == endpoint]

    def add_routes(self, app: web.Application) -> None:
        """Add the provider's routes, each with a ``name``."""
        raise NotImplementedError

    def control_state(self) -> Any:
        """A JSON view of the state, for the control API and the demo."""
        return {}

    def tick(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (usage grows, alarms change)."""

    def move_sim(self, iccid: str, imei: str) -> bool:
        """Put a SIM in the device ``imei``; False when there is no such SIM."""
        del iccid, imei
        return False

    def make_app(self) -> web.Application:
        """The aiohttp application that serves this provider."""
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**2)
        self.add_routes(app)
        app.router.add_get(f"{CONTROL_PREFIX}/state", self._control_state)
        app.router.add_get(f"{CONTROL_PREFIX}/requests", self._control_requests)
        app.router.add_post(f"{CONTROL_PREFIX}/faults", self._control_add_fault)
        app.router.add_delete(f"{CONTROL_PREFIX}/faults", self._control_clear_faults)
        app.router.add_post(f"{CONTROL_PREFIX}/revoke-tokens", self._control_revoke)
        app.router.add_post(f"{CONTROL_PREFIX}/tick", self._control_tick)
        app.router.add_post(f"{CONTROL_PREFIX}/move-sim", self._control_move_sim)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        route = request.match_info.route
        endpoint = route.name or "unknown"
        body = await request.read()
        self.requests.append(
            RecordedRequest(
                endpoint,
                request.method,
                request.path,
                request.query_string,
                dict(request.headers),
                body,
                request.transport.get_extra_info("peername")
                if request.transport is not None
                else None,
            )
        )
        extra_headers: dict[str, str] = {}
        if self.quota is not None:
            if not self.quota.count():
                return json_error(429, "Quota exceeded", headers=self.quota.headers())
            extra_headers = self.quota.headers()
        fault = self.faults.take(endpoint)
        if fault is not None:
            response = await self._apply_fault(fault, request, extra_headers)
            if response is not None:
                return response
        response = await handler(request)
        response.headers.update(extra_headers)
        return response

    async def _apply_fault(
        self, fault: Fault, request: web.Request, headers: dict[str, str]
    ) -> web.StreamResponse | None:
        match fault.kind:
            case FaultKind.LATENCY:
                await asyncio.sleep(fault.delay or 1.0)
                return None
            case FaultKind.TIMEOUT:
                await asyncio.sleep(fault.delay or 300.0)
                return json_error(504, "Gateway timeout", headers=headers)
            case FaultKind.STATUS:
                return json_error(
                    fault.status, f"Injected HTTP {fault.status}", headers=headers
                )
            case FaultKind.RATE_LIMIT:
                if fault.retry_after is not None:
                    headers = {**headers, "Retry-After": str(int(fault.retry_after))}
                return json_error(429, "Too many requests", headers=headers)
            case FaultKind.MALFORMED:
                return web.Response(
                    text='{"broken": ', content_type="application/json", headers=headers
                )
            case FaultKind.WRONG_SHAPE:
                body = fault.body if fault.body is not None else "unexpected"
                return json_response(body, headers=headers)
            case FaultKind.DISCONNECT:
                if request.transport is not None:
                    request.transport.close()
                raise asyncio.CancelledError

    async def _control_state(self, _: web.Request) -> web.Response:
        return json_response(self.control_state())

    async def _control_requests(self, _: web.Request) -> web.Response:
        return json_response(
            [
                {
                    "endpoint": r.endpoint,
                    "method": r.method,
                    "path": r.path,
                    "query": r.query_string,
                    "body": r.body.decode("utf-8", "replace"),
                }
                for r in self.requests
            ]
        )

    async def _control_add_fault(self, request: web.Request) -> web.Response:
        self.faults.add(Fault.from_json(await request.json()))
        return json_response({"ok": True})

    async def _control_clear_faults(self, _: web.Request) -> web.Response:
        self.faults.clear()
        return json_response({"ok": True})

    async def _control_revoke(self, _: web.Request) -> web.Response:
        self.tokens.revoke_all()
        return json_response({"ok": True})

    async def _control_tick(self, request: web.Request) -> web.Response:
        data = await request.json() if request.can_read_body else {}
        self.tick(float(data.get("seconds", 60)))
        return json_response({"ok": True})

    async def _control_move_sim(self, request: web.Request) -> web.Response:
        """``{"iccid": ..., "imei": ...}``: the SIM now reports that IMEI."""
        data = await request.json()
        if not isinstance(data, dict):
            return json_error(400, "A JSON object is required")
        iccid, imei = data.get("iccid"), data.get("imei")
        if not isinstance(iccid, str) or not isinstance(imei, str):
            return json_error(400, "iccid and imei must be strings")
        if not self.move_sim(iccid, imei):
            return json_error(404, "SIM not found")
        return json_response({"ok": True})


def bearer_subject(emulator: ProviderEmulator, request: web.Request) -> str | None:
    """The subject of a valid ``Authorization: Bearer`` token, else None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return emulator.tokens.subject(token.strip())
