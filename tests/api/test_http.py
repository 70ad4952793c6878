"""The shared HTTP layer: error mapping, 401 retry, quota headers, timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import override

import aiohttp
from aiohttp import web
import pytest

from custom_components.iot_connectivity.api._http import (
    HttpClient,
    TokenAuthenticator,
    parse_api_quota,
)
from custom_components.iot_connectivity.api.errors import (
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    TokenExpiredError,
)

type Answer = Callable[[web.Request], web.StreamResponse]


class _Peer:
    """A one-route HTTP peer whose answer each test sets."""

    def __init__(self) -> None:
        self.answer: Answer = lambda _: web.json_response({})
        self.authorizations: list[str | None] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.authorizations.append(request.headers.get("Authorization"))
        await asyncio.sleep(self.delay)
        return self.answer(request)


@pytest.fixture
async def peer(socket_enabled: None) -> AsyncIterator[tuple[_Peer, str]]:
    state = _Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield state, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


class _CountingAuth(TokenAuthenticator):
    """Issues token-1, token-2, ...; fails when told to."""

    def __init__(self, *, fail: bool = False) -> None:
        super().__init__()
        self.fetched = 0
        self.fail = fail

    @override
    async def _fetch_token(self) -> tuple[str, float | None]:
        if self.fail:
            raise AuthenticationError("bad credentials")
        self.fetched += 1
        return f"token-{self.fetched}", 3600


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (412, InvalidRequestError),
        (429, RateLimitedError),
        (500, ProviderUnavailableError),
        (502, ProviderUnavailableError),
        (503, ProviderUnavailableError),
        (302, InvalidResponseError),
    ],
)
async def test_status_maps_to_typed_error(
    peer: tuple[_Peer, str],
    http_session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response({"message": "nope"}, status=status)
    with pytest.raises(error):
        await HttpClient(http_session, url).request("GET", "/x")


async def test_invalid_request_keeps_provider_message(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response(
        {"code": 400, "message": "No ConnectivityPlan for ID", "errorId": "OSS-214"},
        status=400,
    )
    with pytest.raises(InvalidRequestError) as err:
        await HttpClient(http_session, url).request("GET", "/x")
    assert err.value.provider_message == "No ConnectivityPlan for ID"


async def test_infobip_style_error_message(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response(
        {"requestError": {"serviceException": {"text": "Invalid ICCID"}}}, status=400
    )
    with pytest.raises(InvalidRequestError) as err:
        await HttpClient(http_session, url).request("GET", "/x")
    assert err.value.provider_message == "Invalid ICCID"


async def test_rate_limit_reads_retry_after_seconds_and_date(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    client = HttpClient(http_session, url)
    state.answer = lambda _: web.json_response(
        {}, status=429, headers={"Retry-After": "42"}
    )
    with pytest.raises(RateLimitedError) as err:
        await client.request("GET", "/x")
    assert err.value.retry_after == 42

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    state.answer = lambda _: web.json_response(
        {}, status=429, headers={"Retry-After": when}
    )
    with pytest.raises(RateLimitedError) as err:
        await client.request("GET", "/x")
    assert err.value.retry_after is not None
    assert 100 < err.value.retry_after <= 120


async def test_rate_limit_reads_quota_reset(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response(
        {},
        status=429,
        headers={
            "quota-limit": "100",
            "quota-used": "100",
            "quota-reset-UTC": "1767225600000",
        },
    )
    client = HttpClient(http_session, url)
    with pytest.raises(RateLimitedError) as err:
        await client.request("GET", "/x")
    assert err.value.reset_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert client.api_quota is not None
    assert client.api_quota.remaining == 0


async def test_cached_token_refused_once_is_renewed(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda request: web.json_response(
        {}, status=200 if request.headers["Authorization"] == "Bearer token-2" else 401
    )
    auth = _CountingAuth()
    client = HttpClient(http_session, url)
    response = await client.request("GET", "/x", auth=auth)
    assert response.status == 200
    assert state.authorizations == ["Bearer token-1", "Bearer token-2"]
    await client.request("GET", "/x", auth=auth)
    assert auth.fetched == 2, "the renewed token is cached"


async def test_token_refused_twice_is_an_expired_auth_error(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response({}, status=401)
    auth = _CountingAuth()
    with pytest.raises(TokenExpiredError):
        await HttpClient(http_session, url).request("GET", "/x", auth=auth)
    assert auth.fetched == 2
    assert len(state.authorizations) == 2


async def test_bad_credentials_are_not_retried(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    auth = _CountingAuth(fail=True)
    with pytest.raises(AuthenticationError) as err:
        await HttpClient(http_session, url).request("GET", "/x", auth=auth)
    assert not isinstance(err.value, TokenExpiredError)
    assert state.authorizations == []


async def test_malformed_json_is_invalid_response(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.Response(
        text='{"broken": ', content_type="application/json"
    )
    response = await HttpClient(http_session, url).request("GET", "/x")
    with pytest.raises(InvalidResponseError):
        response.json()


async def test_timeout_and_refused_connection_are_unavailable(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.delay = 2
    client = HttpClient(http_session, url, timeout=aiohttp.ClientTimeout(total=0.2))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await client.request("GET", "/x")
    with pytest.raises(ProviderUnavailableError):
        await HttpClient(http_session, "http://127.0.0.1:9").request("GET", "/x")


def test_quota_headers_parse() -> None:
    quota = parse_api_quota(
        {
            "quota-limit": "1000",
            "quota-used": "250",
            "quota-interval": "1",
            "quota-time-unit": "hour",
            "quota-reset-UTC": "2026-01-01T00:00:00Z",
        }
    )
    assert quota is not None
    assert quota.remaining == 750
    assert quota.interval_seconds == 3600
    assert quota.reset_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_api_quota({"Content-Type": "application/json"}) is None


def test_reprs_hide_secrets() -> None:
    auth = _CountingAuth()
    auth._token = "super-secret-token"
    assert "super-secret-token" not in repr(auth)


async def test_forbidden_is_not_retried_with_a_new_token(
    peer: tuple[_Peer, str], http_session: aiohttp.ClientSession
) -> None:
    state, url = peer
    state.answer = lambda _: web.json_response({}, status=403)
    auth = _CountingAuth()
    with pytest.raises(AuthenticationError) as err:
        await HttpClient(http_session, url).request("GET", "/x", auth=auth)
    assert err.value.status == 403
    assert not isinstance(err.value, TokenExpiredError)
    assert auth.fetched == 1
