"""A consumer in a process of its own, to be killed: `python -m tests.integration.queue_consumer SPEC LANE LEASE`
receives one message, says which on stdout, and holds its lease until it is killed."""
from __future__ import annotations

import sys
import time

from tests.integration.queue_backends import QueueSpec


def main(spec_json: str, lane: str, lease: str) -> None:
    queue = QueueSpec.loads(spec_json).open()
    got = []
    while not got:
        got = queue.receive(lane, lease_seconds=float(lease), wait_seconds=5)
    print(f"HELD {got[0].task_id} {got[0].attempt}", flush=True)
    time.sleep(600)  # never settles: the test kills this process with SIGKILL


if __name__ == "__main__":
    main(*sys.argv[1:])
