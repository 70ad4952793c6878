"""T-Mobile NL IoT Easy Connect: the management API at T-Mobile."""

from __future__ import annotations

from typing import Final

from ..api.management_api import TMOBILE
from .management_api import management_api_spec

SPEC: Final = management_api_spec(
    TMOBILE, name="T-Mobile IoT Easy Connect", manufacturer="T-Mobile"
)
