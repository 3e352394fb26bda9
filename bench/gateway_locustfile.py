"""Locust users for bench/gateway.py: each asks for one published run at a fixed rate, authenticated.

Read from the environment (set by bench/gateway.py): LEAF_BENCH_PATH, LEAF_BENCH_TOKEN, LEAF_BENCH_RATE.
"""
import os

from locust import HttpUser, constant_throughput, task

PATH = os.environ["LEAF_BENCH_PATH"]
HEADERS = {"Cf-Access-Jwt-Assertion": os.environ["LEAF_BENCH_TOKEN"]} if os.environ.get("LEAF_BENCH_TOKEN") else {}


class RunReader(HttpUser):
    wait_time = constant_throughput(float(os.environ["LEAF_BENCH_RATE"]))

    @task
    def get_run(self) -> None:
        self.client.get(PATH, headers=HEADERS, name="GET run")
