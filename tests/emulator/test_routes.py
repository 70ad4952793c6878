"""What every provider emulator's routes share."""

from __future__ import annotations

import pytest

from iot_emulator.core import CONTROL_PREFIX
from iot_emulator.server import EmulatorServer

PROVIDERS = EmulatorServer().providers


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_route_is_named(provider: str) -> None:
    """A fault can be injected into every route but the emulator's own control API."""
    app = PROVIDERS[provider].make_app()
    unnamed = [
        resource.canonical
        for resource in app.router.resources()
        if not resource.name and not resource.canonical.startswith(CONTROL_PREFIX)
    ]
    assert unnamed == []
