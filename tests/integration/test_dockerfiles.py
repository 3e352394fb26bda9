"""Checks the per-service Dockerfiles: multi-stage, non-root, right entrypoint, and in sync."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PORTS = {"scope": 50051, "calc": 50051, "evidence": 50051, "itr": 50051, "publisher": 50051,
         "tasks": 50051, "takeover": 50051, "gateway": 8080}
SERVICES = sorted(PORTS)
BASE_IMAGE = "python:3.11-slim"
IGNORED = {".venv", "gen", ".leaf", ".git", "tests", "**/__pycache__"}


def dockerfile(service: str) -> str:
    path = REPO / "services" / service / "Dockerfile"
    assert path.is_file(), f"{path} is missing"
    return path.read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip()]


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        assert found, "a Dockerfile starts with FROM"
        found[-1].append(instruction)
    return found


def normalized(service: str) -> str:
    """The Dockerfile with its service name and port replaced by placeholders."""
    text = re.sub(rf"services([./]){service}\b", r"services\1{service}", dockerfile(service))
    text = re.sub(rf"leaf/{service}\b", "leaf/{service}", text)
    return re.sub(rf"^EXPOSE {PORTS[service]}$", "EXPOSE {port}", text, flags=re.M)


@pytest.mark.parametrize("service", SERVICES)
def test_builds_in_stages_on_the_slim_python_image(service: str) -> None:
    build, runtime = stages(dockerfile(service))
    assert build[0] == ("FROM", f"{BASE_IMAGE} AS build")
    assert runtime[0][1].startswith(BASE_IMAGE)
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    assert ("COPY", "--from=build /app /app") in runtime
    assert any(i == "RUN" and "python protos/generate.py" in a for i, a in build)
    env = " ".join(a for i, a in runtime if i == "ENV")
    assert "PYTHONPATH=/app:/app/gen" in env


@pytest.mark.parametrize("service", SERVICES)
def test_runs_as_a_numeric_non_root_user(service: str) -> None:
    runtime = stages(dockerfile(service))[-1]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage sets no USER"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) != 0, f"USER {users[-1]} must be numeric and not root"
    assert not group or (group.isdigit() and int(group) != 0)
    after_user = runtime[runtime.index(("USER", users[-1])) + 1:]
    assert not [i for i, _ in after_user if i == "RUN"], "nothing may run as root after USER"


@pytest.mark.parametrize("service", SERVICES)
def test_starts_the_service_module_on_its_port(service: str) -> None:
    runtime = stages(dockerfile(service))[-1]
    assert runtime[-1][0] == "ENTRYPOINT"
    assert json.loads(runtime[-1][1]) == ["python", "-m", f"services.{service}"]
    assert ("EXPOSE", str(PORTS[service])) in runtime


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "scope"])
def test_dockerfiles_are_identical_but_for_service_and_port(service: str) -> None:
    assert normalized(service) == normalized("scope"), (
        f"services/{service}/Dockerfile drifted from services/scope/Dockerfile")


def test_build_context_leaves_local_state_out() -> None:
    patterns = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert IGNORED <= patterns, f"missing from .dockerignore: {IGNORED - patterns}"
