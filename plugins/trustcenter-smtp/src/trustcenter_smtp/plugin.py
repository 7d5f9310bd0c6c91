"""User notices by e-mail.

Configuration (environment): ``TRUSTCENTER_SMTP_HOST`` (default localhost),
``TRUSTCENTER_SMTP_PORT`` (25), ``TRUSTCENTER_SMTP_FROM`` (required to send),
``TRUSTCENTER_SMTP_STARTTLS`` (``1`` to require STARTTLS), ``TRUSTCENTER_SMTP_USERNAME`` /
``TRUSTCENTER_SMTP_PASSWORD`` (optional), ``TRUSTCENTER_SMTP_TIMEOUT`` (seconds, 30).

Exactly once toward the user: the message's ``Message-ID`` is derived from the notice's
idempotency key, so a retry after a lost acknowledgement carries the same id and mail systems
and the company's sent-mail archive treat it as the same message.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from trustcenter.plugins import NoticeView, hookimpl


class SmtpNotConfigured(RuntimeError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_env(cls) -> SmtpSettings:
        e = os.environ
        return cls(
            host=e.get("TRUSTCENTER_SMTP_HOST", "localhost"),
            port=int(e.get("TRUSTCENTER_SMTP_PORT", "25")),
            sender=e.get("TRUSTCENTER_SMTP_FROM", ""),
            starttls=e.get("TRUSTCENTER_SMTP_STARTTLS", "") == "1",
            username=e.get("TRUSTCENTER_SMTP_USERNAME") or None,
            password=e.get("TRUSTCENTER_SMTP_PASSWORD") or None,
            timeout=float(e.get("TRUSTCENTER_SMTP_TIMEOUT", "30")),
        )


def message_id(idempotency_key: str, sender: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "trustcenter.invalid"
    return f"<notice-{digest}@{domain}>"


def build_message(notice: NoticeView, idempotency_key: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notice.recipient
    message["Subject"] = notice.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(idempotency_key, sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notice.body)
    message["Content-Language"] = notice.language  # after set_content, which resets Content-*
    return message


class SmtpChannel:
    name = "smtp"

    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> SmtpSettings:
        return self._settings or SmtpSettings.from_env()

    async def deliver(self, notice: NoticeView, idempotency_key: str) -> None:
        """Return once the SMTP server accepted the message; raise otherwise (retry later)."""
        s = self.settings
        if not s.sender:
            raise SmtpNotConfigured("set TRUSTCENTER_SMTP_FROM to send notices by e-mail")
        import aiosmtplib  # loaded by the first delivery: every command loads the plugins

        await aiosmtplib.send(
            build_message(notice, idempotency_key, s.sender),
            hostname=s.host,
            port=s.port,
            start_tls=s.starttls,
            username=s.username,
            password=s.password,
            timeout=s.timeout,
        )


@hookimpl
def trustcenter_notice_channels() -> list[SmtpChannel]:
    return [SmtpChannel()]
