"""The provider emulator on its own thread and event loop.

Home Assistant's loop then spends its CPU time on the integration alone, so
``time.thread_time()`` on that loop measures the integration, not the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import threading
from typing import Any

from aiohttp import web

from iot_emulator.server import HOST, EmulatorServer


class EmulatorThread:
    """Runs ``server`` on a private event loop in a background thread."""

    def __init__(self, server: EmulatorServer) -> None:
        """Prepare the loop; nothing runs before :meth:`start`."""
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="emulator", daemon=True
        )
        self._runners: list[web.AppRunner] = []

    async def start(self) -> None:
        """Start the thread and the four provider listeners."""
        self._thread.start()
        await self._run(self.server.start())

    async def serve(self, app: web.Application) -> str:
        """Serve one more ``app`` on this thread; return its URL."""
        runner = web.AppRunner(app, access_log=None)
        self._runners.append(runner)

        async def start() -> None:
            await runner.setup()
            await web.TCPSite(runner, HOST, 0).start()

        await self._run(start())
        return f"http://{HOST}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop the listeners, the loop and the thread."""
        for runner in self._runners:
            await self._run(runner.cleanup())
        await self._run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()

    async def call(self, function: Callable[[], None]) -> None:
        """Run ``function`` on the emulator's loop, between two of its requests."""

        async def run() -> None:
            function()

        await self._run(run())

    async def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        )
