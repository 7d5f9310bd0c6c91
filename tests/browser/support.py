"""What the browser tests share: finding (and in CI installing) Debian's chromium and
chromedriver, serving the real app with uvicorn in a thread on a free port, a headless chromium
that can reach nothing but 127.0.0.1, and where the screenshots go.

Without chromium or chromedriver a browser test is skipped with the reason, except in CI
(``CI`` set) or with ``TRUSTCENTER_REQUIRE_BROWSER=1``: there the ``chromium_available``
fixture installs Debian's ``chromium`` and ``chromium-driver`` with apt-get (as root), and fails
if they are still missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: the window a browser test starts with
DESKTOP = (1280, 900)
REQUIRE_BROWSER = bool(os.environ.get("CI") or os.environ.get("TRUSTCENTER_REQUIRE_BROWSER"))
#: what the page loaded, as the browser's resource timing tells it (the document included)
READ_ENTRIES = """
return performance.getEntries().filter(e => 'initiatorType' in e || e.entryType === 'navigation')
  .map(e => ({name: e.name, type: e.entryType}));
"""


def artifacts() -> Path:
    """Where screenshots are saved: ``$TRUSTCENTER_TEST_ARTIFACTS``, by default
    ``test-artifacts/``."""
    path = Path(os.environ.get("TRUSTCENTER_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def missing() -> str | None:
    """None when the browser tests can run, else why not."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (Debian: apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def in_a_thread(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine on its own event loop in its own thread (pytest-asyncio's loop is left
    alone); its exception, if any, is raised here."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def install_chromium() -> None:
    """Debian's chromium and chromedriver, with apt-get, when this process may install them
    (root, apt-get present); otherwise nothing happens and ``missing`` says what is missing."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "check": False, "stdout": subprocess.DEVNULL, "timeout": 1200}
    subprocess.run([apt, "update", "-qq"], **quiet)  # noqa: S603
    subprocess.run([apt, "install", "-y", "-qq", "chromium", "chromium-driver"], **quiet)  # noqa: S603


def require_browser() -> None:
    """Skips the calling test when there is no browser (fails instead when one is required)."""
    reason = missing()
    if reason is not None and REQUIRE_BROWSER:
        install_chromium()  # the setup installs what the run requires
        reason = missing()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}, and this run requires the browser test (CI)")
        pytest.skip(f"{reason}: the browser test did not run")


@pytest.fixture(scope="module")
def chromium_available() -> None:
    """Skips the module's tests when there is no browser (fails instead when one is required)."""
    require_browser()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The ASGI ``app`` served by uvicorn (lifespan on) in a thread, on a free port of
    127.0.0.1; yields its base URL and stops the server afterwards."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started serving"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def chromium(*, network_log: bool = False) -> Any:
    """A headless chromium at a desktop's size (``DESKTOP``) that resolves no host but 127.0.0.1:
    a page that needs anything from elsewhere fails to get it. Its console is logged
    (``get_log("browser")``), and with ``network_log`` every request of every frame too
    (``get_log("performance")``, the DevTools Network events)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # anything but the app's own address fails to resolve: the page must need nothing else
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    logs = {"browser": "ALL", **({"performance": "ALL"} if network_log else {})}
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def is_png(path: Path) -> bool:
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
