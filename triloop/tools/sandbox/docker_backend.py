"""Docker backend (docker SDK): one fresh, hardened container per task.

Every container: ``network_mode=none``, read-only root, size-limited tmpfs /tmp, only the workspace
bound read-write, memory == memory+swap limit, CPU quota, pids limit, ``cap_drop=ALL``,
``no-new-privileges``, uid/gid 65534, an environment with nothing from the host, docker-init as PID 1.
Its main process only sleeps (bounded, so even a crashed host process leaves no immortal container);
the task runs via ``exec``. After the run the container is killed (taking setsid() grandchildren and
children that hold stdout open with it), checked for an OOM kill and removed. Images are never pulled.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triloop.tools.sandbox import worker
from triloop.tools.sandbox.base import SANDBOX_WORKDIR, Job, Sandbox
from triloop.tools.sandbox.channel import DockerSocketChannel, read_frames
from triloop.tools.sandbox.errors import BackendUnavailableError, SandboxError, SandboxStartError
from triloop.tools.sandbox.result import ExecResult, truncate
from triloop.tools.sandbox.settings import DEFAULT_DOCKER_SOCKET, Limits, SandboxSettings
from triloop.tools.sandbox.subproc import SANDBOX_ENV, WORKER_READY_TIMEOUT_S, WORKER_SOURCE
from triloop.tools.sandbox.workspace import make_workspace, remove_workspace

LABEL = "triloop.sandbox"
USER = "65534:65534"
POLL_S = 0.005
POLL_MAX_S = 0.1
#: After the program exits, how long the engine may take to deliver its last output. It ends at the
#: stream's EOF, so it only costs time when a child keeps stdout open; 1 s lost whole outputs (empty
#: stdout, exit 0) of the warm pool on a loaded 2-core machine.
EXIT_GRACE_S = 5.0


def docker_host(settings: SandboxSettings) -> str:
    """Engine URL: settings, then $DOCKER_HOST, then scripts/docker-up.sh's socket, then docker's default."""
    if settings.docker_host:
        return settings.docker_host
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    if Path(DEFAULT_DOCKER_SOCKET).exists():
        return f"unix://{DEFAULT_DOCKER_SOCKET}"
    return "unix:///var/run/docker.sock"


def connect(settings: SandboxSettings, timeout: float = 5.0) -> Any:
    """A pinged DockerClient, or :class:`BackendUnavailableError` saying how to get an engine."""
    import docker

    host = docker_host(settings)
    try:
        client = docker.DockerClient(base_url=host, timeout=timeout)
        client.ping()
    except Exception as exc:
        raise BackendUnavailableError(
            f"no Docker engine answers at {host} ({type(exc).__name__}); start one with "
            "`sudo bash scripts/docker-up.sh` and export DOCKER_HOST it prints"
        ) from None
    client.api.timeout = 120
    return client


@dataclass
class DockerWorker:
    container: Any
    workspace: Path
    owns_workspace: bool
    exec_id: str | None = None
    sock: Any = None


class DockerSandbox(Sandbox):
    name = "docker"

    def __init__(self, settings: SandboxSettings | None = None, client: Any = None) -> None:
        super().__init__(settings)
        self.client = client or connect(self.settings)
        import docker.errors

        try:
            self.client.images.get(self.settings.image)
        except docker.errors.ImageNotFound:
            raise SandboxStartError(
                f"docker image {self.settings.image} is missing (never pulled); build it with "
                "`sudo bash scripts/docker-up.sh`"
            ) from None
        self._reaper = ThreadPoolExecutor(max_workers=2, thread_name_prefix="triloop-docker-reaper")
        self._owner = f"{os.uname().nodename}:{os.getpid()}"

    # -- containers --------------------------------------------------------------------------------

    def _start_container(self, workspace: Path, limits: Limits, lifetime_s: float) -> Any:
        from docker.types import Ulimit

        assert limits.memory_mb and limits.cpus and limits.pids and limits.file_size_mb and limits.open_files
        fsize = limits.file_size_mb * 1024 * 1024
        try:
            return self.client.containers.run(
                self.settings.image,
                ["sleep", str(int(lifetime_s) + 1)],
                detach=True,
                init=True,
                user=USER,
                network_mode="none",
                read_only=True,
                tmpfs={"/tmp": f"rw,nosuid,nodev,size={self.settings.tmp_size_mb}m,mode=1777"},
                volumes={str(workspace): {"bind": SANDBOX_WORKDIR, "mode": "rw"}},
                working_dir=SANDBOX_WORKDIR,
                environment=SANDBOX_ENV,
                mem_limit=f"{limits.memory_mb}m",
                memswap_limit=f"{limits.memory_mb}m",
                nano_cpus=int(limits.cpus * 1e9),
                pids_limit=limits.pids,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                ulimits=[
                    Ulimit(name="fsize", soft=fsize, hard=fsize),
                    Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                    Ulimit(name="core", soft=0, hard=0),
                ],
                ipc_mode="none",
                hostname="sandbox",
                labels={LABEL: "1", "triloop.owner": self._owner},
            )
        except Exception as exc:
            raise SandboxStartError(f"docker could not start a sandbox container: {exc}") from None

    def _lifetime(self, timeout: float) -> float:
        return self.settings.pool_idle_s + 2 * timeout + 60

    def _finish(self, container: Any) -> bool:
        """Kill the container (and everything in it); True if it was OOM-killed. Removal is async."""
        with contextlib.suppress(Exception):
            container.kill()
        oom = False
        with contextlib.suppress(Exception):
            oom = bool(self.client.api.inspect_container(container.id)["State"]["OOMKilled"])
        return oom

    def _remove(self, container: Any, workspace: Path | None) -> None:
        def work() -> None:
            with contextlib.suppress(Exception):
                container.remove(force=True)  # force = kill first
            if workspace is not None:
                remove_workspace(workspace)

        self._reaper.submit(work)

    # -- runs --------------------------------------------------------------------------------------

    def _run(self, job: Job, workspace: Path, warm: DockerWorker | None) -> ExecResult:
        try:
            return self._run_in_container(job, workspace, warm)
        except SandboxError:
            raise
        except Exception as exc:  # engine gone, container vanished...: one named error, not a traceback
            raise SandboxStartError(
                f"docker engine failed during the run: {type(exc).__name__}: {exc}"
            ) from exc

    def _run_in_container(self, job: Job, workspace: Path, warm: DockerWorker | None) -> ExecResult:
        if warm is not None:
            container = warm.container
        else:
            container = self._start_container(workspace, job.limits, self._lifetime(job.timeout))
        # the time limit is the program's: a container slow to start (a busy machine) spends none of it
        started = time.monotonic()
        api = self.client.api
        limit = self.settings.output_limit_bytes
        out, err, dropped = bytearray(), bytearray(), [0, 0]
        try:
            if warm is not None and warm.sock is not None:
                # A warm worker is already running and waiting for one request on stdin.
                exec_id, raw = warm.exec_id, getattr(warm.sock, "_sock", warm.sock)
                argv = job.argv[2:] if job.python_file else job.argv
                raw.sendall((json.dumps({"argv": argv, "python_file": job.python_file}) + "\n").encode())
                stream: Any = read_frames(raw)
            else:
                exec_id = api.exec_create(container.id, job.argv, user=USER, workdir=SANDBOX_WORKDIR)["Id"]
                stream = api.exec_start(exec_id, stream=True, demux=True)

            def pump() -> None:
                with contextlib.suppress(Exception):
                    for chunk_out, chunk_err in stream:
                        for i, (buf, chunk) in enumerate(((out, chunk_out), (err, chunk_err))):
                            if chunk:
                                room = max(0, limit - len(buf))
                                buf += chunk[:room]
                                dropped[i] += len(chunk) - min(room, len(chunk))

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            deadline = started + job.timeout
            timed_out, exit_code, delay = True, None, POLL_S
            while time.monotonic() < deadline:
                # The stream usually ends when the program exits; inspect polls back off so a long
                # run does not hammer the engine (a child holding stdout open keeps the stream alive).
                reader.join(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(POLL_MAX_S, delay * 1.5)
                info = api.exec_inspect(exec_id)
                if not info["Running"] and info["ExitCode"] is not None:
                    timed_out, exit_code = False, info["ExitCode"]
                    break
            duration = time.monotonic() - started
            if not timed_out:
                # The engine may deliver the last output a little after the exit; a child holding
                # stdout open keeps the stream alive until the container is killed below.
                reader.join(EXIT_GRACE_S)
            # Only a SIGKILL (137) can be an OOM kill; otherwise kill synchronously only if needed.
            oom = False
            if timed_out or exit_code == 137 or reader.is_alive():
                oom = self._finish(container) and not timed_out and exit_code == 137
                reader.join(2.0)
        finally:
            self._remove(container, None)
        stdout, out_cut = truncate(bytes(out), limit, dropped[0])
        stderr, err_cut = truncate(bytes(err), limit, dropped[1])
        return ExecResult(
            stdout=stdout,
            stderr=stderr,
            exit_code=None if timed_out else exit_code,
            timed_out=timed_out,
            oom_killed=oom,
            duration_s=duration,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
        )

    # -- warm pool and sessions ----------------------------------------------------------------------

    def _create_warm(self) -> DockerWorker:
        handle = self.spawn_worker(None, "once")
        raw = getattr(handle.sock, "_sock", handle.sock)
        raw.settimeout(WORKER_READY_TIMEOUT_S)
        try:
            first = next(read_frames(raw), (None, b"EOF"))
        finally:
            raw.settimeout(None)
        if first != (None, worker.READY):
            self.kill_worker(handle)
            raise SandboxStartError(f"docker warm worker did not start: {first!r:.300}")
        return handle

    def _destroy_warm(self, entry: DockerWorker) -> None:
        self.kill_worker(entry)

    def _release_warm(self, entry: DockerWorker) -> None:
        # _run already killed/scheduled removal of the container; the socket and workspace are left.
        with contextlib.suppress(Exception):
            entry.sock.close()
        if entry.owns_workspace:
            self._reaper.submit(remove_workspace, entry.workspace)

    def spawn_worker(self, workspace: Path | None, mode: str) -> DockerWorker:
        owns = workspace is None
        ws = make_workspace() if workspace is None else workspace
        lifetime = 24 * 3600 if mode == "session" else self._lifetime(self.settings.timeout_s)
        container = self._start_container(ws, self.settings.limits(), lifetime)
        argv = [self.settings.python, "-u", "-c", WORKER_SOURCE, *(["session"] if mode == "session" else [])]
        api = self.client.api
        exec_id = api.exec_create(container.id, argv, stdin=True, user=USER, workdir=SANDBOX_WORKDIR)["Id"]
        sock = api.exec_start(exec_id, socket=True)
        return DockerWorker(container, ws, owns, exec_id, sock)

    def worker_channel(self, handle: DockerWorker) -> DockerSocketChannel:
        raw = getattr(handle.sock, "_sock", handle.sock)
        return DockerSocketChannel(raw).start()  # type: ignore[return-value]

    def worker_exit_code(self, handle: DockerWorker) -> int | None:
        with contextlib.suppress(Exception):
            return self.client.api.exec_inspect(handle.exec_id)["ExitCode"]
        return None

    def kill_worker(self, handle: DockerWorker) -> bool:
        oom = self._finish(handle.container)
        with contextlib.suppress(Exception):
            handle.sock.close()
        self._remove(handle.container, handle.workspace if handle.owns_workspace else None)
        return oom

    def close(self) -> None:
        super().close()
        self._reaper.shutdown(wait=True)

    def start_pool(self, size: int | None = None) -> Any:
        """Also sweep containers left by dead triloop processes, before keeping new ones warm."""
        if self._pool is None:
            with contextlib.suppress(Exception):
                self.remove_orphans()
        return super().start_pool(size)

    def remove_orphans(self) -> int:
        """Remove sandbox containers whose owning process (on this host) is gone. Returns the count."""
        removed = 0
        host = os.uname().nodename
        for container in self.client.containers.list(all=True, filters={"label": LABEL}):
            owner = container.labels.get("triloop.owner", "")
            name, _, pid = owner.partition(":")
            if name == host and pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(Exception):
                    container.remove(force=True)
                    removed += 1
        return removed
