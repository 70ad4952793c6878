"""1NCE: the management API at 1NCE, signed in as a portal API user."""

from __future__ import annotations

from typing import Final

from ..api.management_api import ONENCE
from .management_api import management_api_spec

SPEC: Final = management_api_spec(ONENCE, name="1NCE IoT SIM", manufacturer="1NCE")
