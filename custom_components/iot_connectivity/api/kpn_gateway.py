"""The KPN API gateway's OAuth2 client-credentials token, shared by both KPN APIs."""

from __future__ import annotations

from typing import override

from ._http import HttpClient, TokenAuthenticator
from ._parse import as_mapping, opt_float, require_str
from .errors import AuthenticationError

KPN_GATEWAY_URL = "https://api-prd.kpn.com"
TOKEN_PATH = "/oauth/client_credential/accesstoken"  # noqa: S105 - a path


class KpnGatewayAuth(TokenAuthenticator):
    """Fetches and caches the gateway's bearer token for one client id."""

    def __init__(self, http: HttpClient, client_id: str, client_secret: str) -> None:
        """Use ``http`` (the gateway origin) to fetch tokens."""
        super().__init__()
        self._http = http
        self.client_id = client_id
        self._client_secret = client_secret

    @override
    async def _fetch_token(self) -> tuple[str, float | None]:
        response = await self._http.request(
            "POST",
            TOKEN_PATH,
            endpoint="token",
            params={"grant_type": "client_credentials"},
            form={"client_id": self.client_id, "client_secret": self._client_secret},
        )
        data = as_mapping(response.json(), "KPN token")
        token = require_str(data, "access_token", "KPN token")
        if str(data.get("token_type", "Bearer")).lower() != "bearer":
            raise AuthenticationError("KPN token: unexpected token type")
        return token, opt_float(data.get("expires_in"))
