"""The baseline of bench/gateway.py: a bare FastAPI route serving the same run JSON, no mesh, no auth.

Run as `python -m bench.bare_app PORT FILE.json`, under uvicorn exactly as the gateway runs.
"""
import json
import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()
RUN = json.loads(open(sys.argv[2], encoding="utf-8").read())


@app.get("/v1/runs/{run_id}")
async def get_run(run_id: str) -> dict:
    return RUN


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)
