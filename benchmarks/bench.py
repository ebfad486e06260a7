"""scsim's speed and memory, measured: ``make bench`` (10^5 to 10^7 agents, about 7
minutes on 2 cores) or ``make bench-quick`` (10^5 only). Not part of the test suite.

    python benchmarks/bench.py [--quick] [--huge] [--out benchmarks/results/latest.json]
                               [--doc docs/performance.md] [--from-json FILE]

Sections (each a list of rows in the JSON, printed as one table):

* throughput: agent-days per second after JIT warm-up, and the wall time per phase, of
  national-800 as shipped (one year; its two pilot regions run alone for the first 90
  days), of national-800 with the system in every region from day 0 (the scaling runs), and
  of the same with reports, false reports and shaming switched on as well ("everything");
* cold start: a fresh process running national-800 (10^5 agents, 30 days) with an empty
  numba cache, then again with the cache it left;
* mesa: the mesa-parity scenario in scsim and in idiomatic Mesa 3 (mesa_parity.py) on the
  same Barabási–Albert network, alternating, 100 days; speed ratio and listing rates;
* simple: the simple configuration (one behaviour, association, recovery, threshold
  listing, travel bans: ``plain_numpy.SIMPLE``) in scsim (all threads and one), written as
  plain vectorised numpy/scipy (plain_numpy.py) and in Starsim 3.7 (starsim_model.py, run
  in a child process), alternating on the same network, 100 days, setup excluded;
  ``--simple-only`` runs only this section (10^5 and 10^6 agents);
* bound: this machine's memory bandwidth (a large array copy) and the lower bound on a
  simulated day it implies (every byte of the state and the CSR read once), and a second
  bound that also counts one 64-byte cache line per neighbour score gathered (the score
  phase reads the scores of every neighbour of every agent, in no cache-friendly order);
* memory: peak RSS per agent at each size (30 days, a fresh process each, the run recorded
  in a temporary run store as `scsim run` does: the agents table written at the end, and
  pandas, pyarrow and duckdb loaded, as the estimate assumes), with and without per-agent
  sources (``metrics.per_agent_sources``), the estimate scsim refuses runs with, and the
  largest population that fits in this machine's RAM; ``--huge`` also runs 10^8 agents
  for 30 days without per-agent sources;
* scaling: time per simulated day against N and against the mean degree.

Timings on a shared machine are noisy: each figure is the best of its repeats, and the load
average is recorded with the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numba
import numpy as np
import psutil

import scsim
from scsim.core.engine import Simulation
from scsim.core.memory import estimate_bytes
from scsim.core.params import Names
from scsim.core.state import AGENT_ARRAYS, bytes_per_row, short_arrays, widths

HERE = Path(__file__).resolve().parent
STARSIM_PYTHON = sys.executable if importlib.util.find_spec("starsim") else None
GiB = 2**30
ALL_REGIONS = ["regions.rollout=[{day: 0, regions: all}]"]
NO_LEDGER = ["metrics.per_agent_sources=false"]
EVERYTHING = [*ALL_REGIONS, "reports.enabled=true", "reports.true_rate=0.05",
              "reports.false_rate=0.002", "shaming.enabled=true", "shaming.probability=0.5",
              "shaming.sever.social=0.2", "shaming.restore_rate=0.002"]


# --------------------------------------------------------------------------- helpers


def machine() -> dict:
    """What the figures were measured on."""
    model = platform.processor()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("\n"):
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "threads": numba.get_num_threads(),
            "ram_gib": round(psutil.virtual_memory().total / GiB, 1),
            "python": platform.python_version(), "numba": numba.__version__,
            "numpy": np.__version__, "scsim": scsim.__version__,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_before": [round(x, 2) for x in os.getloadavg()]}


def simulate(name: str, agents: int, days: int, overrides=(), seed: int = 1,
             store: str | None = None) -> dict:
    """One run in this process: setup and simulated seconds, per-phase seconds; with
    ``store`` (a folder) the run is recorded there as `scsim run` does (its run seconds
    then include writing its tables)."""
    sc = scsim.load_scenario(name, agents=agents, days=days, overrides=list(overrides))
    t0 = time.perf_counter()
    sim = Simulation(sc, seed=seed)
    t1 = time.perf_counter()
    res = sim.run() if store is None else scsim.open_store(store).record(sim)
    t2 = time.perf_counter()
    return {"agents": agents, "days": days, "setup_s": t1 - t0, "run_s": t2 - t1,
            "agent_days_per_s": agents * days / (t2 - t1),
            "ms_per_day": 1000 * (t2 - t1) / days,
            "profile_s": {k: v for k, v in sim.profile.items() if k != "setup"},
            "listed_share": float(res.metrics["listed"].iloc[-1]) / agents,
            "ties": res.info["ties"]}


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["run_s"])


def peak_rss() -> int:
    """Peak resident memory of this process in bytes (VmHWM: unlike ru_maxrss, it does
    not carry over the parent's peak into a child process)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(args: list[str], env: dict | None = None) -> dict:
    """Run this script in a fresh process (``--child ...``) and return its JSON line."""
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, env={**os.environ, **(env or {})}, check=True)
    return json.loads(out.stdout.strip().split("\n")[-1])


def child_main(kind: str, *rest: str) -> None:
    """Entry point of a child process; prints one JSON line."""
    t0 = time.perf_counter()
    if kind == "memory":  # memory N DAYS BASELINE [OVERRIDE...]
        agents, days, overrides = int(rest[0]), int(rest[1]), list(rest[3:])
        sc = scsim.load_scenario("national-800", agents=agents, days=days,
                                 overrides=overrides)
        with tempfile.TemporaryDirectory() as store:
            r = simulate("national-800", agents, days, overrides, store=store)
        peak = peak_rss()
        r.update(peak_bytes=peak, estimate_bytes=estimate_bytes(sc, agents, Names.of(sc)),
                 baseline_bytes=int(rest[2]), stored=True,
                 per_agent_sources=Names.of(sc).per_agent_sources,
                 all_regions=bool(set(ALL_REGIONS) & set(overrides)))
        print(json.dumps(r))
    elif kind == "baseline":  # RSS of a process that has imported scsim and run a tiny model
        simulate("national-800", 2000, 3)
        print(json.dumps({"peak_bytes": peak_rss()}))
    elif kind == "cold":
        simulate("national-800", 100_000, 30)
        print(json.dumps({"process_s": time.perf_counter() - t0}))


# --------------------------------------------------------------------------- sections


def throughput(runs: list[tuple[str, int, int, int]]) -> list[dict]:
    """(variant, agents, days, repeats) -> the best of the repeats of each."""
    variants = {"as shipped": [], "all regions": ALL_REGIONS, "everything": EVERYTHING}
    for overrides in variants.values():  # JIT warm-up (loads or compiles every kernel)
        simulate("national-800", 5000, 20, overrides)
    rows = []
    for variant, n, days, repeats in runs:
        r = best([simulate("national-800", n, days, variants[variant])
                  for _ in range(repeats)])
        r.update(variant=variant, load=round(os.getloadavg()[0], 2))
        rows.append(r)
        print(f"  national-800 ({variant}) {n:>11,} agents x {days} days: "
              f"{r['agent_days_per_s'] / 1e6:6.2f} M agent-days/s ({r['ms_per_day']:.1f} "
              f"ms/day, setup {r['setup_s']:.1f} s, load {r['load']})", flush=True)
    return rows


def cold_start() -> dict:
    with tempfile.TemporaryDirectory(prefix="scsim-bench-cache-") as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold = child(["cold"], env)["process_s"]
        warm = child(["cold"], env)["process_s"]
    print(f"  cold start (10^5 agents, 30 days): {cold:.1f} s empty cache, {warm:.1f} s warm",
          flush=True)
    return {"cold_s": cold, "warm_cache_s": warm}


def mesa(sizes: list[int], days: int, repeats: dict[int, int]) -> list[dict]:
    sys.path.insert(0, str(HERE))
    import mesa_parity

    rows = []
    for n in sizes:
        sc = scsim.load_scenario("mesa-parity", agents=n, days=days)
        s_runs, m_runs = [], []
        for rep in range(repeats[n]):
            # Each seed generates its own network; Mesa runs with the same seed on it.
            sim = Simulation(sc, seed=rep + 1)
            graph = mesa_parity.graph_of(sim.state.net.indptr, sim.state.net.neighbour_ids())
            t0 = time.perf_counter()
            res = sim.run()
            s_runs.append((time.perf_counter() - t0, float(res.metrics["listed"].iloc[-1])))
            t0 = time.perf_counter()
            model = mesa_parity.run(sc, graph, days, seed=rep + 1)
            m_runs.append((time.perf_counter() - t0, float(model.listed_per_day[-1])))
        s_time, m_time = min(t for t, _ in s_runs), min(t for t, _ in m_runs)
        s_share = np.array([x for _, x in s_runs]) / n
        m_share = np.array([x for _, x in m_runs]) / n
        s_rate, m_rate = s_share.mean(), m_share.mean()
        # Paired by seed (same network): the standard error of the mean difference is the
        # spread of the differences, or the binomial error of a difference if larger.
        diff = s_share - m_share
        spread = diff.std(ddof=1) if repeats[n] > 2 else 0.0
        se = max(spread, np.sqrt(2 * s_rate * (1 - s_rate) / n)) / np.sqrt(repeats[n])
        row = {"agents": n, "days": days, "scsim_s": s_time, "mesa_s": m_time,
               "ratio": m_time / s_time, "scsim_listed": s_rate, "mesa_listed": m_rate,
               "z": (s_rate - m_rate) / se if se > 0 else 0.0, "repeats": repeats[n],
               "load": round(os.getloadavg()[0], 2)}
        rows.append(row)
        print(f"  mesa-parity {n:>9,} agents x {days} days: scsim {s_time:.2f} s, Mesa "
              f"{m_time:.1f} s, ratio {row['ratio']:.0f}x; listed {s_rate:.2%} vs "
              f"{m_rate:.2%} (z = {row['z']:.1f})", flush=True)
    return rows


def simple(sizes: list[int], days: int, repeats: int,
           starsim_python: str | None = None) -> list[dict]:
    """The simple configuration (plain_numpy.SIMPLE) in scsim (all threads, and one),
    in plain numpy/scipy and, with ``starsim_python``, in Starsim (run in that Python's
    environment), alternating on the same network; setup excluded everywhere."""
    sys.path.insert(0, str(HERE))
    import plain_numpy

    threads = numba.get_num_threads()
    rows = []
    for n in sizes:
        sc = scsim.load_scenario("mesa-parity", agents=n, days=days,
                                 overrides=plain_numpy.SIMPLE)
        times: dict[str, list[float]] = {"scsim": [], "scsim_1": [], "plain": [],
                                         "starsim": []}
        listed: dict[str, list[float]] = {k: [] for k in times}
        for rep in range(repeats):
            for label, t in (("scsim", threads), ("scsim_1", 1)):
                sim = Simulation(sc, seed=rep + 1, threads=t)
                t0 = time.perf_counter()
                res = sim.run()
                times[label].append(time.perf_counter() - t0)
                listed[label].append(float(res.metrics["listed"].iloc[-1]) / n)
            numba.set_num_threads(threads)
            net = sim.state.net
            model = plain_numpy.PlainModel(sc, net.indptr, net.neighbour_ids(), seed=rep + 1)
            t0 = time.perf_counter()
            for _ in range(days):
                model.step()
            times["plain"].append(time.perf_counter() - t0)
            listed["plain"].append(model.listed_per_day[-1] / n)
            if starsim_python:
                r = _starsim_run(starsim_python, sc, net, days, rep + 1)
                times["starsim"].append(r["run_s"])
                listed["starsim"].append(r["listed"] / n)
        row = {"agents": n, "days": days, "repeats": repeats, "threads": threads,
               "load": round(os.getloadavg()[0], 2)}
        for k, v in times.items():
            if v:
                row[f"{k}_s"] = min(v)
                row[f"{k}_listed"] = float(np.mean(listed[k]))
        rows.append(row)
        print(f"  simple model {n:>9,} agents x {days} days: " + ", ".join(
            f"{k} {row[k + '_s']:.2f} s ({row[k + '_listed']:.2%} listed)" for k in times
            if k + "_s" in row), flush=True)
    return rows


def _starsim_run(python: str, sc, net, days: int, seed: int) -> dict:
    """One run of starsim_model.py in Starsim's Python, on this network."""
    b = sc.behaviours[0]
    pars = {"rate": b.rate, "delta": b.delta,
            "coverage": sc.surveillance.channels[b.channel].coverage,
            "alpha": sc.scoring.association.alpha, "rho": sc.scoring.recovery,
            "s0": sc.scoring.s0, "s_min": sc.scoring.min, "s_max": sc.scoring.max,
            "threshold": sc.listing.threshold, "duration": sc.listing.duration,
            "air_rate": sc.sanctions.travel.air_rate}
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    nbrs = net.neighbour_ids()
    upper = rows < nbrs
    with tempfile.TemporaryDirectory(prefix="scsim-bench-starsim-") as tmp:
        edges, params = Path(tmp) / "edges.npz", Path(tmp) / "params.json"
        np.savez(edges, p1=rows[upper], p2=nbrs[upper], n=net.n)
        params.write_text(json.dumps(pars))
        out = subprocess.run([python, str(HERE / "starsim_model.py"), str(edges),
                              str(params), str(days), str(seed)], capture_output=True,
                             text=True, check=True, env={**os.environ,
                                                         "STARSIM_INSTALL_FONTS": "0"})
    return json.loads(out.stdout.strip().split("\n")[-1])


@numba.njit(parallel=True, cache=True)
def _parallel_copy(src, dst):
    for b in numba.prange(64):
        lo = len(src) * b // 64
        hi = len(src) * (b + 1) // 64
        dst[lo:hi] = src[lo:hi]


def bandwidth(nbytes: int = GiB) -> dict:
    """Copy bandwidth in bytes per second of traffic (read + write), with numpy (one
    thread) and a parallel copy (all threads); best of five."""
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    out = {}
    for name, copy in (("numpy", lambda: np.copyto(dst, src)),
                       ("parallel", lambda: _parallel_copy(src, dst))):
        copy()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            copy()
            times.append(time.perf_counter() - t0)
        out[name] = 2 * src.nbytes / min(times)
    print(f"  memory bandwidth: {out['numpy'] / 1e9:.1f} GB/s (numpy copy), "
          f"{out['parallel'] / 1e9:.1f} GB/s (parallel copy)", flush=True)
    return out


def day_bytes(n: int, ties_entries: int) -> int:
    """Bytes one simulated day of national-800 must touch at least: every state array of
    every agent once, and the CSR once."""
    sc = scsim.load_scenario("national-800")
    names = Names.of(sc)
    return n * (bytes_per_row(AGENT_ARRAYS, widths(names), short_arrays(names, n)) + 8) + (
        ties_entries * 5)


def memory(sizes: list[int], days: int, overrides: list[str]) -> list[dict]:
    """Peak memory of national-800 with ``overrides`` at each size, each run recorded in a
    temporary store in a fresh process."""
    baseline = child(["baseline"])["peak_bytes"]
    rows = []
    for n in sizes:
        r = child(["memory", str(n), str(days), str(baseline), *overrides])
        r["bytes_per_agent"] = r["peak_bytes"] / n
        r["estimate_ratio"] = r["estimate_bytes"] / r["peak_bytes"]
        rows.append(r)
        print(f"  memory {n:>11,} agents x {days} days {' '.join(overrides)}: peak "
              f"{r['peak_bytes'] / GiB:.2f} GiB = {r['bytes_per_agent']:.0f} B/agent; "
              f"estimate {r['estimate_ratio']:.2f}x the peak", flush=True)
    return rows


def largest(rows: list[dict], ram: int) -> dict | None:
    """The largest population that fits in ``ram`` bytes: 10^8 if it ran, else
    extrapolated from the bytes per extra agent of the two largest sizes (None with one
    size, which tells nothing of them)."""
    if rows and rows[-1]["agents"] == 10**8:
        return {"agents": 10**8, "ram_gib": ram / GiB, "how": "ran 10^8"}
    if len(rows) < 2:
        return None
    a, b = rows[-2:]
    per = (b["peak_bytes"] - a["peak_bytes"]) / (b["agents"] - a["agents"])
    return {"agents": int((ram - b["baseline_bytes"]) / per), "ram_gib": ram / GiB,
            "how": f"extrapolated at {per:.0f} B per extra agent"}


def degree_scaling(n: int, degrees: list[float], days: int) -> list[dict]:
    rows = []
    for k in degrees:
        r = simulate("national-800", n, days, [*ALL_REGIONS, f"network.mean_degree={k}"])
        r["mean_degree"] = 2 * r["ties"] / n
        rows.append(r)
        print(f"  degree {r['mean_degree']:5.1f}: {r['ms_per_day']:.1f} ms/day", flush=True)
    return rows


# --------------------------------------------------------------------------- report


def report(results: dict) -> str:
    """The results as one Markdown table (also the one in docs/performance.md)."""
    lines = [f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
             f"{results['machine']['ram_gib']} GiB; {results['machine']['date']}; load "
             f"{results['machine']['load_before']} before, {results.get('load_after')} after",
             "", "| measure | size | result | target |", "|---|---|---|---|"]
    add = lines.append
    for r in results["throughput"]:
        target = "≥ 20 M" if r["agents"] == 10**6 and r["variant"] == "as shipped" else ""
        add(f"| national-800, {r['variant']} | {r['agents']:,} × {r['days']} d | "
            f"{r['agent_days_per_s'] / 1e6:.1f} M agent-days/s ({r['ms_per_day']:.1f} ms/day; "
            f"setup {r['setup_s']:.1f} s; load {r['load']}) | {target} |")
    c = results["cold_start"]
    add(f"| cold start (new process, 30 days) | 100,000 | {c['cold_s']:.0f} s empty numba cache, "
        f"{c['warm_cache_s']:.1f} s warm cache | |")
    for r in results.get("simple", []):
        add(f"| simple model vs plain numpy/scipy | {r['agents']:,} × {r['days']} d | "
            f"{r['plain_s'] / r['scsim_s']:.1f}× faster ({r['scsim_s']:.2f} s vs "
            f"{r['plain_s']:.2f} s; one thread {r['plain_s'] / r['scsim_1_s']:.1f}×); listed "
            f"{r['scsim_listed']:.2%} vs {r['plain_listed']:.2%} | "
            f"{'≥ 4×' if r['agents'] == 10**6 else ''} |")
        if "starsim_s" in r:
            add(f"| simple model vs Starsim {results['versions'].get('starsim', '')} | "
                f"{r['agents']:,} × {r['days']} d | {r['starsim_s'] / r['scsim_s']:.1f}× "
                f"faster ({r['scsim_s']:.2f} s vs {r['starsim_s']:.2f} s; one thread "
                f"{r['starsim_s'] / r['scsim_1_s']:.1f}×); listed {r['scsim_listed']:.2%} vs "
                f"{r['starsim_listed']:.2%} | ≥ 4× |")
    for r in results.get("mesa", []):
        add(f"| mesa-parity vs Mesa {results['versions'].get('mesa', '')} | {r['agents']:,} × "
            f"{r['days']} d | {r['ratio']:.0f}× faster ({r['scsim_s']:.2f} s vs "
            f"{r['mesa_s']:.0f} s); listed {r['scsim_listed']:.2%} vs {r['mesa_listed']:.2%} "
            f"(z = {r['z']:.1f}) | {'≥ 100×' if r['agents'] == 10**5 else ''} |")
    b = results["bound"]
    add(f"| memory bandwidth (copy) | 1 GiB | {b['bandwidth']['numpy'] / 1e9:.1f} GB/s numpy, "
        f"{b['bandwidth']['parallel'] / 1e9:.1f} GB/s parallel | |")
    for r in b["sizes"]:
        add(f"| vs bandwidth bound | {r['agents']:,} | {r['ms_per_day']:.0f} ms/day = "
            f"{r['times_bound']:.1f}× the bound ({r['bound_ms']:.0f} ms for "
            f"{r['bytes'] / 1e9:.2f} GB); {r['times_gather_bound']:.1f}× the bound with one "
            f"cache line per neighbour ({r['gather_bound_ms']:.0f} ms) | "
            f"{'≤ 3×' if r['agents'] == 10**7 else ''} |")
    for r in results["memory"]:
        how = ("recorded in a store as `scsim run`; Python, numba, pandas, pyarrow, duckdb "
               "included" if r.get("stored") else "simulated only, nothing written; Python "
               "and numba included")
        ledger = "" if r.get("per_agent_sources", True) else "; no per-agent sources"
        where = "the system in every region from day 0, " if r.get("all_regions") else ""
        add(f"| peak memory (30 days, {where}{how}{ledger}) | {r['agents']:,} | "
            f"{r['peak_bytes'] / GiB:.2f} GiB = {r['bytes_per_agent']:.0f} B/agent; "
            f"estimate {r['estimate_ratio']:.2f}× | "
            f"{'≤ ~150 B/agent; estimate ±20 %' if r['agents'] >= 10**8 else 'estimate ±20 %'} |")
    fits = results["largest"] or {}
    if "agents" in fits:  # results written before the two variants
        fits = {"": fits}
    for label, fit in fits.items():
        if fit:
            which = f" ({label})" if label else ""
            add(f"| largest population, 30 days in {fit['ram_gib']:.0f} GiB{which} | | "
                f"{fit['agents'] / 1e6:.0f} million ({fit['how']}) | ≥ 100 million, "
                "≤ ~150 B/agent |")
    add("| time per day vs N (all regions) | " + ", ".join(
        f"{r['agents']:.0e}" for r in results["scaling_n"]) + " | " + ", ".join(
        f"{1e6 * r['ms_per_day'] / r['agents']:.0f}" for r in results["scaling_n"])
        + " ns per agent-day | linear |")
    deg = results["scaling_degree"]
    add(f"| time per day vs mean degree | {deg[0]['agents']:,}; degree " + ", ".join(
        f"{r['mean_degree']:.1f}" for r in deg) + " | " + ", ".join(
        f"{r['ms_per_day']:.1f}" for r in deg) + " ms/day | linear |")
    prof = results["profile"]
    total = sum(prof["seconds"].values())
    add("")
    add(f"Where the time goes ({prof['agents']:,} agents × {prof['days']} days, wall time "
        "per phase): " + ", ".join(f"{k} {v / total:.0%}" for k, v in prof["seconds"].items()))
    return "\n".join(lines)


def put_in_doc(doc: Path, table: str) -> None:
    """Replace the table between the bench-table markers of a documentation page."""
    start, end = "<!-- bench-table:start -->\n", "<!-- bench-table:end -->"
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(start)
    doc.write_text(head + start + table + "\n" + end + rest.split(end, 1)[1],
                   encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 agents only")
    parser.add_argument("--huge", action="store_true",
                        help="also 10^8 agents for 30 days (no per-agent sources)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--doc", type=Path,
                        help="put the table between the bench-table markers of this page")
    parser.add_argument("--from-json", type=Path, help="no measuring: the table of a JSON")
    parser.add_argument("--starsim-python", default=STARSIM_PYTHON,
                        help="Python of an environment with Starsim 3.7 for the Starsim "
                        "runs (default: this one, if the bench extra installed Starsim)")
    parser.add_argument("--simple-only", action="store_true",
                        help="only the simple model against plain numpy (and Starsim)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    if args.from_json:
        table = report(json.loads(args.from_json.read_text()))
        print(table)
        if args.doc:
            put_in_doc(args.doc, table)
        return

    started = time.perf_counter()
    results: dict = {"machine": machine(), "versions": {}}
    try:
        import mesa as mesa_package

        results["versions"]["mesa"] = mesa_package.__version__
    except ImportError:
        mesa_package = None
    sizes = [10**5] if args.quick else [10**5, 10**6, 10**7]
    if args.starsim_python:
        # Starsim prints a notice on its first import (it builds a font cache): the
        # version is the last line.
        results["versions"]["starsim"] = subprocess.run(
            [args.starsim_python, "-c", "import starsim; print(starsim.__version__)"],
            capture_output=True, text=True, check=True,
            env={**os.environ, "STARSIM_INSTALL_FONTS": "0"}).stdout.strip().splitlines()[-1]
    if args.simple_only:
        results["simple"] = simple(sizes[:2], 100, 3, args.starsim_python)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        return
    print(f"scsim benchmark on {results['machine']['cpu']} ({results['machine']['cores']} "
          f"cores), load {results['machine']['load_before']}", flush=True)

    year = [("as shipped", n, 365, 3 if n < 10**6 else 2) for n in sizes if n <= 10**6]
    scaling = [("all regions", n, 30, 2 if n < 10**7 else 1) for n in
               ([10**5] if args.quick else [10**5, 3 * 10**5, 10**6, 3 * 10**6, 10**7])]
    everything = [("everything", min(10**6, sizes[-1]), 30, 1)]
    results["throughput"] = throughput(year + scaling + everything)
    shipped = [r for r in results["throughput"] if r["variant"] == "as shipped"]
    all_on = [r for r in results["throughput"] if r["variant"] == "all regions"]
    results["profile"] = {k: shipped[-1][k] for k in ("agents", "days")}
    results["profile"]["seconds"] = shipped[-1]["profile_s"]
    results["cold_start"] = cold_start()
    if mesa_package is not None:
        mesa_sizes = [10**4] if args.quick else [10**4, 10**5]
        results["mesa"] = mesa(mesa_sizes, 100, {10**4: 6, 10**5: 2})
    else:
        print("  mesa-parity skipped: pip install -e '.[bench]' for Mesa", flush=True)
    results["simple"] = simple(sizes[:2], 100, 2, args.starsim_python)

    bw = bandwidth()
    fastest = max(bw.values())
    bound_rows = []
    for r in (r for r in all_on if r["agents"] in sizes):
        n = r["agents"]
        nbytes = day_bytes(n, 2 * r["ties"])
        bound_ms = 1000 * nbytes / fastest
        gather_ms = 1000 * (nbytes + 64 * 2 * r["ties"]) / fastest
        bound_rows.append({"agents": n, "bytes": nbytes, "bound_ms": bound_ms,
                           "ms_per_day": r["ms_per_day"],
                           "times_bound": r["ms_per_day"] / bound_ms,
                           "gather_bound_ms": gather_ms,
                           "times_gather_bound": r["ms_per_day"] / gather_ms})
        print(f"  {n:>11,} agents: {r['ms_per_day']:.1f} ms/day, bound {bound_ms:.1f} ms "
              f"({nbytes / 1e9:.2f} GB): {r['ms_per_day'] / bound_ms:.1f}x", flush=True)
    results["bound"] = {"bandwidth": bw, "sizes": bound_rows}

    # Every region from day 0: every agent's rows are in use (as shipped, the pilot regions
    # alone leave most of the ledger's zero pages untouched for 90 days, so the peak of 30
    # days would promise populations that a year of the system everywhere does not fit).
    kept = memory(sizes, 30, ALL_REGIONS)
    dropped = memory(sizes + ([10**8] if args.huge else []), 30, [*ALL_REGIONS, *NO_LEDGER])
    results["memory"] = kept + dropped
    ram = psutil.virtual_memory().total
    results["largest"] = {"per-agent sources": largest(kept, ram),
                          "no per-agent sources": largest(dropped, ram)}
    results["scaling_n"] = [{"agents": r["agents"], "ms_per_day": r["ms_per_day"]}
                            for r in all_on]
    deg_n = 10**5 if args.quick else 10**6
    results["scaling_degree"] = degree_scaling(deg_n, [2, 6, 14, 30], 20)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["bench_seconds"] = time.perf_counter() - started

    table = report(results)
    print("\n" + table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**results, "table": table}, indent=2) + "\n")
    if args.doc:
        put_in_doc(args.doc, table)
    print(f"\nwritten to {args.out} in {results['bench_seconds']:.0f} s")


if __name__ == "__main__":
    main()
