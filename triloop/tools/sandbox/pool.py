"""A warm pool: N sandboxes started ahead of time so a task skips start-up latency.

Entries are single-use (a task takes one, the backend destroys it after the run), so no state leaks
between tasks. A background thread refills the pool; when nobody has taken an entry for ``idle_s``
the pool shrinks to zero until the next take. ``close()`` (also registered with ``atexit``) destroys
every entry, so no containers or workers are orphaned at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class WarmPool(Generic[T]):
    """Keeps up to ``size`` entries made by ``create``; ``destroy`` releases one."""

    def __init__(self, size: int, create: Callable[[], T], destroy: Callable[[T], None], idle_s: float):
        self.size = size
        self._create = create
        self._destroy = destroy
        self._idle_s = idle_s
        self._ready: list[T] = []
        self._stale: list[T] = []
        self._born: dict[int, float] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._last_take = time.monotonic()
        self._failures = 0
        self._thread = threading.Thread(target=self._refill, name="triloop-warm-pool", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def take(self) -> T | None:
        """A warm entry, or ``None`` when none is ready (the caller then starts one cold).

        Entries older than ``idle_s`` are stale (a docker entry's container only sleeps for a bounded
        time) and are handed to the refill thread for destruction instead of being returned.
        """
        with self._cond:
            now = self._last_take = time.monotonic()
            while self._ready and now - self._born[id(self._ready[0])] > self._idle_s:
                self._stale.append(self._ready.pop(0))
            entry = self._ready.pop(0) if self._ready else None
            if entry is not None:
                self._born.pop(id(entry), None)
            if entry is None or self._stale:
                self._cond.notify_all()  # empty or stale entries: let the refill thread work now
            return entry

    def refill(self) -> None:
        """Wake the refill thread. Called after a task's run, so starting the replacement does not
        compete for CPU with the task that just took an entry."""
        with self._cond:
            self._cond.notify_all()

    def ready_count(self) -> int:
        with self._cond:
            return len(self._ready)

    def wait_full(self, timeout: float = 30.0) -> bool:
        """Block until the pool is full (benchmarks use this to measure the warm path)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._last_take = time.monotonic()
            self._cond.notify_all()
            while len(self._ready) < self.size and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _refill(self) -> None:
        while True:
            with self._cond:
                stale, self._stale = self._stale, []
            for entry in stale:
                self._born.pop(id(entry), None)
                self._safe_destroy(entry)
            with self._cond:
                while (
                    not self._closed
                    and not self._stale
                    and (len(self._ready) >= self.size or time.monotonic() - self._last_take > self._idle_s)
                ):
                    if self._ready and time.monotonic() - self._last_take > self._idle_s:
                        stale, self._ready = self._ready, []
                        self._born.clear()
                        self._cond.release()
                        try:
                            for entry in stale:
                                self._safe_destroy(entry)
                        finally:
                            self._cond.acquire()
                    self._cond.wait(timeout=min(self._idle_s, 1.0))
                if self._closed:
                    return
                if self._stale:
                    continue  # destroy those first (top of the loop), then see whether to refill
            try:
                entry = self._create()
                self._failures = 0
            except Exception as exc:  # a broken engine must not kill the thread; back off instead
                self._failures += 1
                log.warning("warm pool could not start a sandbox: %s", exc)
                time.sleep(min(5.0, 0.2 * 2**self._failures))
                continue
            with self._cond:
                if self._closed:
                    self._safe_destroy(entry)
                    return
                self._ready.append(entry)
                self._born[id(entry)] = time.monotonic()
                self._cond.notify_all()

    def _safe_destroy(self, entry: T) -> None:
        with contextlib.suppress(Exception):
            self._destroy(entry)

    def close(self) -> None:
        """Destroy every ready entry and stop refilling. Safe to call twice."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            stale, self._ready = self._ready + self._stale, []
            self._stale = []
            self._cond.notify_all()
        self._thread.join(timeout=30)
        for entry in stale:
            self._safe_destroy(entry)
        with self._cond:  # an entry created while we joined
            stale, self._ready = self._ready, []
        for entry in stale:
            self._safe_destroy(entry)
        atexit.unregister(self.close)
