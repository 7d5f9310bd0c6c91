"""The AES-256 keys that seal disclosure packages at rest, by key id.

Keys come from configuration (``TRUSTCENTER_DISCLOSURE_KEYS="kid:base64key,…"``; the first
seals new packages, the others still open older ones). Outside production, when none is
configured, a key is generated once into a file beside the database (mode 0600) so the embedded
default works; production refuses to start without configured keys.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


class KeyConfigError(Exception):
    pass


class KeyRing:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise KeyConfigError(f"no key with id {current!r}")
        self._keys = keys
        self.current_id = current

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            kid, sep, encoded = part.partition(":")
            if not sep or not kid:
                raise KeyConfigError("disclosure keys are written 'kid:base64key,…'")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise KeyConfigError(f"disclosure key {kid!r} is not base64") from None
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"disclosure key {kid!r} must be {KEY_BYTES} bytes")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise KeyConfigError("no disclosure key configured")
        return cls(keys, order[0])

    @classmethod
    def from_settings(cls, spec: str, key_file: str, production: bool) -> KeyRing:
        if spec.strip():
            return cls.parse(spec)
        if production:
            raise KeyConfigError("TRUSTCENTER_DISCLOSURE_KEYS must be set in production")
        path = Path(key_file)
        if not path.exists():
            line = f"local-1:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}\n"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(line)
        return cls.parse(path.read_text())

    def key(self, kid: str) -> bytes:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyConfigError(
                f"the key {kid!r} that sealed this package is not configured"
            ) from None

    @property
    def current(self) -> bytes:
        return self._keys[self.current_id]
