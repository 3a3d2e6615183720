"""Cancelling a model call in flight: the stream reader on FAKE streams (chunks, a stop between them, a
long silent prefill), then the REAL embedded model (0.5B) cut off mid-generation and still serving."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from triloop.errors import LLMCancelled
from triloop.llm.cancel import cancel_on, stream_cancellable


def chunk(text: str | None = None, finish: str | None = None, usage=None):
    choices = (
        [] if text is None else [SimpleNamespace(delta=SimpleNamespace(content=text), finish_reason=finish)]
    )
    return SimpleNamespace(choices=choices, usage=usage)


class FakeStream:
    """A FAKE streamed response: its chunks, optionally a silent wait before them (a prefill) that only
    close() ends, as closing the connection does."""

    def __init__(self, chunks, silent: bool = False, on_chunk=None) -> None:
        self.chunks, self.silent, self.on_chunk = chunks, silent, on_chunk
        self.closed = threading.Event()

    def __iter__(self):
        if self.silent and self.closed.wait(30):
            raise OSError("connection closed")
        for c in self.chunks:
            if self.on_chunk:
                self.on_chunk()
            yield c

    def close(self) -> None:
        self.closed.set()


def test_a_stream_is_read_whole_when_nobody_stops_it():
    usage = SimpleNamespace(prompt_tokens=5, completion_tokens=2)
    stream = FakeStream([chunk("de"), chunk("f", "stop"), chunk(usage=usage)])
    text, got_usage, finish = stream_cancellable(lambda: stream, threading.Event())
    assert (text, got_usage, finish) == ("def", usage, "stop") and stream.closed.is_set()


def test_a_stop_between_chunks_ends_the_call_and_closes_it():
    stop = threading.Event()
    stream = FakeStream([chunk("a"), chunk("b"), chunk("c")], on_chunk=stop.set)
    with pytest.raises(LLMCancelled):
        stream_cancellable(lambda: stream, stop)
    assert stream.closed.is_set()


def test_a_stop_during_a_silent_prefill_closes_the_connection():
    stop = threading.Event()
    stream = FakeStream([chunk("never")], silent=True)
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(LLMCancelled):
        stream_cancellable(lambda: stream, stop)
    assert stream.closed.is_set()


def test_a_stop_while_a_busy_server_has_not_answered_yet_gives_up_and_closes_it_later():
    stop = threading.Event()
    late = FakeStream([chunk("late")])

    def open_when_the_server_gets_to_it():
        time.sleep(3.0)  # queued behind other requests: no response to close yet
        return late

    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(LLMCancelled):
        stream_cancellable(open_when_the_server_gets_to_it, stop)
    gave_up_before_the_answer = time.monotonic() - started < 2.5
    assert late.closed.wait(5)  # the late stream is closed as soon as it comes
    assert gave_up_before_the_answer


@pytest.mark.model
def test_the_real_model_is_cut_off_mid_generation_and_serves_the_next_call(local_llm_small):
    stop = threading.Event()
    ask = [{"role": "user", "content": "Count from 1 to 300, one number per line."}]
    threading.Timer(1.5, stop.set).start()
    started = time.monotonic()
    with cancel_on(stop), pytest.raises(LLMCancelled):
        local_llm_small.complete(ask, max_tokens=900)
    print(f"cancelled after {time.monotonic() - started:.1f}s")
    with cancel_on(threading.Event()):  # a cancellable call nobody stops: streamed, counted
        streamed = local_llm_small.complete([{"role": "user", "content": "Say OK."}], max_tokens=5)
    assert streamed.text.strip() and streamed.completion_tokens > 0 and streamed.prompt_tokens > 0
    plain = local_llm_small.complete([{"role": "user", "content": "Say OK."}], max_tokens=5)
    assert plain.text == streamed.text  # the server goes on serving; the plain call answers the same


def test_a_stop_during_a_silent_prefill_wakes_a_reader_blocked_on_a_real_socket():
    """The server has sent its headers and is still reading the prompt: the reader blocks in recv().
    Closing the socket from another thread would not wake it; the stop must."""
    import socket

    import httpx

    server = socket.create_server(("127.0.0.1", 0))
    held = []

    def silent_after_headers():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        held.append(conn)  # then nothing, as during a long prefill

    threading.Thread(target=silent_after_headers, daemon=True).start()
    port = server.getsockname()[1]

    class HttpStream:  # the shape of an openai Stream: .response, iteration, close()
        def __init__(self, client):
            self.response = client.send(client.build_request("GET", f"http://127.0.0.1:{port}/"), stream=True)

        def __iter__(self):
            for _ in self.response.iter_bytes():
                yield chunk("x")

        def close(self):
            self.response.close()

    stop = threading.Event()
    with httpx.Client(timeout=30) as client:
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        with pytest.raises(LLMCancelled):
            stream_cancellable(lambda: HttpStream(client), stop)
        woke_before_the_read_timeout = time.monotonic() - started < 10
    server.close()
    assert woke_before_the_read_timeout
