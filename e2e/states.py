"""What Home Assistant holds, read as the demo user: states and statistics.

The browser shows what a user sees; these checks wait for what the page
should then show (a state the demo brings about within a minute) and find
entities by the names a user sees, through the REST and websocket APIs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import json
import time
from typing import Any, Final

import aiohttp

from scripts.develop import HomeAssistantApi

STATE_TIMEOUT: Final = 150.0
"""Seconds the demo may take to bring about a state: its SIMs are read every
minute, and a busy machine is slower."""


class States:
    """The demo instance's REST and websocket APIs, logged in as the demo user."""

    def __init__(self, url: str) -> None:
        """Log in to the demo instance at ``url``."""
        self._api = HomeAssistantApi(url)
        self._api.log_in()
        self._url = url
        # The demo's own client keeps its token to itself; the websocket needs it.
        self._token = self._api.token

    def template(self, template: str) -> Any:
        """Render ``template`` (which renders JSON) and parse it."""
        return self._api.request("POST", "/api/template", {"template": template})

    def device_id(self, name: str) -> str:
        """The id of the device named ``name``."""
        device: str | None = self.template(f"{{{{ device_id({name!r}) | tojson }}}}")
        if not device:
            msg = f"no device is named {name!r}"
            raise LookupError(msg)
        return device

    def entity_id(self, device: str, domain: str, name: str | None = None) -> str:
        """The entity of ``domain`` of device ``device``, named ``name`` if given.

        Its friendly name is the device's name followed by the entity's. Waits
        for it: a reading's entity is made at the first uplink that has it.
        """
        deadline = time.monotonic() + STATE_TIMEOUT
        while True:
            try:
                return self._entity_id(device, domain, name)
            except LookupError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)

    def _entity_id(self, device: str, domain: str, name: str | None) -> str:
        entities: list[str] = self.template(
            f"{{{{ device_entities(device_id({device!r})) | tojson }}}}"
        )
        friendly = device if name is None else f"{device} {name}"
        for entity_id in entities:
            if entity_id.startswith(f"{domain}."):
                state = self.state(entity_id)
                if name is None or state["attributes"].get("friendly_name") == friendly:
                    return entity_id
        msg = f"device {device!r} has no {domain} entity {friendly!r}: {entities}"
        raise LookupError(msg)

    def state(self, entity_id: str) -> dict[str, Any]:
        """The state of ``entity_id`` with its attributes."""
        state: dict[str, Any] = self._api.request("GET", f"/api/states/{entity_id}")
        return state

    def wait_for(
        self,
        entity_id: str,
        what: str,
        check: Callable[[dict[str, Any]], bool],
        timeout: float = STATE_TIMEOUT,
    ) -> dict[str, Any]:
        """Poll ``entity_id`` until ``check`` holds for its state; that state."""
        deadline = time.monotonic() + timeout
        while not check(state := self.state(entity_id)):
            if time.monotonic() > deadline:
                msg = (
                    f"{entity_id} never showed {what} within {timeout:.0f} s; "
                    f"last state: {json.dumps(state)}"
                )
                raise AssertionError(msg)
            time.sleep(1)
        return state

    def statistic_ids(self, statistic_type: str) -> list[dict[str, Any]]:
        """The recorder's statistics of ``statistic_type`` (``sum`` or ``mean``).

        In a thread of its own: Playwright's sync API runs an event loop here.
        """
        command = {
            "type": "recorder/list_statistic_ids",
            "statistic_type": statistic_type,
        }
        with ThreadPoolExecutor(max_workers=1) as pool:
            result: list[dict[str, Any]] = pool.submit(
                asyncio.run, self._websocket(command)
            ).result(timeout=60)
        return result

    async def _websocket(self, command: dict[str, Any]) -> Any:
        url = self._url.replace("http", "ws", 1) + "/api/websocket"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self._token})
            if (answer := await ws.receive_json())["type"] != "auth_ok":
                msg = f"the websocket API refused the demo user: {answer}"
                raise AssertionError(msg)
            await ws.send_json({"id": 1, **command})
            answer = await ws.receive_json()
            if not answer.get("success"):
                msg = f"{command['type']} failed: {answer}"
                raise AssertionError(msg)
            return answer["result"]
