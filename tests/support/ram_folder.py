"""A folder in memory (``/dev/shm``) for the suite's own SQLite files, where the machine has one.

Every test's SQLite database is a fresh copy of the migrated template, and every commit in it
asks the file system to sync its write-ahead log: on a disk that is an ``fsync`` per commit and
a file replaced per test, work (and waiting) that a database thrown away after the test never
needs. In memory the same files behave the same to SQLite (WAL included), without the disk.

A folder is named after its process (``tc-test-<pid>-…``) and removed at the session's end; one
left behind by a process that was killed is removed by the next run on this machine. Where there
is no such folder, or too little room in it, the files stay in pytest's temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

MEMORY = Path("/dev/shm")  # noqa: S108 (a folder of its own is made in it, mode 0700)
PREFIX = "tc-test-"
#: room a process's files may take (the template, the test's copy, the kept copies)
ROOM = 256 * 1024 * 1024
_OURS = re.compile(rf"^{PREFIX}(\d+)-")


def gone(pid: int) -> bool:
    """The process ``pid`` no longer runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _has_room() -> bool:
    try:
        stats = os.statvfs(MEMORY)
    except OSError:
        return False
    return MEMORY.is_dir() and stats.f_bavail * stats.f_frsize >= ROOM


@contextlib.contextmanager
def ram_folder(fallback: Path) -> Iterator[Path]:
    """A new folder in memory for this session's SQLite files, else ``fallback``."""
    if not _has_room():
        yield fallback
        return
    for left in MEMORY.glob(f"{PREFIX}*"):
        found = _OURS.match(left.name)
        if found and gone(int(found[1])):
            shutil.rmtree(left, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=MEMORY))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
