"""End-to-end test: the demo instance in a real (headless Chromium) browser.

Run through ``scripts/e2e``: it starts ``scripts/develop`` on free ports with
a fresh config folder, walks through what a newcomer does first, and saves a
screenshot of each step to ``artifacts/e2e/``.
"""
