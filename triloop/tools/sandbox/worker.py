"""The process that runs INSIDE a sandbox for warm starts and persistent sessions (stdlib only).

Backends pass this file's source to ``python3 -c`` so no extra mount is needed. Two modes:

* ``once`` (warm pool): start the interpreter and namespaces ahead of time, block on stdin for one
  JSON request, then either run a Python file in-process (as ``python3 FILE`` would; saves interpreter start-up) or
  ``execvp`` the requested command. Stdout/stderr are the sandbox's own pipes, so the host supervises
  it exactly like a cold run. One request per worker: no state leaks between tasks.
* ``session``: a notebook-like kernel. Each request's code runs in one persistent namespace; its
  stdout/stderr (fds 1/2, so subprocess output is caught too) go to files in the private /tmp, and a
  JSON reply goes back on a private duplicate of the original stdout.
"""

import json
import os
import sys
import traceback

READY = b"\x00triloop-worker-ready\n"


def _once() -> None:
    os.write(2, READY)  # the host hands this worker out only after seeing this line
    request = json.loads(sys.stdin.readline() or "{}")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    argv = request.get("argv") or []
    pyfile = request.get("python_file")
    if pyfile:
        path = os.path.abspath(pyfile)
        sys.argv = [pyfile, *argv]  # as `python3 main.py` leaves it; the code filename is absolute
        sys.path[0] = os.path.dirname(path)
        code = 0
        try:
            # What `python3 main.py` does: a fresh __main__ module, code filename absolute, argv as given.
            with open(path, "rb") as fh:
                program = compile(fh.read(), path, "exec")
            main = type(sys)("__main__")
            main.__file__ = path
            sys.modules["__main__"] = main
            exec(program, main.__dict__)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int) and exc.code is not None:
                print(exc.code, file=sys.stderr)
        except BaseException as exc:
            # Show the traceback as `python3 main.py` would: from the program's first frame on.
            tb = exc.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != path:
                tb = tb.tb_next
            traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.execvp(argv[0], argv)


def _capture_run(code: str, namespace: dict, limit: int) -> dict:
    paths = ("/tmp/.triloop-out", "/tmp/.triloop-err")
    saved = (os.dup(1), os.dup(2))
    error = False
    try:
        for fd, path in zip((1, 2), paths, strict=True):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        try:
            exec(compile(code, "<session>", "exec"), namespace)
        except SystemExit as exc:
            error = exc.code not in (None, 0)
        except BaseException as exc:
            # Drop the worker's own frame so the traceback shows only the user's code.
            traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
            error = True
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    reply: dict = {"error": error}
    for key, path in zip(("stdout", "stderr"), paths, strict=True):
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            reply[key] = fh.read(limit).decode("utf-8", "replace")
        reply[key + "_dropped"] = max(0, size - limit)
        os.unlink(path)
    return reply


def _session() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    stdin = os.fdopen(os.dup(0), "r")
    os.dup2(devnull, 0)
    namespace: dict = {"__name__": "__main__"}
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in stdin:
        request = json.loads(line)
        reply = _capture_run(request["code"], namespace, int(request.get("limit", 64000)))
        proto.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    _session() if sys.argv[1:] == ["session"] else _once()
