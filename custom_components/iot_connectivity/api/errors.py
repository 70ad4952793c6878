"""Typed errors raised by the provider clients.

Every failure that leaves the library is one of these; no ``KeyError``,
``TypeError`` or ``aiohttp`` exception escapes a client call.
"""

from __future__ import annotations

from datetime import datetime


class IoTConnectivityError(Exception):
    """Base class of every error this library raises."""


class AuthenticationError(IoTConnectivityError):
    """The credentials were refused: the user must correct them."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status: only a 401 may be cured by a fresh token."""
        super().__init__(message)
        self.status = status


class TokenExpiredError(AuthenticationError):
    """A token was refused even after one fresh re-authentication."""


class ActivationError(AuthenticationError):
    """The KPN LoRa API could not be activated with the ThingPark credentials."""


class RateLimitedError(IoTConnectivityError):
    """The provider's request quota is spent (HTTP 429)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        """Keep when the provider says a retry may succeed."""
        super().__init__(message)
        self.retry_after = retry_after
        self.reset_at = reset_at


class NotFoundError(IoTConnectivityError):
    """The SIM, device or alarm does not exist (HTTP 404)."""


class InvalidRequestError(IoTConnectivityError):
    """The provider refused the request as invalid (HTTP 400, 409, 412, 422)."""

    def __init__(
        self,
        message: str,
        *,
        provider_message: str | None = None,
        provider_code: str | None = None,
        status: int | None = None,
    ) -> None:
        """Keep the provider's explanation for the user, its error code and the status."""
        super().__init__(message)
        self.provider_message = provider_message
        self.provider_code = provider_code
        self.status = status


class ProviderUnavailableError(IoTConnectivityError):
    """The provider could not be reached or failed (5xx, timeout, connection)."""


class InvalidResponseError(IoTConnectivityError):
    """The provider answered with something unparseable or of the wrong shape."""
