"""Pytest fixtures that run the emulator over real HTTP on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .server import EmulatorServer


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[EmulatorServer]:
    """The provider emulators, seeded with the documents' examples.

    ``socket_enabled`` (pytest-socket, via Home Assistant's test plugin) allows
    real sockets; connections stay limited to 127.0.0.1.
    """
    server = EmulatorServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session for library and emulator tests."""
    async with aiohttp.ClientSession() as session:
        yield session
