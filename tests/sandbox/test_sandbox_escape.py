"""Escape and fault suite: every attack runs on docker AND bwrap and must be contained, host unchanged.

Attacks that use default limits also run on each backend's warm-pool path (``any_sandbox``).

Each test asserts the specific outcome (the error the program met, the flag in the result, the host
process/file/listener state afterwards), not just "something failed".
"""

from __future__ import annotations

import os
import random
import subprocess
import time

import pytest
from sandbox_helpers import CANARY, host_processes_with

from triloop.tools.sandbox.settings import Limits
from triloop.tools.sandbox.workspace import make_workspace, remove_workspace

pytestmark = pytest.mark.slow


def unique() -> str:
    """A sleep duration nobody else uses, so its processes can be found on the host."""
    return str(random.randint(700_000, 799_999))


def test_no_network_to_outside(any_sandbox):
    code = """
import socket
for addr in [("1.1.1.1", 53), ("8.8.8.8", 443), ("10.0.0.1", 80)]:
    try:
        socket.create_connection(addr, timeout=3)
        print("CONNECTED", addr)
    except OSError as exc:
        print("blocked", addr[0], exc.errno)
print(open("/proc/net/dev").read().count(":"), "interfaces")
"""
    r = any_sandbox.execute(code)
    assert r.exit_code == 0, r.stderr
    assert "CONNECTED" not in r.stdout
    assert r.stdout.count("blocked") == 3
    assert "1 interfaces" in r.stdout  # only loopback exists inside


def test_no_access_to_host_loopback_port(any_sandbox, loopback_listener):
    port, received = loopback_listener
    code = f"""
import socket
try:
    s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
    s.sendall(b"escaped")
    print("CONNECTED")
except OSError as exc:
    print("blocked", type(exc).__name__)
"""
    r = any_sandbox.execute(code)
    assert "blocked ConnectionRefusedError" in r.stdout  # the sandbox's own loopback has no listener
    time.sleep(0.3)
    assert received == []


def test_cannot_read_host_file_outside_workspace(any_sandbox, host_secret):
    code = f"""
import os
for path in [{str(host_secret)!r}, "/root/.bashrc", "/etc/shadow", "/work/main/pyproject.toml"]:
    try:
        print("READ", path, open(path).read()[:40])
    except OSError as exc:
        print("blocked", path, type(exc).__name__)
"""
    r = any_sandbox.execute(code)
    assert r.exit_code == 0, r.stderr
    assert CANARY not in r.stdout
    assert f"blocked {host_secret} FileNotFoundError" in r.stdout
    assert "READ" not in r.stdout.replace("READ /etc/shadow", "")  # docker image has its own /etc
    assert "READ /etc/shadow" not in r.stdout  # image's shadow is root-only; bwrap has none


def test_cannot_see_host_env_secrets(any_sandbox, host_env_secret):
    assert os.environ["OPENAI_API_KEY"] == CANARY
    code = """
import os, glob
print(sorted(os.environ))
print(os.environ.get("OPENAI_API_KEY"))
for path in glob.glob("/proc/*/environ"):
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    if b"canary" in data:
        print("LEAK", path)
"""
    r = any_sandbox.execute(code)
    assert r.exit_code == 0, r.stderr
    assert CANARY not in r.stdout
    assert "LEAK" not in r.stdout
    assert "OPENAI_API_KEY" not in r.stdout
    assert "\nNone\n" in r.stdout


def test_cannot_write_outside_workspace(any_sandbox, host_secret):
    before = host_secret.read_text()
    code = f"""
import os
for path in ["/usr/evil", "/etc/evil", "/evil", {str(host_secret)!r}, {str(host_secret.parent / "new")!r}]:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        print("WROTE", path)
    except OSError as exc:
        print("blocked", path, type(exc).__name__)
open("/tmp/scratch", "w").write("ok")
open("inside.txt", "w").write("ok")
print("tmp and workspace writable")
"""
    r = any_sandbox.execute(code)
    assert r.exit_code == 0, r.stderr
    assert "WROTE" not in r.stdout
    assert r.stdout.count("blocked") == 5
    assert "tmp and workspace writable" in r.stdout
    assert r.files_changed == ["inside.txt"]
    assert host_secret.read_text() == before
    assert not (host_secret.parent / "new").exists()
    assert not os.path.exists("/evil") and not os.path.exists("/usr/evil")


def test_fork_bomb_is_capped_and_cleaned_up(sandbox):
    token = unique()
    code = f"""
import os, time
n = 0
try:
    while n < 100000:
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "{token}"])
        n += 1
except OSError as exc:
    print("fork blocked after", n, type(exc).__name__)
"""
    r = sandbox.execute(code, limits=Limits(pids=64))
    assert "fork blocked after" in r.stdout, r.stderr
    forked = int(r.stdout.split("fork blocked after")[1].split()[0])
    assert forked < 64
    time.sleep(0.5)
    assert host_processes_with(f"sleep {token}") == []


def test_memory_bomb_is_contained(sandbox):
    code = """
chunks = []
for i in range(200):
    chunks.append(b"x" * (32 * 1024 * 1024))
    print("allocated", (i + 1) * 32, "MB", flush=True)
"""
    r = sandbox.execute(code, limits=Limits(memory_mb=256))
    assert r.exit_code != 0
    allocated = [int(line.split()[1]) for line in r.stdout.splitlines() if line.startswith("allocated")]
    assert max(allocated, default=0) <= 256
    if sandbox.name == "docker":
        assert r.oom_killed and r.exit_code == 137  # the cgroup's OOM killer
    else:
        assert "MemoryError" in r.stderr  # the address-space rlimit


def test_disk_fill_is_capped(sandbox):
    tmp_path = make_workspace()
    code = """
import os
block = b"x" * (1024 * 1024)
for target in ["big.bin", "/tmp/big.bin"]:
    written = 0
    try:
        with open(target, "wb") as fh:
            for _ in range(1000):
                fh.write(block)
                fh.flush()
                written += 1
    except OSError as exc:
        print("stopped", target, written, "MB", exc.errno)
"""
    r = sandbox.execute(code, limits=Limits(file_size_mb=16), workspace=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "stopped big.bin 16 MB 27" in r.stdout  # EFBIG: the file-size limit
    assert "stopped /tmp/big.bin" in r.stdout  # EFBIG or ENOSPC on the size-limited /tmp
    assert (tmp_path / "big.bin").stat().st_size == 16 * 1024 * 1024
    remove_workspace(tmp_path)


def test_infinite_loop_times_out(any_sandbox):
    r = any_sandbox.execute("while True:\n    pass\n", timeout=1.5)
    assert r.timed_out
    assert r.exit_code is None
    assert 1.4 < r.duration_s < 4


def test_setsid_grandchild_dies_with_timeout(any_sandbox):
    token = unique()
    code = f"""
import subprocess, time
subprocess.Popen(["setsid", "sleep", "{token}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sleep", "{token}"], start_new_session=True)
time.sleep(0.5)
print("spawned", flush=True)
time.sleep(60)
"""
    r = any_sandbox.execute(code, timeout=3)
    assert r.timed_out
    assert "spawned" in r.stdout
    deadline = time.monotonic() + 3
    while host_processes_with(f"sleep {token}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert host_processes_with(f"sleep {token}") == []


def test_child_holding_stdout_open_does_not_hang(any_sandbox):
    token = unique()
    code = f"""
import subprocess
subprocess.Popen(["sleep", "{token}"])  # inherits stdout and stderr
print("parent done")
"""
    started = time.monotonic()
    r = any_sandbox.execute(code, timeout=20)
    assert time.monotonic() - started < 8
    assert r.exit_code == 0 and not r.timed_out
    assert "parent done" in r.stdout
    time.sleep(1)
    assert host_processes_with(f"sleep {token}") == []


def test_cannot_signal_host_processes(any_sandbox):
    token = unique()
    victim = subprocess.Popen(["sleep", token])
    try:
        code = f"""
import os, signal
for target in [{victim.pid}, {os.getpid()}]:
    try:
        os.kill(target, signal.SIGKILL)
        print("SIGNALLED", target)
    except OSError as exc:
        print("blocked", target, type(exc).__name__)
try:
    os.kill(-1, signal.SIGKILL)   # everything we may signal: only the sandbox itself
except OSError as exc:
    print("kill -1", type(exc).__name__)
"""
        r = any_sandbox.execute(code)
        assert "SIGNALLED" not in r.stdout
        assert f"blocked {victim.pid}" in r.stdout
        time.sleep(0.2)
        assert victim.poll() is None, "a host process was killed from inside the sandbox"
    finally:
        victim.kill()
        victim.wait()


def test_ctypes_tricks_gain_nothing(any_sandbox):
    code = """
import ctypes, ctypes.util, os
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
print("setuid0", libc.setuid(0), os.getuid())
print("unshare_user", libc.unshare(0x10000000))            # CLONE_NEWUSER
print("mount", libc.mount(b"none", b"/usr", b"tmpfs", 0, None))
caps = [l for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "NoNewPrivs"))]
print("".join(caps), flush=True)
ctypes.string_at(0)   # segfault: must only kill this program
"""
    r = any_sandbox.execute(code)
    assert "setuid0 -1 65534" in r.stdout
    assert "unshare_user -1" in r.stdout
    assert "mount -1" in r.stdout
    assert "CapEff:\t0000000000000000" in r.stdout
    assert r.exit_code == 139  # SIGSEGV, contained
    assert any_sandbox.execute("print('still fine')").stdout == "still fine\n"
