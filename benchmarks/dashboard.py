"""How long the dashboard takes to answer: ``scsim dashboard`` started as a user would, its
kernels ready, then a question asked over its HTTP API as the page asks it (submit, poll
every 0.25 s as the page does, fetch what the page draws). Not part of the test suite.

    python benchmarks/dashboard.py [--agents 50000] [--days 365] [--repeats 3]

Prints the start-up (until the kernels are ready) and, per repeat, the seconds from the
request to the run done (in the store) and to the page's data fetched, with the load
average: on a shared machine each figure is noisy, so the best repeat is shown too.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

POLL = 0.25  # seconds, as the page polls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        started = time.perf_counter()
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "scsim", "dashboard", "--no-browser", "--port", "0",
                 "--store", str(Path(folder) / "store")], stdout=out, stderr=out)
        try:
            url = None
            while url is None:
                time.sleep(0.2)
                match = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text())
                url = match.group(0) if match else None
            client = httpx.Client(base_url=url, timeout=60)
            while True:
                try:
                    if client.get("/api/status").json()["state"] == "ready":
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            print(f"start-up until the kernels are ready: {time.perf_counter() - started:.1f} s")
            client.get("/")
            body = {"source": {"kind": "builtin", "ref": "national-800"},
                    "agents": args.agents, "days": args.days, "seed": 1}
            best = None
            for k in range(args.repeats):
                t0 = time.perf_counter()
                client.post("/api/run", json={**body, "seed": k + 1}).raise_for_status()
                while (job := client.get("/api/job").json()["job"])["status"] in (
                        "queued", "running"):
                    time.sleep(POLL)
                done = time.perf_counter() - t0
                client.get(f"/api/runs/{job['runs']['runs'][0]}").raise_for_status()
                shown = time.perf_counter() - t0
                best = min(best or shown, shown)
                print(f"{args.agents:,} agents × {args.days} days: done in {done:.2f} s, "
                      f"page data in {shown:.2f} s (load average "
                      f"{os.getloadavg()[0]:.1f})")
            print(f"best: {best:.2f} s")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
