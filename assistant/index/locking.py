"""One writer at a time per index: an advisory lock file (``index/write.lock``).

Chroma's embedded store and the records are not safe for two writing processes: two
ingests started together used to lose half the papers without an error. Every write
(ingest, remove, reindex, repair) holds this lock; a second writer waits with a message,
or fails at once with ``--no-wait``. Readers never take it. The lock is released by the
kernel when the holder dies, so a killed ingest never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from assistant.errors import AssistantError


class IndexBusy(AssistantError):
    """Another process is writing to this index."""


class WriteLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return "another process"
        return f"process {pid}" if pid else "another process"

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False (without waiting) if someone holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._own(fd)
        return True

    def acquire(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> None:
        if self.try_acquire():
            return
        message = (f"{self._holder()} is writing to the index in {self.path.parent.parent}")
        if not wait:
            raise IndexBusy(f"{message}; try again when it is done (or leave out --no-wait "
                            "to wait for it)")
        if on_wait:
            on_wait(f"{message}; waiting for it to finish…")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._own(fd)

    def _own(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
