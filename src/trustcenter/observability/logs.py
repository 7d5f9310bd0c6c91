"""The service's logs: JSON lines (one object per line, for a log pipeline) or readable text
(for a developer's terminal), every line of an HTTP request carrying its request id.

``TRUSTCENTER_LOG_FORMAT`` chooses (``json`` or ``text``); unset, production logs JSON and
development text. What is logged is chosen where it is logged: ids, outcomes, reasons and
sizes — never a secret, a token, a document or a user's data (``docs/operations.md``, *Logs*).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from trustcenter.observability.context import current

FORMATS = ("json", "text")
#: the fields every JSON line has, in this order, before those a call adds (``extra=``)
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: libraries whose lower levels would say too much: Alembic announces every migration context
#: at INFO (the CLI says what matters itself); the SQLite driver and SQLAlchemy's engine log
#: each statement's parameters at DEBUG and INFO — user data — whatever the service's level
QUIETED = ("alembic", "aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool")
#: marks the handler this module installed, so configuring again replaces it
_OURS = "_trustcenter_handler"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (``-`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            context = current()
            record.request_id = context.request_id if context is not None else "-"
        return True


class _Json(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            _JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data.pop("color_message", None)  # uvicorn's copy of the message with colour codes
        if log_data.get("request_id") == "-":
            del log_data["request_id"]  # a worker's or the command line's line: no request


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (a test harness swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def json_formatter() -> logging.Formatter:
    """The JSON lines' formatter (with :class:`RequestIdFilter` on the handler)."""
    return _Json()


def configure(level: str, fmt: str) -> None:
    """Send the service's log records to stderr in ``fmt`` at ``level``; a second call
    replaces the first's handler (the test suite builds many containers in one process)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
    handler = _Stderr()
    setattr(handler, _OURS, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(_Json() if fmt == "json" else logging.Formatter(_TEXT))
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.WARNING)
