"""The KPN API gateway as both KPN emulators share it: token and quota headers."""

from __future__ import annotations

import time

from aiohttp import web

from .core import (
    ProviderEmulator,
    RequestQuota,
    bearer_subject,
    json_error,
    json_response,
)

TOKEN_PATH = "/oauth/client_credential/accesstoken"  # noqa: S105 - a path
DEFAULT_CLIENT_ID = "demo-client-id"
DEFAULT_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - emulator's own demo credential


class KpnGatewayEmulator(ProviderEmulator):
    """Adds the gateway token route and ``quota-*`` headers on every answer.

    ``clients`` maps client ids to secrets; change or delete one to revoke
    credentials. The quota is not enforced unless ``quota.enforce`` is set.
    """

    token_lifetime = 3599.0

    def __init__(self) -> None:
        """One known client; quota headers always sent."""
        super().__init__()
        self.clients: dict[str, str] = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
        self.quota = RequestQuota()

    def add_gateway_routes(self, app: web.Application) -> None:
        """The token endpoint (form body ``client_id`` / ``client_secret``)."""
        app.router.add_post(TOKEN_PATH, self._token, name="token")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id = str(form.get("client_id", ""))
        secret = str(form.get("client_secret", ""))
        if request.query.get("grant_type") != "client_credentials":
            return json_error(400, "Unsupported grant_type")
        if not client_id or self.clients.get(client_id) != secret:
            return json_error(401, "Invalid client credentials", name="invalid_client")
        token, expires_in = self.tokens.issue(client_id)
        return json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "expires_in": str(expires_in),
                "api_product_list": "[IoT Programmable SIM, LoRa Device Management]",
                "status": "approved",
            }
        )

    def authorized(self, request: web.Request) -> str | None:
        """The client id of a valid bearer token on ``request``, else None."""
        return bearer_subject(self, request)


def unauthorized() -> web.Response:
    """The gateway's 401 answer for a missing, unknown or expired token."""
    return json_error(401, "Invalid access token", name="invalid_token")
