"""A stateful emulator of the provider APIs, for tests and the demo.

It never ships with the integration: it lives outside ``custom_components``.
"""
