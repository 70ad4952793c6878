"""Run the provider emulator: ``python -m iot_emulator --port 8300``.

The five providers listen on consecutive ports starting at ``--port``:
KPN IoT SIM, T-Mobile, Infobip, KPN LoRa (the LoRa port also serves the LRC
downlink route), 1NCE. ``--tick`` lets simulated time pass so usage grows, devices
report and alarms come and go.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .server import EmulatorServer

_LOGGER = logging.getLogger("iot_emulator")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m iot_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8300, help="first of five ports")
    parser.add_argument(
        "--sims", type=int, default=0, help="generated SIMs per provider"
    )
    parser.add_argument(
        "--lora-devices", type=int, default=0, help="generated LoRa devices"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the generated records"
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=0.0,
        help="seconds between simulated-time steps (0: off)",
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=None, help="token lifetime in seconds"
    )
    return parser


async def _run(args: argparse.Namespace) -> None:
    server = EmulatorServer(
        sims=args.sims,
        lora_devices=args.lora_devices,
        seed=args.seed,
        token_lifetime=args.token_lifetime,
    )
    ports = {key: args.port + offset for offset, key in enumerate(server.providers)}
    await server.start(ports)
    for key in server.providers:
        print(f"{key:22} {server.url(key)}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.tick or None)
            if args.tick and not stop.is_set():
                for emulator in server.providers.values():
                    emulator.tick(args.tick)
    finally:
        await server.stop()


def main() -> None:
    """Parse the command line and serve until interrupted."""
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_run(_parser().parse_args()))


if __name__ == "__main__":
    main()
