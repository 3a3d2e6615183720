"""The embedded model end to end: assembly and integrity, structured output, and `triloop ask`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import BaseModel, Field

from triloop.errors import ModelIntegrityError
from triloop.llm.local import MODELS, assemble_model

TRILOOP = [sys.executable, "-m", "triloop.cli"]


def test_assembly_refuses_a_file_with_the_wrong_bytes(tmp_path):
    spec = MODELS["local-small"]
    bad = tmp_path / spec.filename
    with bad.open("wb") as fh:  # right size, wrong content
        fh.truncate(spec.size)
    with pytest.raises(ModelIntegrityError, match="does not match the official"):
        assemble_model("local-small", tmp_path)
    bad.write_bytes(b"short")
    with pytest.raises(ModelIntegrityError, match="size 5 bytes"):
        assemble_model("local-small", tmp_path)


def test_cli_reports_a_hash_mismatch_in_one_line(tmp_path):
    spec = MODELS["local-small"]
    (tmp_path / spec.filename).write_bytes(b"corrupt")
    env = {**os.environ, "TRILOOP_LOCAL__CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [*TRILOOP, "ask", "hi", "-m", "local-small"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "size 7 bytes" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_reports_a_bad_config_value_in_one_line():
    env = {**os.environ, "TRILOOP_LLM__TEMPERATURE": "hot"}
    proc = subprocess.run([*TRILOOP, "ask", "hi"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "llm.temperature" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_reports_an_unreachable_endpoint_in_one_line():
    env = {
        **os.environ,
        "TRILOOP_LLM__BASE_URL": "http://127.0.0.1:9/v1",
        "TRILOOP_LLM__MODEL": "remote",
        "TRILOOP_RETRY__MAX_ATTEMPTS": "2",
    }
    proc = subprocess.run([*TRILOOP, "ask", "hi"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "cannot reach http://127.0.0.1:9/v1" in proc.stderr and "Traceback" not in proc.stderr


class Arithmetic(BaseModel):
    expression: str
    result: int = Field(description="the value of the expression")


@pytest.mark.model
def test_structured_output_from_the_real_small_model(local_llm_small):
    answer = local_llm_small.structured(
        [{"role": "user", "content": "Compute 12 + 30. Give the expression and the integer result."}],
        Arithmetic,
        max_tokens=80,
    )
    assert isinstance(answer, Arithmetic)
    assert answer.result == 42
    assert local_llm_small.usage.total().completion_tokens > 0


@pytest.mark.model
def test_structured_output_from_the_real_default_model(local_llm):
    answer = local_llm.structured(
        [{"role": "user", "content": "What is 9 * 8? Give the expression and the integer result."}],
        Arithmetic,
        max_tokens=80,
    )
    assert answer.result == 72


@pytest.mark.model
def test_triloop_ask_answers_with_the_embedded_model(local_llm):
    local_llm.endpoint()  # the CLI reuses this running server through its state file
    proc = subprocess.run(
        [*TRILOOP, "ask", "What is 17*23?"], capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr
    assert "391" in proc.stdout
    assert "completion tokens" in proc.stderr


def test_doctor_shows_each_part_and_fails_on_a_broken_one(tmp_path):
    env = {
        **os.environ,
        "TRILOOP_LLM__BASE_URL": "http://127.0.0.1:9/v1",
        "TRILOOP_LLM__MODEL": "remote",
        "TRILOOP_RETRY__MAX_ATTEMPTS": "1",
        "TRILOOP_MEMORY_DIR": str(tmp_path / "memory"),
        "COLUMNS": "200",
    }
    proc = subprocess.run([*TRILOOP, "doctor"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines() if line.count("│") >= 3}
    assert "cannot reach http://127.0.0.1:9/v1" in rows["llm"]
    assert "ok" in rows["sandbox"] and "ok" in rows["memory"]
    assert "Traceback" not in proc.stderr
