"""Cancelling model calls in flight, so a run told to stop does not wait for a long generation.

A caller that may stop a run (the chat: Ctrl-C, the Stop button, a client gone) wraps it in
:func:`cancel_on` with a :class:`threading.Event`. The event travels in a context variable, which
LangGraph copies into the threads that run its nodes, so every text call of the run sees it. Such a
call is streamed (:func:`stream_cancellable`): the event is checked between chunks, and a watcher
closes the connection when it fires during a long prefill, which ends the server's work on it too.
The call then raises :class:`~triloop.errors.LLMCancelled`. Without the variable nothing changes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from triloop.errors import LLMCancelled

CANCEL: ContextVar[threading.Event | None] = ContextVar("triloop_llm_cancel", default=None)


@contextmanager
def cancel_on(event: threading.Event) -> Iterator[None]:
    """Model calls made inside (and in the graph threads started inside) end when ``event`` is set."""
    token = CANCEL.set(event)
    try:
        yield
    finally:
        CANCEL.reset(token)


def stream_cancellable(
    open_stream: Callable[[], Any], cancel: threading.Event
) -> tuple[str, Any, str | None]:
    """Read one streamed chat completion that ``open_stream`` starts: (text, usage, finish_reason).
    Raises :class:`LLMCancelled` as soon as ``cancel`` is set (the connection is closed)."""
    chunks = _open(open_stream, cancel)
    done = threading.Event()

    def watch() -> None:  # a long prefill sends nothing to check between: close from here
        while not done.wait(0.2):
            if cancel.is_set():
                hard_close(chunks)
                return

    watcher = threading.Thread(target=watch, name="llm-cancel-watch", daemon=True)
    watcher.start()
    parts: list[str] = []
    usage = finish = None
    try:
        for chunk in chunks:
            if cancel.is_set():
                raise LLMCancelled("the run was stopped")
            usage = chunk.usage or usage
            if chunk.choices:
                choice = chunk.choices[0]
                parts.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
    except LLMCancelled:
        raise
    except Exception:
        if cancel.is_set():  # the watcher closed the connection: a stop, not a broken server
            raise LLMCancelled("the run was stopped") from None
        raise
    finally:
        done.set()
        hard_close(chunks)
    if cancel.is_set():
        raise LLMCancelled("the run was stopped")
    return "".join(parts), usage, finish


def _open(open_stream: Callable[[], Any], cancel: threading.Event) -> Any:
    """``open_stream()``, given up on when ``cancel`` is set first: a busy server answers a stream only
    when it starts on it (after its queue and the prompt's prefill), and nothing can be closed before.
    The opener thread closes what it gets late, which ends the server's work on it."""
    if cancel.is_set():
        raise LLMCancelled("the run was stopped")
    box: dict[str, Any] = {}
    opened = threading.Event()

    def opener() -> None:
        try:
            box["chunks"] = open_stream()
        except BaseException as exc:
            box["error"] = exc
        finally:
            opened.set()
        if cancel.is_set() and "chunks" in box:  # given up on meanwhile: let the server stop
            hard_close(box["chunks"])

    threading.Thread(target=opener, name="llm-open-stream", daemon=True).start()
    while not opened.wait(0.2) and not cancel.is_set():
        pass
    if cancel.is_set():
        if opened.is_set() and "chunks" in box:  # it came just now: the opener may have missed the stop
            hard_close(box["chunks"])
        raise LLMCancelled("the run was stopped")  # also over an error the stop itself caused
    if "error" in box:
        raise box["error"]
    return box["chunks"]


def hard_close(chunks: Any) -> None:
    """Close a streamed response so that a thread blocked reading it wakes now: closing a socket from
    another thread does not wake its reader on Linux, shutting it down does (and the server sees the
    client gone and stops work on the request)."""
    response = getattr(chunks, "response", None)
    stream = getattr(response, "extensions", {}).get("network_stream") if response is not None else None
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        chunks.close()
