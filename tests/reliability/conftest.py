"""Fixtures of the reliability tests: entries on the emulator, shortened timeouts.

The figures the closing summary prints (fault cases, fuzz examples, secret
checks) are counted while the tests run, also across ``pytest -n`` workers.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import aiohttp
from hypothesis import HealthCheck, settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.iot_connectivity.api import (
    infobip,
    kpn_lora,
    kpn_sim,
    management_api,
)
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_PROVIDER,
    DOMAIN,
)
from custom_components.iot_connectivity.providers import PROVIDERS
from iot_emulator.server import EmulatorServer
from tests.integration.conftest import CREDENTIALS

from .counts import COUNTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

FUZZ_PROFILE = "reliability"
settings.register_profile(
    FUZZ_PROFILE,
    # Parsers are fast, but a first call may import or warm caches.
    deadline=None,
    # The suite must not write a database into the work tree.
    database=None,
    # The same examples on every run: a failure in CI reproduces by hand.
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=1.0)
"""Long enough for the emulator on a busy machine, short enough to fault on."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/iot_connectivity."""


@pytest.fixture(autouse=True)
def short_client_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every provider client a one-second timeout instead of thirty."""
    for module in (kpn_sim, management_api, infobip, kpn_lora):
        monkeypatch.setattr(module, "DEFAULT_TIMEOUT", CLIENT_TIMEOUT)


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[EmulatorServer]:
    """The emulators with two generated SIMs and devices besides the examples.

    Every account then has several SIMs, so one that fails can be told apart
    from its neighbours.
    """
    server = EmulatorServer(sims=2, lora_devices=2)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=list(Provider), ids=str)
def provider(request: pytest.FixtureRequest) -> Provider:
    """Each provider in turn."""
    return Provider(request.param)


@pytest.fixture
def mock_config_entry(emulator: EmulatorServer, provider: Provider) -> MockConfigEntry:
    """An entry of ``provider``'s demo account on the emulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{PROVIDERS[provider].name} (demo)",
        unique_id=f"{provider}_demo",
        data={
            CONF_PROVIDER: provider.value,
            **CREDENTIALS[provider](emulator.url(provider)),
        },
        entry_id=f"{provider}_entry",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand a worker's counts to the controller of a ``pytest -n`` run."""
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_counts"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Add up the counts of a finished ``pytest -n`` worker."""
    del error
    COUNTS.update(Counter(node.workeroutput.get("reliability_counts", {})))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the reliability tests exercised, when they ran."""
    if COUNTS:
        figures = ", ".join(f"{count} {what}" for what, count in sorted(COUNTS.items()))
        terminalreporter.write_line(f"reliability: {figures}")
