"""Checks the one Dockerfile: multi-stage, non-root, and able to build every service of the topology.

Statically, without Docker: the instructions are parsed, and the two shell snippets that read the SERVICE build
argument (the build-time check and the entrypoint) are run with /bin/sh as the image would run them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from runtime.topology import GATEWAY, GRPC_SERVICES

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
SERVICES = sorted((*GRPC_SERVICES, GATEWAY))
BASE_IMAGE = "python:3.11-slim"
IGNORED = {".venv", "gen", ".leaf", ".git", "tests", "**/__pycache__"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip()]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(DOCKERFILE.read_text()):
        if instruction[0] == "FROM":
            found.append([])
        assert found, "a Dockerfile starts with FROM"
        found[-1].append(instruction)
    return found


def run_shell(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", script, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)


def service_check() -> str:
    """The runtime stage's RUN that refuses a missing or unknown SERVICE."""
    [check] = [a for i, a in stages()[-1] if i == "RUN" and "SERVICE" in a]
    return check


def test_one_dockerfile_replaces_the_per_service_copies() -> None:
    assert DOCKERFILE.is_file()
    assert not sorted(REPO.glob("services/*/Dockerfile")), "a per-service Dockerfile came back"


def test_builds_in_stages_on_the_slim_python_image() -> None:
    build, runtime = stages()
    assert build[0] == ("FROM", f"{BASE_IMAGE} AS build")
    assert runtime[0][1].startswith(BASE_IMAGE)
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    assert ("COPY", "--from=build /app /app") in runtime
    assert any(i == "RUN" and "python protos/generate.py" in a for i, a in build)
    env = " ".join(a for i, a in runtime if i == "ENV")
    assert "PYTHONPATH=/app:/app/gen" in env


def test_the_build_stage_ignores_the_service_so_all_images_share_it() -> None:
    build, runtime = stages()
    assert not [a for _, a in build if "SERVICE" in a]
    assert ("ARG", "SERVICE") in runtime
    assert "LEAF_SERVICE=$SERVICE" in " ".join(a for i, a in runtime if i == "ENV")


def test_runs_as_a_numeric_non_root_user() -> None:
    runtime = stages()[-1]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage sets no USER"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) != 0, f"USER {users[-1]} must be numeric and not root"
    assert not group or (group.isdigit() and int(group) != 0)
    after_user = runtime[runtime.index(("USER", users[-1])) + 1:]
    assert not [i for i, _ in after_user if i == "RUN"], "nothing may run as root after USER"


def test_exposes_the_grpc_and_gateway_ports() -> None:
    runtime = stages()[-1]
    assert ("EXPOSE", "50051 8080") in runtime
    env = " ".join(a for i, a in runtime if i == "ENV")
    assert "LEAF_GRPC_LISTEN=0.0.0.0:50051" in env and "LEAF_GATEWAY_PORT=8080" in env


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_of_the_topology_passes_the_build_check(service: str) -> None:
    result = run_shell(service_check(), env={"SERVICE": service, "PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", ["", "nonexistent", "../runtime"])
def test_a_missing_or_unknown_service_fails_the_build(service: str) -> None:
    result = run_shell(service_check(), env={"SERVICE": service, "PATH": os.environ["PATH"]})
    assert result.returncode != 0
    assert "--build-arg SERVICE" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_the_entrypoint_execs_the_service_module_with_the_container_args(service: str, tmp_path: Path) -> None:
    entrypoint = stages()[-1][-1]
    assert entrypoint[0] == "ENTRYPOINT"
    shell, flag, script, argv0 = json.loads(entrypoint[1])
    assert (shell, flag) == ("/bin/sh", "-c")
    fake_python = tmp_path / "python"  # stands in for the interpreter: prints the arguments it was given
    fake_python.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake_python.chmod(0o755)
    result = run_shell(script, argv0, "--lane", "two words",
                       env={"LEAF_SERVICE": service, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["-m", f"services.{service}", "--lane", "two words"]


def test_build_context_leaves_local_state_out() -> None:
    patterns = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert IGNORED <= patterns, f"missing from .dockerignore: {IGNORED - patterns}"
