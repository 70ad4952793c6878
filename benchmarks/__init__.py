"""Scale benchmark: thousands of SIMs and LoRa devices on one Home Assistant.

Run it with ``scripts/bench``; ``docs/performance.md`` explains the method.
"""
