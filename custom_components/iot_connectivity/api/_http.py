"""The one place where HTTP happens: timeouts, auth retry and error mapping."""

from __future__ import annotations

import abc
import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import logging
import time
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
import orjson

from ._parse import opt_datetime, opt_float, opt_int, opt_mapping, opt_str
from .errors import (
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    TokenExpiredError,
)
from .models import ApiQuota

_LOGGER = logging.getLogger(__package__)

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30)
TOKEN_REFRESH_MARGIN = 60.0
"""Seconds before expiry at which a cached token is renewed."""
TOKEN_RETRY_DELAY = 30.0
"""Seconds during which refused credentials are not offered again."""

_INVALID_REQUEST_STATUSES = frozenset({400, 405, 409, 412, 413, 422})


@dataclass(frozen=True, slots=True)
class Response:
    """A successful answer: status, headers and the body bytes."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON, or InvalidResponseError.

        ``orjson`` (a dependency of Home Assistant itself) decodes about twice
        as fast as ``json``; it refuses what is not strict JSON (NaN, lone
        surrogates, nesting deeper than 1,024) with a ValueError.
        """
        try:
            return orjson.loads(self.body)
        except ValueError as err:
            raise InvalidResponseError("The provider sent malformed JSON") from err


class Authenticator(abc.ABC):
    """Adds credentials to requests; token variants cache and renew."""

    @abc.abstractmethod
    async def headers(self) -> dict[str, str]:
        """Headers that authenticate one request."""

    @property
    def retry_on_unauthorized(self) -> bool:
        """Whether a 401 may be cured by fetching a new credential."""
        return False

    def invalidate(self, refused: Mapping[str, str]) -> None:  # noqa: B027 - static credentials have nothing to forget
        """Forget a cached credential after the provider refused ``refused``."""


class TokenAuthenticator(Authenticator):
    """A bearer token fetched on demand, cached until shortly before expiry."""

    default_lifetime: float = 3600.0

    def __init__(self) -> None:
        """Start without a token."""
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._failure: AuthenticationError | None = None
        self._retry_at = 0.0

    @abc.abstractmethod
    async def _fetch_token(self) -> tuple[str, float | None]:
        """Fetch a new token and its lifetime in seconds (None if not given)."""

    @property
    def retry_on_unauthorized(self) -> bool:
        """A refused cached token is renewed once."""
        return True

    def invalidate(self, refused: Mapping[str, str]) -> None:
        """Drop the cached token if it is the refused one.

        Requests refused together must not each drop the token another one
        has just renewed.
        """
        if self._token is not None and refused == self._headers(self._token):
            self._token = None
            self._expires_at = 0.0

    async def token(self) -> str:
        """A valid token, fetched once even when many requests ask at once.

        Refused credentials are not offered again for
        :data:`TOKEN_RETRY_DELAY` seconds: the requests of one poll share the
        refusal instead of each asking again (they do not become valid by
        themselves; new ones come with a new client).
        """
        if self._token is not None and time.monotonic() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires_at:
                return self._token
            if self._failure is not None and time.monotonic() < self._retry_at:
                raise self._failure.with_traceback(None)
            try:
                token, lifetime = await self._fetch_token()
            except AuthenticationError as err:
                self._failure = err
                self._retry_at = time.monotonic() + TOKEN_RETRY_DELAY
                raise
            self._failure = None
            lifetime = lifetime if lifetime and lifetime > 0 else self.default_lifetime
            margin = min(TOKEN_REFRESH_MARGIN, lifetime / 10)
            self._token = token
            self._expires_at = time.monotonic() + lifetime - margin
            return token

    @staticmethod
    def _headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def headers(self) -> dict[str, str]:
        """An ``Authorization: Bearer`` header."""
        return self._headers(await self.token())

    def __repr__(self) -> str:
        """Never show the token."""
        return f"<{type(self).__name__} token={'set' if self._token else 'none'}>"


def _provider_message(body: bytes) -> str | None:
    """The human explanation in a provider's error body, if any."""
    try:
        data = orjson.loads(body)
    except ValueError:
        text = body.decode("utf-8", errors="replace").strip()
        return text[:200] or None
    obj = opt_mapping(data)
    for key in ("message", "error_description", "errorMessage", "error", "text"):
        if (message := opt_str(obj.get(key))) is not None:
            return message
    nested = opt_mapping(opt_mapping(obj.get("requestError")).get("serviceException"))
    return opt_str(nested.get("text"))


def _provider_code(body: bytes) -> str | None:
    """The machine-readable code in a provider's error body (1NCE's ``errorCode``)."""
    try:
        data = orjson.loads(body)
    except ValueError:
        return None
    return opt_str(opt_mapping(data).get("errorCode"))


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta or HTTP date)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    if (seconds := opt_float(value)) is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def parse_api_quota(headers: Mapping[str, str]) -> ApiQuota | None:
    """The KPN gateway ``quota-*`` headers, or None when absent."""
    if "quota-limit" not in headers and "quota-used" not in headers:
        return None
    return ApiQuota(
        limit=opt_int(headers.get("quota-limit")),
        used=opt_int(headers.get("quota-used")),
        interval=opt_int(headers.get("quota-interval")),
        time_unit=opt_str(headers.get("quota-time-unit")),
        reset_at=_quota_reset(headers.get("quota-reset-UTC")),
    )


def _quota_reset(value: str | None) -> datetime | None:
    """``quota-reset-UTC`` as epoch milliseconds or an ISO time."""
    if value is None:
        return None
    if (millis := opt_int(value)) is not None:
        return opt_datetime(millis)
    return opt_datetime(value)


class HttpClient:
    """Sends requests to one provider base URL and maps every failure."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        """Use ``session``; paths are appended to ``base_url``."""
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self.api_quota: ApiQuota | None = None
        self.request_counts: Counter[str] = Counter()

    def __repr__(self) -> str:
        """Show where it talks to, nothing else."""
        return f"<HttpClient {self.base_url}>"

    async def request(
        self,
        method: str,
        path: str,
        *,
        auth: Authenticator | None = None,
        endpoint: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> Response:
        """Send a request; a 401 with a cached token is retried once, renewed.

        ``endpoint`` names the request for counting (defaults to method + path);
        ``url`` replaces base URL + path for absolute addresses (LRC downlink).
        """
        name = endpoint or f"{method} {path}"
        base_headers = {"Accept": "application/json", **(headers or {})}

        async def send(auth_headers: Mapping[str, str]) -> Response:
            return await self._send(
                name,
                method,
                url or f"{self.base_url}{path}",
                headers={**base_headers, **auth_headers},
                params=params,
                json_body=json_body,
                form=form,
            )

        refused = await auth.headers() if auth is not None else {}
        try:
            return await send(refused)
        except AuthenticationError as err:
            refused_token = err.status == HTTPStatus.UNAUTHORIZED
            if auth is None or not auth.retry_on_unauthorized or not refused_token:
                raise
        auth.invalidate(refused)
        # A failure to fetch the new token is a credentials problem and propagates.
        auth_headers = await auth.headers()
        try:
            return await send(auth_headers)
        except AuthenticationError as err:
            raise TokenExpiredError(
                f"{name}: a freshly issued token was refused"
            ) from err

    async def _send(
        self,
        name: str,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
    ) -> Response:
        self.request_counts[name] += 1
        try:
            async with self._session.request(
                method,
                target,
                params=params,
                json=json_body,
                data=form,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                status, resp_headers = resp.status, resp.headers
        except TimeoutError as err:
            raise ProviderUnavailableError(f"{name}: timed out") from err
        except aiohttp.ClientError as err:
            raise ProviderUnavailableError(f"{name}: {type(err).__name__}") from err
        _LOGGER.debug("%s -> %s (%d bytes)", name, status, len(body))
        if (quota := parse_api_quota(resp_headers)) is not None:
            self.api_quota = quota
        if 200 <= status < 300:  # noqa: PLR2004
            return Response(status, resp_headers, body)
        raise self._error(name, status, resp_headers, body)

    def _error(
        self, name: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> Exception:
        message = _provider_message(body)
        summary = f"{name}: HTTP {status}"
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            return AuthenticationError(summary, status=status)
        if status == 404:  # noqa: PLR2004
            return NotFoundError(summary)
        if status == 429:  # noqa: PLR2004
            quota = parse_api_quota(headers)
            return RateLimitedError(
                summary,
                retry_after=_retry_after(headers),
                reset_at=quota.reset_at if quota else None,
            )
        if status in _INVALID_REQUEST_STATUSES:
            return InvalidRequestError(
                f"{summary}: {message}" if message else summary,
                provider_message=message,
                provider_code=_provider_code(body),
                status=status,
            )
        if status >= 500:  # noqa: PLR2004
            return ProviderUnavailableError(summary)
        return InvalidResponseError(f"{summary} was not expected")


class ProviderApi:
    """Requests below one base path with one authenticator: what a client sends."""

    def __init__(
        self, http: HttpClient, auth: Authenticator, base_path: str = ""
    ) -> None:
        """Send through ``http``, authenticated by ``auth``, below ``base_path``."""
        self._http = http
        self._auth = auth
        self._base_path = base_path

    def __repr__(self) -> str:
        """Show where it talks to, never the credentials."""
        return f"<ProviderApi {self._http.base_url}{self._base_path}>"

    async def request(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
    ) -> Response:
        """Send an authenticated request to ``base_path + path``, named ``endpoint``."""
        return await self._http.request(
            method,
            f"{self._base_path}{path}",
            auth=self._auth,
            endpoint=endpoint,
            params=params,
            json_body=json_body,
        )
