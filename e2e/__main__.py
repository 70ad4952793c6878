"""Walk through the demo in headless Chromium: ``python -m e2e`` (scripts/e2e).

Each step is what a newcomer does in the first minutes; each leaves a
screenshot in ``artifacts/e2e/``. The emulator's control API confirms that
what the browser did reached the provider. Then the demo is stopped with
Ctrl-C, and two more demos are stopped in other states (``stopping.py``):
every stop must leave no process behind, and so must the whole run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import functools
import re
import signal
import sys
import time
import traceback
from typing import Any, Final
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    TimeoutError as PlaywrightTimeoutError,
    ViewportSize,
    expect,
    sync_playwright,
)

from iot_emulator import infobip, management_api

from .demo import ROOT, Demo, DemoProcess, exit_on_sigterm, leftovers, say
from .processes import Process
from .states import States
from .stopping import STOP_CHECKS, stop_report

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS: Final = ROOT / "artifacts" / "e2e"
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 900}
TALL: Final = 1150
"""Pixels of a window tall enough for a LoRa device's page."""
UI_TIMEOUT: Final = 30_000
"""Milliseconds a page may take to show what a step expects."""
EMULATOR_TIMEOUT: Final = 30.0
"""Seconds an action may take to reach the emulator."""

DEMO_LOGIN: Final = ("demo", "demo-iot-connectivity")
ACCOUNT_NAMES: Final = (
    "KPN IoT Programmable SIM",
    "T-Mobile IoT Easy Connect",
    "Infobip IoT SIM",
    "KPN LoRa",
    "1NCE IoT SIM",
)
SIM_NAME: Final = "Weather station Utrecht"
SIM_ICCID: Final = "8988280666000001234"
SMS_TEXT: Final = "STATUS? (sent by the end-to-end test)"
DEMO_OPTIONS: Final = ("--push-every", "31", "--imei-change-after", "15")
"""A brisker demo: the LoRa sensors report every 31 s (a device's rhythm is
learned from gaps of 30 s and more) and the KPN SIM moves 15 s after the start."""
LORA_SENSOR: Final = "Living room climate"
TRACKER: Final = "Bike tracker"
MOVED_SIM: Final = "Pumping station Zeeburg"
USAGE_STATISTIC: Final = f"{SIM_NAME} data used"


@dataclass
class Run:
    """What the steps share: the page, the demo and what earlier steps found."""

    page: Page
    demo: Demo
    screenshots: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sim_device_id: str = ""
    _states: States | None = None

    @property
    def states(self) -> States:
        """Home Assistant's states, read as the demo user (logged in once)."""
        if self._states is None:
            self._states = States(self.demo.ha_url)
        return self._states

    def open_device(self, name: str) -> None:
        """Open the page of the device named ``name``."""
        device_id = self.states.device_id(name)
        self.page.goto(self.url(f"/config/devices/device/{device_id}"))
        expect(self.page.get_by_text(name, exact=True).first).to_be_visible()

    def shot(self, name: str) -> None:
        """Save a screenshot of the page as ``NN-name.png``."""
        path = SCREENSHOTS / f"{len(self.screenshots) + 1:02d}-{name}.png"
        self.page.screenshot(path=path)
        self.screenshots.append(str(path.relative_to(ROOT)))

    def url(self, path: str) -> str:
        """An address of the demo instance."""
        return f"{self.demo.ha_url}{path}"

    def wait_for_emulator(self, what: str, check: Callable[[], bool]) -> None:
        """Poll the emulator until ``check`` holds."""
        deadline = time.monotonic() + EMULATOR_TIMEOUT
        while not check():
            if time.monotonic() > deadline:
                msg = f"the emulator never showed {what}"
                raise AssertionError(msg)
            time.sleep(0.5)

    def sim_status(self) -> str:
        """The demo SIM's status at the emulator (``Enabled`` / ``Disabled``)."""
        status: str = self._sim()["sim"]["status"]
        return status

    def sms_sent_to_sim(self) -> list[str]:
        """The texts of the SMS the emulator received for the demo SIM."""
        return [
            sms["payload"]
            for sms in self._sim()["sms"]
            if sms["sms_type"]["description"] == "MT"
        ]

    def _sim(self) -> Any:
        return self.demo.emulator_state("tmobile_easy_connect")["sims"][SIM_ICCID]


def log_in(run: Run) -> None:
    """Log in as the demo user on the login page."""
    page = run.page
    page.goto(run.demo.ha_url)
    page.get_by_role("textbox", name="Username").fill(DEMO_LOGIN[0])
    page.get_by_role("textbox", name="Password").fill(DEMO_LOGIN[1])
    run.shot("login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home/"))
    expect(page.get_by_role("link", name="Settings")).to_be_visible()


def account_titles(page: Page, count: int) -> Locator:
    """The titles of the integration's entries, once there are ``count``."""
    expect(page.locator("ha-config-entry-row")).to_have_count(count)
    return page.locator(
        "ha-config-entry-row .config-entry-wrapper > ha-row-item > [slot=headline]"
    )


def see_the_accounts(run: Run) -> None:
    """The integration page lists one account of each provider."""
    page = run.page
    page.goto(run.url("/config/integrations/integration/iot_connectivity"))
    titles = account_titles(page, len(ACCOUNT_NAMES))
    for name in ACCOUNT_NAMES:
        expect(
            titles.filter(has_text=re.compile(rf"^\s*{re.escape(name)} \("))
        ).to_have_count(1)
    run.timings["demo visible in the browser"] = time.monotonic() - run.demo.started
    # Collapsed, all the accounts fit the screenshot.
    expanded = page.locator("ha-config-entry-row .expand-button.expanded")
    for _ in range(expanded.count()):
        expanded.first.click()
    expect(expanded).to_have_count(0)
    run.shot("integration-accounts")


def add_another_account(run: Run) -> None:
    """Add an Infobip account in the config flow: wrong password first.

    The emulator's Infobip account under another host name is another
    account (Infobip accounts are told apart by their personal base URL).
    """
    page = run.page
    infobip_port = urlsplit(run.demo.emulator_urls["infobip_iot"]).port
    page.get_by_role("button", name="Add hub").click()
    page.get_by_text("Infobip IoT SIM", exact=True).click()
    dialog = page.locator("dialog-data-entry-flow")
    dialog.get_by_role("textbox", name="Username").fill(infobip.DEFAULT_USERNAME)
    dialog.get_by_role("textbox", name="Password").fill("not-the-password")
    dialog.get_by_role("textbox", name="Base URL").fill(
        f"http://localhost:{infobip_port}"
    )
    dialog.get_by_role("button", name="Submit").click()
    expect(
        dialog.get_by_text("The provider refused these credentials.")
    ).to_be_visible()
    run.shot("add-account-wrong-password")
    dialog.get_by_role("textbox", name="Password").fill(infobip.DEFAULT_PASSWORD)
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_role("button", name="Skip and finish").click()
    titles = account_titles(page, len(ACCOUNT_NAMES) + 1)
    expect(
        titles.filter(has_text=f"Infobip IoT SIM (localhost:{infobip_port})")
    ).to_have_count(1)
    run.shot("add-account-done")


def open_sim(run: Run) -> None:
    """Find the SIM on the integration page; its page shows status, usage, switch."""
    page = run.page
    # A fresh page: the add-entry dialog's close re-renders the old one, which
    # can swallow a search typed too early.
    page.goto(run.url("/config/integrations/integration/iot_connectivity"))
    account_titles(page, len(ACCOUNT_NAMES) + 1)
    search = page.get_by_placeholder("Search", exact=True)
    search.fill(SIM_NAME)
    expect(search).to_have_value(SIM_NAME)
    expect(page.locator("ha-config-entry-row")).to_have_count(1)
    device_row = page.locator("ha-config-entry-device-row").filter(has_text=SIM_NAME)
    # The page remembers expanded entries; the button toggles, so only open it.
    try:
        device_row.wait_for(timeout=2000)
    except PlaywrightTimeoutError:
        page.locator("ha-config-entry-row .expand-button").click()
    device_row.click()
    page.wait_for_url(re.compile(r"/config/devices/device/"))
    run.sim_device_id = page.url.rsplit("/", 1)[-1]
    status = page.locator("hui-simple-entity-row, hui-sensor-entity-row").filter(
        has=page.get_by_text("Status", exact=True)
    )
    expect(status).to_contain_text("Active")
    expect(
        page.locator("hui-sensor-entity-row").filter(has_text="Data used this period")
    ).to_contain_text("MB")
    expect(active_switch(page)).to_be_visible()
    run.shot("sim-device")


def active_switch(page: Page) -> Locator:
    """The SIM's Active switch on its device page."""
    return (
        page.locator("hui-toggle-entity-row")
        .filter(has_text="Active")
        .locator("ha-switch")
    )


def suspend_sim(run: Run) -> None:
    """Switching Active off suspends the SIM at the provider."""
    page = run.page
    active_switch(page).click()
    run.wait_for_emulator(
        "the SIM disabled",
        lambda: run.sim_status() == management_api.DISABLED,
    )
    status = page.locator("hui-simple-entity-row, hui-sensor-entity-row").filter(
        has=page.get_by_text("Status", exact=True)
    )
    expect(status).to_contain_text("Suspended")
    expect(active_switch(page)).to_have_js_property("checked", value=False)
    run.shot("sim-suspended")
    # An SMS reaches only an active SIM: switch it back on for the next step.
    active_switch(page).click()
    run.wait_for_emulator(
        "the SIM enabled again",
        lambda: run.sim_status() == management_api.ENABLED,
    )
    expect(status).to_contain_text("Active")
    expect(active_switch(page)).to_have_js_property("checked", value=True)


def send_sms(run: Run) -> None:
    """Developer tools > Actions: send_sms in YAML mode reaches the emulator."""
    page = run.page
    page.goto(run.url("/developer-tools/action"))
    page.get_by_role("button", name="YAML mode").click()
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(
        "action: iot_connectivity.send_sms\n"
        "data:\n"
        f"  device_id: {run.sim_device_id}\n"
        f'  message: "{SMS_TEXT}"\n'
    )
    page.get_by_role("button", name="Perform action").click()
    run.wait_for_emulator("the SMS", lambda: SMS_TEXT in run.sms_sent_to_sim())
    expect(page.get_by_text("message_id")).to_be_visible()
    run.shot("send-sms-action")


def entity_row(page: Page, name: str) -> Locator:
    """The row of the entity named ``name`` on a device page."""
    return page.locator(
        "hui-simple-entity-row, hui-sensor-entity-row, hui-select-entity-row, "
        "hui-button-entity-row, hui-toggle-entity-row"
    ).filter(has=page.get_by_text(name, exact=True))


def lora_readings(run: Run) -> None:
    """A Cayenne LPP sensor's page: decoded readings, Reporting, Payload format.

    The demo sets the payload format; the next uplink brings the readings, and
    the one after that a rhythm, so Reporting turns on.
    """
    states = run.states
    for name, check in (
        ("Temperature", lambda state: state["state"] not in ("unknown", "unavailable")),
        ("Reporting", lambda state: state["state"] == "on"),
        ("Payload format", lambda state: state["state"] == "cayenne_lpp"),
    ):
        domain = {"Reporting": "binary_sensor", "Payload format": "select"}.get(
            name, "sensor"
        )
        states.wait_for(states.entity_id(LORA_SENSOR, domain, name), name, check)
    page = run.page
    run.open_device(LORA_SENSOR)
    expect(entity_row(page, "Temperature")).to_contain_text(re.compile(r"\d °C"))
    expect(entity_row(page, "Humidity")).to_contain_text(re.compile(r"\d+ ?%"))
    expect(entity_row(page, "Battery")).to_contain_text(re.compile(r"\d+ ?%"))
    expect(entity_row(page, "Reporting")).to_contain_text("Connected")
    payload_format = entity_row(page, "Payload format")
    expect(payload_format).to_contain_text("Cayenne LPP")
    # Taller for the shot: the readings and the Configuration card below them.
    page.set_viewport_size({**VIEWPORT, "height": TALL})
    try:
        expect(payload_format).to_be_in_viewport()
        run.shot("lora-readings")
    finally:
        page.set_viewport_size(VIEWPORT)


def tracker_position(run: Run) -> None:
    """The GPS tracker's device tracker has a position; the map shows it."""
    states = run.states
    entity_id = states.entity_id(TRACKER, "device_tracker")
    state = states.wait_for(
        entity_id,
        "a GPS position",
        lambda state: (
            state["attributes"].get("source_type") == "gps"
            and isinstance(state["attributes"].get("latitude"), float)
            and isinstance(state["attributes"].get("longitude"), float)
        ),
    )
    page = run.page
    page.goto(run.url("/map"))
    page.get_by_text("Devices", exact=True).click()
    name = state["attributes"]["friendly_name"]
    page.get_by_text(name, exact=True).click()
    # Offline, the map has no tiles: its marker and the tracker's card show.
    expect(page.locator("ha-map")).to_be_visible()
    expect(page.get_by_text("Away", exact=True).first).to_be_visible()
    run.shot("tracker-map")


def usage_history(run: Run) -> None:
    """Developer tools > Statistics lists the back-filled daily use of a SIM."""
    names = [
        statistic.get("name")
        for statistic in run.states.statistic_ids("sum")
        if statistic["statistic_id"].startswith("iot_connectivity:")
    ]
    if USAGE_STATISTIC not in names:
        msg = f"no statistic {USAGE_STATISTIC!r} among {names}"
        raise AssertionError(msg)
    page = run.page
    page.goto(run.url("/developer-tools/statistics"))
    search = page.get_by_placeholder("Search", exact=True).filter(visible=True)
    search.fill(SIM_NAME)
    expect(page.get_by_text(USAGE_STATISTIC, exact=True)).to_be_visible()
    run.shot("usage-statistics")


def imei_change(run: Run) -> None:
    """The KPN SIM moves: IMEI changed turns on; Acknowledge turns it off."""
    states = run.states
    changed = states.entity_id(MOVED_SIM, "binary_sensor", "IMEI changed")
    states.wait_for(changed, "the IMEI change", lambda state: state["state"] == "on")
    page = run.page
    run.open_device(MOVED_SIM)
    row = entity_row(page, "IMEI changed")
    expect(row).to_contain_text("Problem")
    run.shot("imei-changed")
    entity_row(page, "Acknowledge IMEI change").get_by_role(
        "button", name="Press"
    ).click()
    states.wait_for(
        changed, "the change acknowledged", lambda state: state["state"] == "off"
    )
    expect(row).to_contain_text("OK")
    run.shot("imei-acknowledged")


STEPS: Final = (
    ("log in", log_in),
    ("see the five accounts", see_the_accounts),
    ("add a sixth account (wrong password, then right)", add_another_account),
    ("open a SIM's device page", open_sim),
    ("switch the SIM off: suspended at the provider", suspend_sim),
    ("send_sms from Developer tools > Actions", send_sms),
    ("a LoRa sensor's decoded readings, Reporting and format", lora_readings),
    ("the GPS tracker's position on the map", tracker_position),
    ("Developer tools > Statistics: a SIM's daily use", usage_history),
    ("a SIM moves: IMEI changed, then acknowledged", imei_change),
)


class StepsFailedError(Exception):
    """A step failed; the demo's config folder is kept for a look."""


CHECKS: Final = len(STEPS) + 1 + len(STOP_CHECKS) + 1
"""Browser steps, Ctrl-C of their demo, the other stops, nothing left at the end."""


def run_steps(browser: Browser, demo: Demo) -> Run:
    """Run every step in order; stop at the first failure."""
    page = browser.new_page(viewport=VIEWPORT)
    run = Run(page=page, demo=demo)
    for number, (title, step) in enumerate(STEPS, start=1):
        started = time.monotonic()
        try:
            step(run)
        except Exception:  # noqa: BLE001 - reported, then the run stops
            say(f"FAIL {number}. {title}\n{traceback.format_exc()}")
            run.shot(f"failed-step-{number}")
            say(f"{number - 1} passed, 1 failed, {CHECKS - number} skipped")
            raise StepsFailedError from None
        say(f"ok   {number}. {title} ({time.monotonic() - started:.1f} s)")
    return run


def check(number: int, title: str, what: Callable[[], str]) -> None:
    """Run one check and report it; a failure stops the run."""
    try:
        detail = what()
    except Exception:  # noqa: BLE001 - reported, then the run stops
        say(f"FAIL {number}. {title}\n{traceback.format_exc()}")
        say(f"{number - 1} passed, 1 failed, {CHECKS - number} skipped")
        raise StepsFailedError from None
    say(f"ok   {number}. {title}: {detail}")


def nothing_left() -> str:
    """No process this run started is still there (all were stopped above)."""
    if left := leftovers(timeout=10):
        msg = f"still running (killed now): {describe(left)}"
        raise AssertionError(msg)
    return "no process of this run is left"


def describe(left: list[Process]) -> str:
    """One line per process."""
    return "".join(f"\n  {process}" for process in left)


def browser_steps() -> Run:
    """The demo in the browser, then Ctrl-C: it must stop completely."""
    with DemoProcess(SCREENSHOTS / "develop.log", options=DEMO_OPTIONS) as develop:
        demo = develop.wait_ready()
        say(f"demo ready after {time.monotonic() - demo.started:.1f} s: {demo.ha_url}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
            )
            try:
                run = run_steps(browser, demo)
            finally:
                browser.close()
        check(
            len(STEPS) + 1,
            "Ctrl-C while running: all gone",
            lambda: stop_report(
                develop.stop(signal.SIGINT, group=True), "SIGINT while running"
            ),
        )
    return run


def main() -> int:
    """Start the demo, run the steps in Chromium, stop it; stop two more demos."""
    exit_on_sigterm()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    expect.set_options(timeout=UI_TIMEOUT)
    started = time.monotonic()
    try:
        try:
            run = browser_steps()
            for number, (title, stop_check) in enumerate(
                STOP_CHECKS, start=len(STEPS) + 2
            ):
                log = SCREENSHOTS / f"develop-stop-{number}.log"
                check(number, title, functools.partial(stop_check, log))
        except BaseException:
            # Also after a failure nothing may stay: reported and killed.
            if left := leftovers(timeout=10):
                say(f"left behind (killed now): {describe(left)}")
            raise
        check(CHECKS, "nothing left behind", nothing_left)
    except StepsFailedError:
        say(f"screenshots and the demo's output: {SCREENSHOTS}")
        return 1
    for what, seconds in run.timings.items():
        say(f"{what}: {seconds:.1f} s after scripts/develop started")
    say(f"e2e duration: {time.monotonic() - started:.1f} s")
    say(f"screenshots in {SCREENSHOTS}:")
    for path in run.screenshots:
        say(f"  {path}")
    say(f"{CHECKS} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
