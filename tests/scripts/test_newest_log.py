"""The newest-release check (e2e/newest.py) reads home-assistant.log right."""

from __future__ import annotations

from e2e.newest import records

LOG = """\
2026-12-02 15:37:04.974+00:00 WARNING (MainThread) [homeassistant.bootstrap] Skipping pip installation of required modules. This may cause issues
2026-12-02 15:37:04.977+00:00 WARNING (SyncWorker_1) [homeassistant.loader] We found a custom integration iot_connectivity which has not been tested by Home Assistant. This component might cause stability problems, be sure to disable it if you experience issues with Home Assistant
2026-12-02 15:37:09.297 DEBUG (MainThread) [custom_components.iot_connectivity.api] token -> 200 (220 bytes)
2026-12-02 15:37:09.300 WARNING (MainThread) [custom_components.iot_connectivity.coordinator] T-Mobile: 3 SIMs not read
2026-12-02 15:37:09.400 WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom integration 'iot_connectivity' calls a deprecated function at custom_components/iot_connectivity/sensor.py, line 12. This will stop working in Home Assistant 2027.5
2026-12-02 15:37:09.500 ERROR (MainThread) [homeassistant.config_entries] Error setting up entry KPN LoRa for the integration
Traceback (most recent call last):
  File "/config/custom_components/iot_connectivity/__init__.py", line 92, in async_setup_entry
ValueError: boom
2026-12-02 15:37:09.600 ERROR (MainThread) [homeassistant.setup] Setup failed for 'analytics': Unable to import component
2026-12-02 15:37:09.700 WARNING (MainThread) [homeassistant.loader] We found a custom integration other_one which has not been tested by Home Assistant. This component might cause stability problems
"""


def test_only_the_custom_integration_warning_is_tolerated() -> None:
    found = records(LOG)
    assert len(found) == 8
    assert [record.expected for record in found].count(True) == 1
    ours = [record for record in found if record.ours]
    assert [record.logger for record in ours] == [
        "custom_components.iot_connectivity.coordinator",
        "homeassistant.helpers.frame",
        "homeassistant.config_entries",
    ]
    # The traceback belongs to its record: that is where the mention is.
    assert "ValueError: boom" in ours[2].text


def test_the_expected_warning_only_from_the_loader() -> None:
    text = (
        "2026-12-02 15:37:04.977 ERROR (MainThread) [homeassistant.loader] We found "
        "a custom integration iot_connectivity which has not been tested by Home "
        "Assistant. This component might cause stability problems"
    )
    (record,) = records(text)
    assert not record.expected
    assert record.ours
