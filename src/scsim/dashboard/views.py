"""What the dashboard draws of a stored run and of a paired comparison, as JSON-ready
mappings: the headline (``outputs.headline``), day-by-day series, blocked travel against
the published 2018 figures, per-group and per-region figures and the network sample.
Non-finite numbers become ``null`` (JSON has no NaN)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from scsim.analysis.compare import Comparison
from scsim.analysis.published import ticket_figures
from scsim.errors import ScsimError
from scsim.outputs.headline import comparison_headline, run_headline
from scsim.outputs.result import Result

# Day-by-day columns drawn for a run (those present), then the per-group ones.
SERIES = ("day", "listed", "wrongful_listed", "newly_listed", "wrongful_new", "score_p05",
          "score_p25", "score_p50", "score_p75", "score_p95", "score_mean", "blocked_air",
          "blocked_train", "fear_mean", "penalised_acts", "shamed", "pariahs")
GROUP_SERIES = ("listed_rate_", "wrongful_rate_")


def floats(values: Any) -> list[float | None]:
    """A column as a JSON list: NaN and infinities as null."""
    out = np.asarray(values, dtype=np.float64)
    return [v if math.isfinite(v) else None for v in out.tolist()]


def number(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def run_view(res: Result) -> dict[str, Any]:
    """Everything the "Look" panel shows of one run."""
    m, agents = res.metrics, res.agents
    n, days = len(agents), len(m)
    groups = {g: {prefix.rstrip("_"): floats(m[f"{prefix}{g}"]) for prefix in GROUP_SERIES
                  if f"{prefix}{g}" in m.columns} for g in res.names.groups}
    regions = agents.groupby("region")["listed"].mean()
    return {
        "id": res.run_id, "scenario": res.scenario.name, "seed": res.seed, "agents": n,
        "days": days, "wall_seconds": res.info.get("wall_seconds"),
        "headline": run_headline(res).splitlines(),
        "numbers": {"listed_final": number(m["listed"].iloc[-1]),
                    "wrongful_final": number(m["wrongful_listed"].iloc[-1]),
                    "ever_listed": int((agents["times_listed"] > 0).sum()),
                    "ever_wrongful": int((agents["wrongful_listings"] > 0).sum())},
        "series": {c: floats(m[c]) for c in SERIES if c in m.columns},
        "groups": groups,
        "regions": {"region": [int(r) for r in regions.index],
                    "listed_share": floats(regions.to_numpy())},
        "travel": travel(m, n),
        "network": network(res),
    }


def travel(m: pd.DataFrame, agents: int) -> list[dict[str, Any]]:
    """Blocked tickets per 100 people per year, air and train, with the 2018 figures
    under both readings (``analysis.published``)."""
    years = len(m) / 365.0
    return [{"mode": mode, "run": number(100 * m[f"blocked_{mode}"].sum() / agents / years),
             "published": [{"value": 100 * f.value, "reading": f.reading, "what": f.what}
                           for f in ticket_figures(mode)]}
            for mode in ("air", "train")]


def network(res: Result) -> dict[str, Any] | None:
    """The run's network sample (nodes with their end state, ties with severed or not);
    the page lays it out."""
    if res.sample is None:
        return None
    nodes, ties = res.sample.nodes, res.sample.ties
    return {"nodes": [{"agent": int(r.agent), "group": str(r.group),
                       "listed": bool(r.listed_end), "ever_listed": bool(r.ever_listed),
                       "shamed": bool(r.shamed)} for r in nodes.itertuples()],
            "ties": [[int(a), int(b), bool(s)] for a, b, s in
                     zip(ties["a"], ties["b"], ties["severed_end"], strict=True)]}


def comparison_view(cmp: Comparison) -> dict[str, Any]:
    """The "Compare" panel: the headline sentence, what B changes, the headline metrics
    and the per-agent switches with 95 % intervals, and A and B day by day (first pair)."""
    table = cmp.metrics(headline=True)
    return {
        "headline": comparison_headline(cmp),
        "labels": list(cmp.labels), "reps": cmp.reps, "seeds": cmp.seeds,
        "runs": {"a": [r.run_id for r in cmp.a], "b": [r.run_id for r in cmp.b]},
        "changes": [{"path": p, "a": a, "b": b} for p, (a, b) in cmp.changes.items()],
        "metrics": _rows(table, ("metric", "measure"), ("a", "b", "diff", "lo", "hi")),
        "switches": _rows(cmp.switches(), ("figure",), ("agents", "lo", "hi")),
        "series": {side: {c: floats(r.metrics[c]) for c in ("day", "listed",
                                                            "wrongful_listed")}
                   for side, r in (("a", cmp.a[0]), ("b", cmp.b[0]))},
    }


def _rows(df: pd.DataFrame, keys: tuple[str, ...], values: tuple[str, ...]) -> list[dict]:
    return [{**{k: str(row[k]) for k in keys}, **{v: number(row[v]) for v in values}}
            for _, row in df.iterrows()]


def agent_view(res: Result, agent: int) -> dict[str, Any]:
    """One agent's row of the agents table (its record at the end of the run: group,
    region, score, times listed, wrongful listings, ties lost, blocked tickets, acts...),
    shown when an agent of the network picture is clicked."""
    n = len(res.agent_columns["agent"])
    if not 0 <= agent < n:
        raise ScsimError(f"no agent {agent} in this run (agents 0 to {n - 1:,})")
    row = res.agents.iloc[agent]
    return {"agent": agent, "run": res.run_id,
            "record": {k: (v.item() if isinstance(v, np.generic) else
                           str(v) if not isinstance(v, bool | int | float) else v)
                       for k, v in row.items()}}
