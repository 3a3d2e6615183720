"""What one execution returns. Plain data so agents, memory and traces can store it."""

from __future__ import annotations

from pydantic import BaseModel, Field

TRUNCATION_MARKER = "\n[... output truncated by the sandbox: {dropped} more bytes ...]\n"


class ExecResult(BaseModel):
    """Outcome of running code or a command in a sandbox."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = Field(None, description="None when killed before it exited on its own")
    timed_out: bool = False
    oom_killed: bool = False
    duration_s: float = 0.0
    files_changed: list[str] = Field(default_factory=list, description="workspace paths created/changed")
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    backend: str = ""
    restarted: bool = Field(False, description="a session's worker was restarted (state lost)")
    note: str = Field("", description="sandbox remarks, e.g. why the session restarted")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.oom_killed

    def status_line(self) -> str:
        return (
            f"exit_code={self.exit_code} timed_out={self.timed_out} oom_killed={self.oom_killed} "
            f"duration={self.duration_s:.3f}s backend={self.backend}"
        )


def truncate(data: bytes, limit: int, dropped: int = 0) -> tuple[str, bool]:
    """Decode ``data`` (already capped at ``limit``) and append a marker if anything was dropped."""
    text = data[:limit].decode("utf-8", errors="replace")
    dropped += max(0, len(data) - limit)
    if dropped:
        return text + TRUNCATION_MARKER.format(dropped=dropped), True
    return text, False
