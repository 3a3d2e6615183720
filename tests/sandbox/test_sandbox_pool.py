"""WarmPool on its own: it is generic over entries, so plain objects show its bookkeeping exactly."""

from __future__ import annotations

import itertools
import threading
import time

from triloop.tools.sandbox.pool import WarmPool


class Entries:
    """Records which entries were created and destroyed (entries are just numbers)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.counter = itertools.count()
        self.created: list[int] = []
        self.destroyed: list[int] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def create(self) -> int:
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                raise RuntimeError("engine hiccup")
            n = next(self.counter)
            self.created.append(n)
            return n

    def destroy(self, n: int) -> None:
        with self.lock:
            self.destroyed.append(n)


def wait_until(cond, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_fills_hands_out_each_entry_once_and_close_destroys_the_rest():
    e = Entries()
    pool = WarmPool(3, e.create, e.destroy, idle_s=60)
    assert pool.wait_full(5)
    taken = [pool.take() for _ in range(3)]
    assert sorted(taken) == [0, 1, 2]  # type: ignore[type-var]
    pool.refill()
    assert pool.wait_full(5)
    pool.close()
    assert sorted(e.destroyed) == [3, 4, 5]  # ready entries destroyed; taken ones belong to the caller
    assert pool.take() is None
    pool.close()  # idempotent


def test_stale_entries_are_destroyed_not_handed_out():
    e = Entries()
    pool = WarmPool(1, e.create, e.destroy, idle_s=0.2)
    try:
        assert pool.wait_full(5)
        time.sleep(0.4)
        first = pool.take()
        assert first is None or first != 0  # entry 0 is older than idle_s: never handed out
        assert wait_until(lambda: 0 in e.destroyed)
    finally:
        pool.close()


def test_create_failures_back_off_and_recover():
    e = Entries(fail_first=2)
    pool = WarmPool(1, e.create, e.destroy, idle_s=60)
    try:
        assert pool.wait_full(10)
        assert e.created == [0]
    finally:
        pool.close()
