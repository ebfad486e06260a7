"""How long the dashboard takes to answer: ``scsim dashboard`` started as a user would, its
kernels ready, then a question asked over its HTTP API as the page asks it (submit, then
wait for each change of the job as the page does, fetch what the page draws as soon as the
run's days are done) and, with ``--browser``, in headless Chromium (press Run, time until
the page has drawn the run). Not part of the test suite.

    python benchmarks/dashboard.py [--agents 50000] [--days 365] [--repeats 3] [--browser]

Prints the start-up (until the kernels are ready) and, per repeat, the seconds from the
request to the page's data fetched (and how much of it was not the simulated days: the
dashboard's own cost, which a busy machine inflates less than the days) and to the run kept
in the store, the seconds the worker spent in each phase of the job, and the load average:
on a shared machine each figure is noisy, so the best and the median repeat are shown too.
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
CHROMIUM = "/usr/bin/chromium"  # Debian's, as the browser tests use it
# Resolves with the milliseconds from pressing Run to the run drawn: the page's last step
# in drawing a run is to point its download links at it (``openRun`` in static/app.js).
PRESS_RUN = """() => new Promise(resolve => {
  const links = document.getElementById("downloads"), before = links.dataset.run;
  const t0 = performance.now();
  new MutationObserver((_, watcher) => {
    if (links.dataset.run !== before) { watcher.disconnect(); resolve(performance.now() - t0); }
  }).observe(links, {attributes: true});
  document.getElementById("run").click();
})"""

LATEST_JOB = """async () => (await (await fetch("/api/job")).json()).job"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true",
                        help="also time the page in headless Chromium (needs playwright)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        started = time.perf_counter()
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "scsim", "dashboard", "--no-browser", "--port", "0",
                 "--store", str(Path(folder) / "store")], stdout=out, stderr=out)
        try:
            url = wait_until_ready(log)
            print(f"start-up until the kernels are ready: {time.perf_counter() - started:.1f} s")
            report("page data", [ask_api(url, args.agents, args.days, seed)
                                 for seed in range(1, args.repeats + 1)])
            if args.browser:
                report("run drawn in the browser",
                       ask_browser(url, args.agents, args.days, args.repeats, folder))
        finally:
            proc.terminate()
            proc.wait(30)


def wait_until_ready(log: Path) -> str:
    """The dashboard's address, once its worker has the kernels ready."""
    url = None
    while url is None:
        time.sleep(0.2)
        match = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text())
        url = match.group(0) if match else None
    while True:
        try:
            if httpx.get(url + "api/status").json()["state"] == "ready":
                return url
        except httpx.TransportError:
            pass
        time.sleep(0.2)


def ask_api(url: str, agents: int, days: int, seed: int) -> float:
    """One question over the HTTP API; returns the seconds until the page's data was
    fetched (and prints them, with the seconds until the run was kept and the worker's)."""
    client = httpx.Client(base_url=url, timeout=60)
    client.get("/")  # the session cookie
    body = {"source": {"kind": "builtin", "ref": "national-800"}, "agents": agents,
            "days": days, "seed": seed}
    t0 = time.perf_counter()
    job = client.post("/api/run", json=body).raise_for_status().json()
    shown = None
    while job["status"] in ACTIVE:
        if job["status"] == "saving" and shown is None:
            shown = fetch_page_data(client, job, t0)
        job = client.get("/api/job", params={"after": job["version"]}).json()["job"]
    stored = time.perf_counter() - t0
    if job["status"] != "done":
        sys.exit(f"the run ended {job['status']}: {job['error']}")
    if shown is None:  # the store was as quick as the page
        shown = fetch_page_data(client, job, t0)
    phases = ", ".join(f"{p} {s:.2f}" for p, s in job["seconds"].items())
    print(f"{agents:,} agents × {days} days: page data in {shown:.2f} s, of which "
          f"{shown - job['seconds']['days']:.2f} s not the days; kept in the store in "
          f"{stored:.2f} s (worker: {phases}; load average {os.getloadavg()[0]:.1f})")
    return shown


def fetch_page_data(client: httpx.Client, job: dict, t0: float) -> float:
    """Fetch what the page draws of the job's run; returns the seconds since ``t0``."""
    client.get(f"/api/runs/{job['runs']['runs'][0]}").raise_for_status()
    return time.perf_counter() - t0


def ask_browser(url: str, agents: int, days: int, repeats: int, folder: str) -> list[float]:
    """The same question asked in headless Chromium: the seconds from pressing Run to the
    run drawn, per repeat."""
    from playwright.sync_api import expect, sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            Path(folder) / "profile", executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(url)
        expect(page.locator("#levers input")).not_to_have_count(0)
        for seed in range(1, repeats + 1):
            for field, value in (("agents", agents), ("days", days), ("seed", seed + 100)):
                page.fill(f"#{field}", str(value))
            page.wait_for_timeout(500)  # validation as you type (250 ms after the last key)
            expect(page.locator("#run")).to_be_enabled()
            seconds = page.evaluate(PRESS_RUN) / 1000
            expect(page.locator("#progress-text")).to_have_attribute("data-status", "done",
                                                                     timeout=120_000)
            job = page.evaluate(LATEST_JOB)
            print(f"{agents:,} agents × {days} days: drawn in the browser {seconds:.2f} s "
                  f"after pressing Run, of which {seconds - job['seconds']['days']:.2f} s not "
                  f"the days (load average {os.getloadavg()[0]:.1f})")
            out.append(seconds)
        browser.close()
    return out


def report(what: str, seconds: list[float]) -> None:
    print(f"{what}: best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
