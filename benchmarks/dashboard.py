"""How long the dashboard takes to answer: ``scsim dashboard`` started as a user would, its
kernels ready, then a question asked over its HTTP API as the page asks it (submit, then
wait for each change of the job as the page does, fetch what the page draws as soon as the
run's days are done). Not part of the test suite.

    python benchmarks/dashboard.py [--agents 50000] [--days 365] [--repeats 3]

Prints the start-up (until the kernels are ready) and, per repeat, the seconds from the
request to the page's data fetched and to the run kept in the store, the seconds the
worker spent in each phase of the job, and the load average: on a shared machine each
figure is noisy, so the best and the median repeat are shown too.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ACTIVE = ("queued", "running", "saving")  # a job that is not over


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
            shown_at = []
            for k in range(args.repeats):
                t0 = time.perf_counter()
                job = client.post("/api/run", json={**body, "seed": k + 1})
                job = job.raise_for_status().json()
                shown = None
                while job["status"] in ACTIVE:
                    if job["status"] == "saving" and shown is None:
                        shown = fetch_page_data(client, job, t0)
                    job = client.get("/api/job", params={"after": job["version"]}).json()["job"]
                stored = time.perf_counter() - t0
                if job["status"] != "done":
                    sys.exit(f"the run ended {job['status']}: {job['error']}")
                if shown is None:  # (a server that sends the page nothing before the store)
                    shown = fetch_page_data(client, job, t0)
                shown_at.append(shown)
                phases = ", ".join(f"{p} {s:.2f}" for p, s in job["seconds"].items())
                print(f"{args.agents:,} agents × {args.days} days: page data in {shown:.2f} s, "
                      f"kept in the store in {stored:.2f} s (worker: {phases}; load average "
                      f"{os.getloadavg()[0]:.1f})")
            print(f"page data: best {min(shown_at):.2f} s, median "
                  f"{statistics.median(shown_at):.2f} s")
        finally:
            proc.terminate()
            proc.wait(30)


def fetch_page_data(client: httpx.Client, job: dict, t0: float) -> float:
    """Fetch what the page draws of the job's run; returns the seconds since ``t0``."""
    client.get(f"/api/runs/{job['runs']['runs'][0]}").raise_for_status()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
