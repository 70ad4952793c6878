"""Fixtures shared by every test: the provider emulator over real HTTP."""

pytest_plugins = ["iot_emulator.pytest_plugin"]
