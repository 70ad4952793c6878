"""Run the provider emulators over real HTTP on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from aiohttp import web

from .core import ProviderEmulator
from .infobip import InfobipEmulator
from .kpn_lora import KpnLoraEmulator
from .kpn_sim import KpnSimEmulator
from .onence import OneNceEmulator
from .tmobile import TMobileEmulator

HOST = "127.0.0.1"


@dataclass(slots=True)
class _Running:
    runner: web.AppRunner
    url: str


class EmulatorServer:
    """The provider emulators, each on its own port.

    ``kpn_sim``, ``tmobile``, ``infobip``, ``kpn_lora`` and ``onence`` are the
    stateful emulators; ``url(name)`` is where each listens once started.
    """

    def __init__(
        self,
        *,
        sims: int = 0,
        lora_devices: int = 0,
        seed: int = 0,
        token_lifetime: float | None = None,
    ) -> None:
        """Seed each provider with its documents' examples plus generated records."""
        self.kpn_sim = KpnSimEmulator(generated=sims, seed=seed)
        self.tmobile = TMobileEmulator(generated=sims, seed=seed)
        self.infobip = InfobipEmulator(generated=sims, seed=seed)
        self.kpn_lora = KpnLoraEmulator(generated=lora_devices, seed=seed)
        self.onence = OneNceEmulator(generated=sims, seed=seed)
        if token_lifetime is not None:
            for emulator in self.providers.values():
                emulator.tokens.lifetime = token_lifetime
        self._running: dict[str, _Running] = {}

    @property
    def providers(self) -> dict[str, ProviderEmulator]:
        """The emulators by provider key (the config flow's step ids).

        In port order: ``python -m iot_emulator`` gives each the next port.
        """
        return {
            "kpn_iot_sim": self.kpn_sim,
            "tmobile_easy_connect": self.tmobile,
            "infobip_iot": self.infobip,
            "kpn_lora": self.kpn_lora,
            "1nce": self.onence,
        }

    def url(self, provider: str) -> str:
        """Base URL (origin) of a started provider."""
        return self._running[provider].url

    async def start(self, ports: dict[str, int] | None = None) -> None:
        """Listen on the given ports (0 or absent: any free port)."""
        ports = ports or {}
        for key, emulator in self.providers.items():
            runner = web.AppRunner(emulator.make_app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, HOST, ports.get(key, 0))
            await site.start()
            port = runner.addresses[0][1]
            self._running[key] = _Running(runner, f"http://{HOST}:{port}")

    async def stop(self) -> None:
        """Close every listener."""
        for running in self._running.values():
            await running.runner.cleanup()
        self._running.clear()

    async def __aenter__(self) -> Self:
        """Start on free ports."""
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop."""
        await self.stop()
