"""A server process for a benchmark: started on a free port, ready when ``/readyz`` answers
``200``, stopped at the end (terminated, killed if it does not go)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``argv`` with the port appended as ``--port N`` (``bare_port=True``: as ``N`` alone);
    its output in ``log``."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log: Path, bare_port: bool = False
    ) -> None:
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        port = [str(self.port)] if bare_port else ["--port", str(self.port)]
        self.proc = subprocess.Popen(  # noqa: S603  (the benchmarks' own commands)
            [*argv, *port], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} server ended:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.base}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{name} server did not get ready:\n{log.read_text()}")
            time.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far, all its threads (None off Linux)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
