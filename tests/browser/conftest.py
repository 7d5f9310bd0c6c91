"""One headless chromium per test process for every browser test here (starting one costs about
a second of CPU and two of wall time), handed to each test as a fresh one would be: at a
desktop's size, without cookies, its logs read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import DESKTOP, chromium, require_browser


@pytest.fixture(scope="session")
def shared_chromium() -> Iterator[Any]:
    """The process's chromium, logging every request of every frame (see ``chromium``)."""
    require_browser()
    driver = chromium(network_log=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(shared_chromium: Any) -> Any:
    """The process's chromium, as the test before left nothing in it: at ``DESKTOP``'s size, on
    a blank page, without cookies, and what it logged before read."""
    driver = shared_chromium
    driver.get("about:blank")
    driver.set_window_size(*DESKTOP)
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    for log in ("browser", "performance"):
        driver.get_log(log)
    return driver
