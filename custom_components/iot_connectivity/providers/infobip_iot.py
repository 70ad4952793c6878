"""Infobip IoT SIM: Basic auth or an API key, on a personal base URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_URL, CONF_USERNAME
import probatio

from ..api.infobip import INFOBIP_URL, InfobipClient
from .spec import SECRET, TEXT, URL, DeviceKind, ProviderSpec

if TYPE_CHECKING:
    import aiohttp


def _client(
    session: aiohttp.ClientSession, data: Mapping[str, Any], *, sign_in: bool
) -> InfobipClient:
    return InfobipClient(
        session,
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
        api_key=data.get(CONF_API_KEY),
        url=data[CONF_URL],
    )


def _login_or_api_key(data: Mapping[str, Any]) -> dict[str, str]:
    """Point at the field that breaks "username and password, or an API key"."""
    if CONF_API_KEY in data:
        both = CONF_USERNAME in data or CONF_PASSWORD in data
        return {CONF_API_KEY: "login_or_api_key"} if both else {}
    missing = [key for key in (CONF_USERNAME, CONF_PASSWORD) if key not in data]
    return {missing[0]: "login_or_api_key"} if missing else {}


SPEC: Final = ProviderSpec(
    id="infobip_iot",
    name="Infobip IoT SIM",
    manufacturer="Infobip",
    device_kind=DeviceKind.SIM,
    # Basic credentials or an API key: both optional here, and
    # _login_or_api_key asks for exactly one of the two.
    fields=probatio.Schema(
        {
            probatio.Optional(CONF_USERNAME): TEXT,
            probatio.Optional(probatio.Secret(CONF_PASSWORD)): SECRET,
            probatio.Optional(probatio.Secret(CONF_API_KEY)): SECRET,
            probatio.Required(CONF_URL, default=INFOBIP_URL): URL,
        }
    ),
    create_client=_client,
    check_fields=_login_or_api_key,
    form_placeholders={"example_url": "https://xxxxx.api.infobip.com"},
    capabilities=InfobipClient.capabilities,
)
