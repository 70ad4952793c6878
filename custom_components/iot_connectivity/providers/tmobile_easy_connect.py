"""T-Mobile NL IoT Easy Connect: the management API, with T-Mobile's address."""

from __future__ import annotations

from typing import Final

from ..api.tmobile import TMOBILE_URL
from .management_api import management_api_spec

SPEC: Final = management_api_spec(
    provider_id="tmobile_easy_connect",
    name="T-Mobile IoT Easy Connect",
    manufacturer="T-Mobile",
    url=TMOBILE_URL,
)
