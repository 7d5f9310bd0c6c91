"""A real OpenID Connect provider for the single sign-on tests: the certified ``oidc-provider``
package (pinned in ``tests/support/oidc/package-lock.json``) run with the machine's Node.js.

- The package is installed once into ``tests/support/oidc/node_modules`` (``npm ci``, under a
  file lock so parallel runs do not collide; a marker holds the lock file's digest, so a new
  pin installs again). The npm registry must answer the first time.
- The provider runs once per test session (``node provider.mjs 0 …``: it takes a free port and
  prints its issuer), with one client whose redirect URI is the app's callback and the accounts
  of :data:`ACCOUNTS`; it is stopped at the end.
- Without ``node`` or ``npm`` the tests are skipped with the reason; with
  ``TRUSTCENTER_REQUIRE_OIDC=1`` (CI sets it) that is a failure instead.

The app side runs in-process (httpx's ASGI transport, as the sign-in tests do) at
``https://localhost``; its own calls to the provider (discovery, token, JWKS, userinfo) go over
the network to the real process. Each sign-in is a fresh browser at the provider, whose
redirects are followed by hand.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urljoin

import httpx
import pytest

from trustcenter.bootstrap import Container
from trustcenter.services.outbound_tls import default_trust

SUPPORT = Path(__file__).resolve().parents[1] / "support" / "oidc"
REQUIRE_OIDC = os.environ.get("TRUSTCENTER_REQUIRE_OIDC", "") not in ("", "0")
APP = "https://localhost"
REDIRECT_URI = f"{APP}/console/sso/callback"
CLIENT_ID = "trustcenter-console"
ROLES_CLAIM = "trustcenter_roles"
#: the provider's people, by login name (their ``sub``)
ACCOUNTS: dict[str, dict[str, object]] = {
    "rita": {
        "email": "Rita@Staff.example",
        "email_verified": True,
        "name": "Rita Reviewer",
        ROLES_CLAIM: ["reviewer", "auditor", "astronaut"],
    },
    "una": {
        "email": "una@staff.example",
        "email_verified": False,
        "name": "Una Unverified",
        ROLES_CLAIM: ["reviewer"],
    },
    "nora": {
        "email": "nora@staff.example",
        "email_verified": True,
        "name": "Nora Newcomer",
        ROLES_CLAIM: ["REVIEWER", "wizard"],
    },
    "nils": {
        "email": "nils@staff.example",
        "email_verified": True,
        "name": "Nils No-Role",
        ROLES_CLAIM: ["wizard"],
    },
    "dora": {
        "email": "dora@staff.example",
        "email_verified": "true",  # as some providers send it
        "name": "Dora Disabled",
        ROLES_CLAIM: ["reviewer"],
    },
}
_FORM = re.compile(
    r'<form[^>]*action="([^"]+)"[^>]*>\s*<input type="hidden" name="prompt" '
    r'value="(\w+)"'
)


def _unavailable(reason: str) -> NoReturn:
    if REQUIRE_OIDC:
        pytest.fail(
            f"{reason}, and this run requires the OpenID provider (TRUSTCENTER_REQUIRE_OIDC)"
        )
    pytest.skip(f"{reason}: the single sign-on tests against a real provider did not run")


def _install(npm: str) -> None:
    """``npm ci`` into tests/support/oidc once per lock file (under a file lock)."""
    wanted = hashlib.sha256((SUPPORT / "package-lock.json").read_bytes()).hexdigest()
    marker = SUPPORT / "node_modules" / ".trustcenter-installed"
    with (SUPPORT / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text() == wanted:
            return
        command = [npm, "ci", "--prefix", str(SUPPORT), "--no-audit", "--no-fund"]
        for _ in range(2):  # once more after a network hiccup
            done = subprocess.run(  # noqa: S603 (npm found on PATH, fixed arguments)
                [*command, "--loglevel=error"],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode == 0:
                break
        else:
            _unavailable(f"npm ci of the OpenID provider failed: {done.stderr.strip()[-2000:]}")
        marker.write_text(wanted)


@dataclass(frozen=True)
class Provider:
    """The running provider: its issuer, the client's secret, and a browser at it."""

    issuer: str
    client_secret: str

    async def authorize(self, location: str, login: str, *, abort: bool = False) -> str:
        """Be a fresh browser at the provider: open the authorization URL the app sent, sign
        in as ``login`` (the development login page takes any password) and consent — or,
        with ``abort``, cancel — and return the URL the provider sends the browser back to."""
        async with httpx.AsyncClient(timeout=10, verify=default_trust(trust_env=True)) as ua:
            r = await ua.get(location)
            for _ in range(12):
                if r.is_redirect:
                    url = urljoin(str(r.url), r.headers["location"])
                    if url.startswith(REDIRECT_URI):
                        return url
                    r = await ua.get(url)
                    continue
                found = _FORM.search(r.text)
                assert r.status_code == 200 and found, r.text
                action, prompt = urljoin(str(r.url), html.unescape(found[1])), found[2]
                if abort:
                    r = await ua.get(f"{action}/abort")
                    continue
                fields = {"prompt": prompt}
                if prompt == "login":
                    fields |= {"login": login, "password": "whatever the provider asks"}
                r = await ua.post(action, data=fields)
        raise AssertionError("the provider never sent the browser back")


def _wait_ready(process: subprocess.Popen[bytes], log: Path, seconds: float) -> str | None:
    """The issuer the provider printed, once its discovery document answers; None when it did
    not within ``seconds``."""
    deadline = time.monotonic() + seconds
    issuer = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"the OpenID provider stopped at once: {log.read_text()[-2000:]}")
        if issuer is None:
            found = re.search(r"^ready (http://\S+)$", log.read_text(), re.MULTILINE)
            issuer = found[1] if found else None
        if issuer is not None:
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(
                    f"{issuer}/.well-known/openid-configuration",
                    timeout=2,
                    verify=default_trust(trust_env=True),
                )
                if answer.status_code == 200 and answer.json().get("issuer") == issuer:
                    return issuer
        time.sleep(0.02)
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = [n for n, p in (("node", node), ("npm", npm)) if p is None]
        verb = "are" if len(missing) > 1 else "is"
        _unavailable(f"{' and '.join(missing)} {verb} not installed (Node.js runs the provider)")
    _install(npm)
    folder = tmp_path_factory.mktemp("oidc")
    accounts = folder / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS))
    secret = secrets.token_urlsafe(24)
    # Started afresh once more when it does not come up in 30 s: once, in a full CI run on a
    # freshly installed provider, node printed its start-up warning and nothing else for a
    # minute, while the same start on the other worker was ready at once.
    logs = []
    for attempt in (1, 2):
        log = folder / f"provider-{attempt}.log"
        logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (node found on PATH, fixed arguments)
                [node, "provider.mjs", "0", CLIENT_ID, secret, REDIRECT_URI, str(accounts)],
                cwd=SUPPORT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            issuer = _wait_ready(process, log, 30)
            if issuer is not None:
                yield Provider(issuer, secret)
                return
        finally:
            _stop(process)
    seen = " | ".join(log.read_text()[-1000:] for log in logs)
    _unavailable(f"the OpenID provider did not answer within 30 s, twice: {seen}")


SsoSettings = Callable[..., None]


@pytest.fixture
def sso(container: Container, oidc_provider: Provider) -> SsoSettings:
    """Configure single sign-on with the provider on the test's container (call it again with
    overrides, e.g. ``oidc_roles_claim``, before the browser is opened: the app reads the
    settings when it is made)."""
    base = container.settings

    def configure(**overrides: object) -> None:
        values: dict[str, object] = {
            "issuer": APP,
            "oidc_issuer": oidc_provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": oidc_provider.client_secret,
            "oidc_roles_claim": "",
            "oidc_create_staff": False,
            **overrides,
        }
        container.settings = dataclasses.replace(base, **values)  # type: ignore[arg-type]

    configure()
    return configure
