"""The console browser test's machinery: documents a browser can show, an agency calling the
API over HTTP, and :class:`Pages`, a person's headless chromium on the console that checks every
page it lands on.

Every page visited is checked for: what the browser fetched (every request of every frame, from
the DevTools network log, and the page's resource timing) coming from the app's own origin
only; no error in the browser's console (a Content-Security-Policy violation is one); axe-core
(as axe-selenium-python ships it, injected from the installed package: nothing is fetched)
finding nothing of impact "serious" or "critical"; on the signed-in pages, the skip link being
the first Tab stop and moving the focus to the main content. A full-page screenshot of each
lands in ``test-artifacts/console-<backend>-<nn>-<name>.png``."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.api.sign_in_helpers import PASSWORD, Member
from tests.browser.support import DESKTOP, READ_ENTRIES, artifacts, is_png
from trustcenter.auth.totp import code_at
from trustcenter.clock import FixedClock

PHONE = (390, 844)
#: what axe reports that fails the test
GRAVE = ("serious", "critical")
#: the schemes a page may use without the network (data: icons, about:blank frames)
LOCAL_SCHEMES = ("data", "about", "blob")
#: chromium's own PDF viewer (an extension built into the browser, not the network) shows a
#: framed PDF; the date fields' calendar icon is a data: image of the browser's own
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
#: axe-selenium-python 2.1 (the newest for Python 3.11) ships axe-core 3.1.1, from 2018; two
#: autocomplete values the HTML standard has allowed since are taught to it as axe-core itself
#: learnt them (no rule is turned off for them): ``one-time-code`` (whatwg/html#4573;
#: axe-core#2336, 4.0) on the code field, and ``username`` on an e-mail field (whatwg/html#5881;
#: axe-core#2896, 4.3) on the sign-in's address.
AXE_SINCE_3_1 = """
axe.configure({checks: [
  {id: 'autocomplete-valid', options: {standaloneTerms: ['one-time-code']}},
  {id: 'autocomplete-appropriate', options: {username: ['text', 'search', 'email']}},
]});
"""
#: the axe run, in the page, answering only what the test reads: how many rules passed and the
#: violations of impact "serious" or "critical" (``GRAVE``). A rule's impact is the gravest of
#: its failing checks' impacts, so the rules none of whose checks can be grave (``region``,
#: ``heading-order``, the landmark rules …: minor or moderate at worst) could fail nothing here
#: and are not run; neither are the passes' nodes gathered (``resultTypes``). The top document
#: only (``iframes: false``: a framed PDF is the browser's viewer, not our markup); so neither is
#: ``frame-tested`` run, which asks each frame whether axe ran in it and, as configured
#: (``isViolation: false``), can only answer "incomplete", after half a second per frame.
AXE_RUN = """
const done = arguments[arguments.length - 1], grave = arguments[0];
const impact = id => (axe._audit.data.checks[id] || {}).impact;
const rules = axe._audit.rules.filter(rule => rule.id !== 'frame-tested' && [
  ...rule.any, ...rule.all, ...rule.none,
].some(check => grave.includes(impact(typeof check === 'string' ? check : check.id))));
const only = {type: 'rule', values: rules.map(rule => rule.id)};
axe.run(document, {iframes: false, runOnly: only, resultTypes: ['violations']}).then(r => done({
  passes: r.passes.length,
  violations: r.violations.filter(v => grave.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(', ')),
  })),
}), error => done({error: String(error)}));
"""
SKIP_CHECK = """
const skip = document.activeElement;
return {tag: skip.tagName, cls: skip.className, href: skip.getAttribute('href'),
        text: (skip.textContent || '').trim()};
"""


def pdf_document(text: str) -> bytes:
    """A small, valid one-page PDF that shows ``text`` (offsets and xref table computed)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_image(width: int = 120, height: int = 60, rgb: tuple[int, ...] = (47, 95, 208)) -> bytes:
    """A valid PNG of one colour, ``width`` by ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class Agency:
    """An agency's program on the served app: a client-credentials token, then GraphQL,
    document uploads and downloads with it (plain HTTP, as an agency's system would)."""

    def __init__(self, url: str, client_id: str, client_secret: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.credentials = (client_id, client_secret)
        self.token = ""

    def fetch_token(self) -> None:
        r = self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=self.credentials
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.bearer
        )
        body = r.json()
        assert r.status_code == 200 and not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    def upload(self, body: bytes, kind: str) -> str:
        r = self.http.post(
            "/documents", content=body, headers={**self.bearer, "Content-Type": kind}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers=self.bearer)

    def close(self) -> None:
        self.http.close()


@dataclass
class Pages:
    """One chromium on the console; ``backend`` names the screenshots. Whatever axe finds is
    gathered in ``findings``, what the keyboard check finds in ``keyboard`` (the test fails on
    them at its end, all listed)."""

    driver: Any
    site: str
    backend: str
    clock: FixedClock
    shots: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    #: what the keyboard check found wrong, page by page
    keyboard: list[str] = field(default_factory=list)
    #: every response of the app's origin seen: url -> (status, MIME type)
    responses: dict[str, tuple[int, str]] = field(default_factory=dict)

    # -- going places ----------------------------------------------------------------------

    def open(self, path: str, name: str, **checks: Any) -> str:
        self.driver.get(f"{self.site}{path}")
        return self.landed(name, **checks)

    def click(self, element: Any, name: str, **checks: Any) -> str:
        """Click a link or a form's button and wait for the page it leads to."""
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element("tag name", "html")
        element.click()
        WebDriverWait(self.driver, 30).until(lambda _: _left_behind(old))
        return self.landed(name, **checks)

    def button(self, text: str, within: Any = None) -> Any:
        """The button (or link) whose visible text is ``text``."""
        scope = within or self.driver
        found = scope.find_elements(
            "xpath", f".//button[normalize-space()='{text}'] | .//a[normalize-space()='{text}']"
        )
        assert found, f"no button or link {text!r} on {self.driver.current_url}"
        return found[0]

    def fill(self, element_id: str, value: str) -> None:
        element = self.driver.find_element("id", element_id)
        element.clear()
        element.send_keys(value)

    def choose(self, element_id: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.driver.find_element("id", element_id)).select_by_value(value)

    def set_date(self, element_id: str, value: str) -> None:
        """A date field's value (typing into one depends on the browser's locale)."""
        element = self.driver.find_element("id", element_id)
        self.driver.execute_script("arguments[0].value = arguments[1]", element, value)

    @property
    def text(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    @property
    def path(self) -> str:
        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- signing in ------------------------------------------------------------------------

    def sign_in(self, member: Member, label: str, **checks: Any) -> str:
        """In a browser with no cookie: the password, then the authenticator's code of the
        app's clock (moved on 31 s first: a code is good once); lands on the queue, the first
        section of everyone here (checked with ``checks``), whose text it returns."""
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.open("/console/sign-in", f"sign-in-{label}", layout=False)
        self.fill("email", member.email)
        self.fill("password", PASSWORD)
        self.click(self.button("Continue"), f"code-{label}", layout=False)
        assert "Enter your code" in self.text
        self.clock.advance(timedelta(seconds=31))
        assert member.secret is not None
        self.fill("code", code_at(member.secret, self.clock.now()))
        text = self.click(self.button("Sign in"), f"queue-{label}", **checks)
        assert self.path == "/console/queue" and member.name in text, (self.path, text)
        return text

    # -- what every page is checked for ----------------------------------------------------

    def landed(self, name: str, *, layout: bool = True, phone: bool = False) -> str:
        """Check the page the browser is on; return its text."""
        assert self.driver.execute_script("return document.readyState") == "complete"
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], (name, errors)
        self._axe(name)
        self._nothing_foreign(name)  # after axe: it fetches nothing either
        self._screenshot(name)
        if phone:
            self._phone(name)
        if layout:
            self._skip_link(name)
        return self.text

    def _nothing_foreign(self, name: str) -> None:
        origin = urlsplit(self.site)[:2]
        seen: list[str] = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                seen.append(params["request"]["url"])
            elif message["method"] == "Network.responseReceived":
                response = params["response"]
                if urlsplit(response["url"])[:2] == origin:
                    self.responses[response["url"]] = (response["status"], response["mimeType"])
        assert seen, f"the network log of {name} is empty"
        timed = [e["name"] for e in self.driver.execute_script(READ_ENTRIES)]
        foreign = [
            url
            for url in seen + timed
            if urlsplit(url)[:2] != origin
            and urlsplit(url).scheme not in LOCAL_SCHEMES
            and not url.startswith(PDF_VIEWER)
        ]
        assert foreign == [], (name, foreign)

    def _axe(self, name: str) -> None:
        self.driver.execute_script(axe_script())
        results = self.driver.execute_async_script(AXE_RUN, list(GRAVE))
        assert "error" not in results, (name, results)
        assert results["passes"], f"axe-core checked nothing on {name}"
        for v in results["violations"]:
            self.findings.append(
                f"{name} ({self.path}): {v['impact']} {v['id']}: {v['help']} -> {v['targets']}"
            )

    def _screenshot(self, name: str, suffix: str = "") -> None:
        """The whole page at the window's width (DevTools' capture beyond the viewport), a PNG
        encoded for speed (on a long page half the browser's CPU of the default encoding)."""
        self.driver.execute_script("window.scrollTo(0, 0)")
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        capture = {"format": "png", "optimizeForSpeed": True, "captureBeyondViewport": True}
        taken = self.driver.execute_cdp_cmd("Page.captureScreenshot", {**capture, "clip": clip})
        shot = artifacts() / f"console-{self.backend}-{len(self.shots) + 1:02d}-{name}{suffix}.png"
        shot.write_bytes(base64.b64decode(taken["data"]))
        assert is_png(shot)
        self.shots.append(shot.name)

    def _phone(self, name: str) -> None:
        """At a phone's width the page does not scroll sideways (wide tables scroll in their
        own box); a screenshot of it."""
        self.driver.set_window_size(*PHONE)
        overflow = self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at a phone's width"
        self._screenshot(name, "-phone")
        self.driver.set_window_size(*DESKTOP)

    def _skip_link(self, name: str) -> None:
        """The first Tab stop is the skip link; following it (Enter) focuses the main content."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        self.driver.execute_script(
            "if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0)"
        )
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        first = self.driver.execute_script(SKIP_CHECK)
        if first["href"] != "#content" or "skip" not in first["cls"]:
            self.keyboard.append(f"{name}: the first Tab stop is {first}, not the skip link")
            return
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()
        focused = self.driver.execute_script(
            "return [document.activeElement.tagName, document.activeElement.id]"
        )
        if focused != ["MAIN", "content"]:
            self.keyboard.append(f"{name}: the skip link moved the focus to {focused}")


@cache
def axe_script() -> str:
    """axe-core as axe-selenium-python ships it (read once), taught what it learnt since 3.1."""
    script = files("axe_selenium_python") / "node_modules" / "axe-core" / "axe.min.js"
    return script.read_text(encoding="utf-8") + AXE_SINCE_3_1


def _left_behind(element: Any) -> bool:
    """Whether ``element`` belongs to a page the browser has left: selenium's staleness check,
    which also takes chromium's answer for a node of a document already replaced ("does not
    belong to the document", raised as a plain WebDriverException while the new page loads)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False
