"""The mesh as a user starts it (`leaf run`, once per session), and HTTP clients signed in as different people."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.supervisor import free_port

LEAF = Path(sys.executable).parent / "leaf"
DEMO_GROUP = "leaf-demo"  # entitled to every demo client by `leaf demo`
CORS_ORIGIN = "https://app.leaf.example"


def leaf(home: Path, *args: str) -> str:
    done = subprocess.run([str(LEAF), *args], env={**os.environ, "LEAF_HOME": str(home)}, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def mesh(tmp_path_factory):
    home = tmp_path_factory.mktemp("leaf-home")
    port = free_port()
    env = {**os.environ, "LEAF_HOME": str(home), "LEAF_GATEWAY_PORT": str(port), "LEAF_GATEWAY_CORS_ORIGINS": CORS_ORIGIN}
    process = subprocess.Popen([str(LEAF), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("leaf run exited:\n" + "".join(printed))
        printed.append(line)
        if line.strip().startswith("-d '{"):  # the last line of the printed request
            break
    else:
        process.kill()
        pytest.fail("leaf run did not become ready:\n" + "".join(printed))
    addresses = {parts[0]: parts[2] for parts in (line.split() for line in printed) if len(parts) == 3 and parts[1] == "grpc"}
    base = f"http://127.0.0.1:{port}"

    def signed_in(*args: str) -> httpx.Client:
        """A client carrying a dev token minted by `leaf dev-token ARGS` (the real verification path)."""
        return httpx.Client(base_url=base, timeout=300, headers={"Cf-Access-Jwt-Assertion": leaf(home, "dev-token", *args)})

    analyst = signed_in("--group", DEMO_GROUP)
    yield {"http": analyst, "home": home, "addresses": addresses, "printed": "".join(printed), "base": base,
           "signed_in": signed_in, "anonymous": httpx.Client(base_url=base, timeout=60)}
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=60)
    rest = process.stdout.read() if process.stdout else ""
    assert code == 0, f"leaf run ended with {code}:\n{rest[-4000:]}\n{log_tails(home)}"


def log_tails(home: Path, lines: int = 15) -> str:
    """The last lines of every service's log: what a failed mesh says about itself."""
    return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                     for log in sorted((home / "logs").glob("*.log")))


def run_reply(http: httpx.Client, body: dict, wait: int = 50) -> httpx.Response:
    """POST /v1/runs as a client that wants the run: it waits (Prefer: wait=N) and, should the wait run out, follows
    the task (202, Location) until it succeeds and GETs the run. The answer is the run's (200 made before, 201 made
    while waiting, or the GET's 200), or whatever error POST answered."""
    reply = http.post("/v1/runs", json=body, headers={"Prefer": f"wait={wait}"})
    if reply.status_code != 202:
        return reply
    task, deadline = reply.json(), time.monotonic() + 600
    while task["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            pytest.fail(f"task {task['task_id']} still {task['state']} after 10 minutes")
        time.sleep(0.5)
        task = http.get(reply.headers["location"]).raise_for_status().json()
    assert task["state"] == "succeeded", task
    return http.get(task["links"]["run"])


def pytest_terminal_summary(terminalreporter):
    """How many generated cases schemathesis sent, per operation (issue: the count of cases tried is printed)."""
    from tests.e2e.test_api_contract import TRIED
    if TRIED:
        generated = {operation: count for operation, count in TRIED.items() if count > 1}
        singles = len(TRIED) - len(generated)  # mostly schemathesis's probes of undocumented methods
        terminalreporter.write_sep("-", f"schemathesis: {sum(TRIED.values())} cases over {len(TRIED)} method/path "
                                        f"pairs ({singles} of them tried once, listed below are the rest)")
        for operation, count in sorted(generated.items()):
            terminalreporter.write_line(f"  {count:4d}  {operation}")
