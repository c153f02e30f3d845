"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by
Selenium against a real ``wxops serve`` process: one browser and one server for
the session.

Without the browser the tests are skipped, and the run's summary says so loudly
(tests/conftest.py), unless ``WXOPS_TEST_REQUIRE_BROWSER=1`` (CI), which turns
that into a failure. Selenium is given the driver's path, so it never looks for
(or downloads) one itself.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.wiring import App
from tests.conftest import REQUIRE_BROWSER, browser_unavailable, need
from tests.e2e.conftest import (
    AES_KEY,
    APP_ID,
    TOKEN,
    free_port,
    migrate_database,
    process_env,
    wait_healthy,
    wxops,
)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = {"width": 375, "height": 740, "pixelRatio": 2.0}
#: What WeChat's built-in browser on Android calls itself.
WECHAT_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/130.0 Mobile Safari/537.36 MicroMessenger/8.0.50 NetType/WIFI")


def _need_browser() -> None:
    need(browser_unavailable(), REQUIRE_BROWSER, "the browser", "WXOPS_TEST_REQUIRE_BROWSER")


#: The platform's image host: media/uploadimg's URLs point there.
IMAGE_HOST = "mmbiz.qpic.cn"
SECRET = "e2e-secret"


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The WeChat emulator, in a thread: the account the page server's settings
    name, and the image host the browser is pointed at (``browser``)."""
    _need_browser()
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret=SECRET, token=TOKEN,
                                               encoding_aes_key=AES_KEY))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="session")
def browser(emulator: str) -> Iterator[object]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    # No speculative connections: each would hold a sync gunicorn worker until it
    # times out, and the test's own requests would wait behind it.
    options.add_experimental_option("prefs", {"net.network_prediction_options": 2})
    options.add_argument("--dns-prefetch-disable")
    # The emulator plays the image host: uploaded images load from it, by their own URL.
    options.add_argument(f"--host-resolver-rules=MAP {IMAGE_HOST} {emulator.split('//', 1)[1]}")
    options.add_experimental_option("mobileEmulation",
                                    {"deviceMetrics": PHONE, "userAgent": WECHAT_AGENT})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class PageServer:
    url: str
    app: App  # on the server's database and settings: makes the links it serves
    env: dict[str, str]  # the server's environment: a `wxops` command run with it shares both


@pytest.fixture(scope="session")
def page_server(tmp_path_factory: pytest.TempPathFactory, emulator: str
                ) -> Iterator[PageServer]:
    _need_browser()
    workdir: Path = tmp_path_factory.mktemp("pages")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = process_env(f"sqlite:///{workdir / 'pages.db'}", WXOPS_PUBLIC_URL=url,
                      WXOPS_ACCOUNT_NAME="助学公益", WXOPS_WECHAT_API_BASE=emulator)
    migrate_database(f"sqlite:///{workdir / 'pages.db'}")
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(wxops("serve", "--port", str(port), "--workers", "2"), env=env,
                               cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    settings = load_settings({k: v for k, v in env.items() if k.startswith("WXOPS_")})
    try:
        wait_healthy(url, process)
        yield PageServer(url, App(settings=settings), env)
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
