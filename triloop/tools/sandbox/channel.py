"""Line channels to a worker process, with a timeout on every read (used by sessions).

A pipe to a local process and a docker exec socket (multiplexed frames) both become "write a line,
read a line within T seconds"; a reader thread feeds a queue so a silent worker never blocks us.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
from collections.abc import Iterator
from typing import IO

EOF_MARK = b""


class LineChannel:
    """Base: a reader thread puts complete lines (or EOF_MARK at the end) on a queue."""

    def __init__(self) -> None:
        self._lines: queue.Queue[bytes] = queue.Queue()
        self.stderr_tail = bytearray()
        self._thread = threading.Thread(target=self._pump, daemon=True)

    def start(self) -> LineChannel:
        self._thread.start()
        return self

    def _pump(self) -> None:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def readline(self, timeout: float) -> bytes | None:
        """The next line; ``EOF_MARK`` when the worker closed its output; ``None`` on timeout."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def _keep_stderr(self, data: bytes) -> None:
        self.stderr_tail += data
        del self.stderr_tail[:-4000]


class PipeChannel(LineChannel):
    def __init__(self, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[bytes] | None = None) -> None:
        super().__init__()
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        if stderr is not None:
            threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _pump(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in self._stdout:
                self._lines.put(line)
        self._lines.put(EOF_MARK)

    def _drain_stderr(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := self._stderr.read1(4096):  # type: ignore[union-attr]
                self._keep_stderr(chunk)

    def write(self, data: bytes) -> None:
        self._stdin.write(data)
        self._stdin.flush()


def read_frames(sock: socket.socket) -> Iterator[tuple[bytes | None, bytes | None]]:
    """Demultiplex a docker attach/exec socket into ``(stdout, stderr)`` chunks until EOF."""

    def exact(n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    with contextlib.suppress(OSError, EOFError):
        while True:
            stream, size = struct.unpack(">BxxxL", exact(8))
            payload = exact(size)
            yield (payload, None) if stream == 1 else (None, payload)


class DockerSocketChannel(LineChannel):
    """A ``docker exec`` attached with stdin: frames of ``[stream, 0, 0, 0, size(be32)] + payload``."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def _pump(self) -> None:
        pending = bytearray()
        with contextlib.suppress(OSError, ValueError):
            for out, err in read_frames(self._sock):
                if err:
                    self._keep_stderr(err)
                    continue
                pending += out or b""
                while (nl := pending.find(b"\n")) >= 0:
                    self._lines.put(bytes(pending[: nl + 1]))
                    del pending[: nl + 1]
        self._lines.put(EOF_MARK)

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)
