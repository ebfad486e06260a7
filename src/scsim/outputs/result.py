"""What a run produced: daily metrics, the final agents and companies, and how to keep them.

Tables are built on first access from the state arrays (pandas DataFrames, or Arrow tables
with ``to_arrow``), and so is each agent column: a run of 10^8 agents keeps no second copy
of its state unless asked for one. ``save`` writes Parquet files plus the resolved scenario
and run.json into a temporary folder and moves it into place, so a folder is complete or
absent, and ``Result.load`` reads such a folder back. A small sample of the network
(``sample``) is kept for pictures.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from scsim.core.checkpoint import BRANCHED, branch_headline, branch_words
from scsim.core.params import Names
from scsim.core.state import DETAINED, LISTED, SHAMED, WRONGFUL, households, rows_or_zeros
from scsim.errors import ScsimError
from scsim.fsutil import atomic_folder
from scsim.outputs.headline import percent
from scsim.outputs.provenance import provenance_tables
from scsim.outputs.words import counted, tier_bands
from scsim.scenario.loader import dump_yaml
from scsim.scenario.schema import Scenario
from scsim.world.population import malice_rows
from scsim.world.sample import NetworkSample, sample_network

if TYPE_CHECKING:
    from scsim.core.engine import Simulation
    from scsim.outputs.casefile import CaseFile

TABLES = ("metrics", "agents", "companies")
PROVENANCE_TABLES = ("groups", "regions", "wrongful", "events", "traced")
"""Daily series by group and by region, the wrongful listings with their causes
(``outputs.provenance``), the traced agents' events and the traced agents with the day each
case file opens (``outputs.casefile``); absent from runs saved before they existed."""
SAMPLE_TABLES = ("network_nodes", "network_ties")  # the network sample, for pictures


AGENT_TABLE_ROWS = 2**17
"""Rows of the agents table built and written at a time (a Parquet row group, about
DuckDB's own row group of 122,880 rows): saving a run of 10^8 agents then holds one block
of published columns (about 20 MB), not a second copy of the whole table (about 14 GB in
national-800). Measured at 10^7 agents (national-800, 2026-12-03): saving took 118 MB
above the days' peak in blocks of 2^17 rows, 363 MB in blocks of 2^20, and no longer."""


class LazyColumns(Mapping):
    """Named columns, each computed on first access by its maker and then kept. A maker
    takes a ``slice`` of rows and returns those rows of its column, so that ``rows`` can
    build any block of rows of every column without keeping whole columns."""

    def __init__(self, makers: dict[str, Callable[[slice], Any]]):
        self._makers = makers
        self._columns: dict[str, Any] = {}

    @classmethod
    def of(cls, columns: Mapping[str, Any]) -> LazyColumns:
        """Columns already computed (a loaded run's)."""
        lazy = cls({name: (lambda rows, c=c: c[rows]) for name, c in columns.items()})
        lazy._columns = dict(columns)
        return lazy

    def __getitem__(self, name: str) -> Any:
        if name not in self._columns:
            self._columns[name] = self._makers[name](slice(None))
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def rows(self, lo: int, hi: int) -> dict[str, Any]:
        """Rows ``[lo, hi)`` of every column (computed for these rows only, unless kept)."""
        return {name: self._columns[name][lo:hi] if name in self._columns
                else make(slice(lo, hi)) for name, make in self._makers.items()}

    def __reduce__(self):
        """Pickled as plain columns (``LazyColumns.of``): every column is computed (those
        not kept only for the pickle, not kept here), so that a pickle holds no maker, and
        no simulation state that the makers read."""
        columns = {name: self._columns[name] if name in self._columns
                   else make(slice(None)) for name, make in self._makers.items()}
        return (_computed_columns, (columns,))


def _computed_columns(columns: dict[str, Any]) -> LazyColumns:
    """A pickled LazyColumns back (``LazyColumns.__reduce__``)."""
    return LazyColumns.of(columns)


ARROW_FRAMES = ("sources", "groups", "regions", "wrongful", "events", "traced", "summary")
"""The run's tables besides metrics, agents and companies that ``Result.to_arrow`` gives
(from the DataFrames of the same names; ``summary`` from ``Result.summary()``)."""


CACHED_TABLES = ("metrics", "scaled_metrics", "agents", "companies")
"""The DataFrames a Result builds on first access (``cached_property``) from its columns:
left out of a pickle and built again after it."""


@dataclass(eq=False)
class Result:
    """The outcome of ``scsim.simulate``: ``metrics`` (one row per day), ``agents`` (one row
    per citizen), ``companies`` (one row per company), plus the resolved ``scenario``.

    ``==`` is identity (a Result is equal only to itself). To compare the outputs of two
    runs, compare their tables: ``res1.metrics.equals(res2.metrics)``,
    ``res1.agents.equals(res2.agents)`` (values and dtypes; NaN equal to NaN).

    A Result can be pickled (joblib, multiprocessing, notebook caches): its agent columns,
    built on first access from the simulation's final state, are computed into plain
    arrays in the pickle, which holds no simulation; the unpickled Result reads as the
    original (tables, case files, summary, plots). The DataFrames built on first access
    (``metrics``, ``agents``...) are not pickled but built again from the columns, so a
    change made to such a DataFrame in place does not travel with the pickle."""

    scenario: Scenario
    seed: int
    names: Names
    metrics_columns: list[str]
    metrics_table: np.ndarray
    agent_columns: LazyColumns
    company_columns: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)
    sample: NetworkSample | None = None
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict)  # PROVENANCE_TABLES

    @classmethod
    def from_simulation(cls, sim: Simulation, wall_seconds: float,
                        started_at: datetime) -> Result:
        from scsim import __version__  # (the package imports this module)
        from scsim.scenario.diff import file_digest

        sc, names, s = sim.scenario, sim.names, sim.state
        info = {
            "scenario": sc.name, "seed": sim.seed, "scsim_version": __version__,
            "agents": s.n, "companies": len(s.companies["score"]), "days": sc.days,
            "ties": s.net.n_ties, "wall_seconds": round(wall_seconds, 4),
            "setup_seconds": round(sim.profile["setup"], 4),
            # compiling kernels or loading them from numba's cache (setup and day loop):
            # part of the two times above, left out of the speed
            "kernel_seconds": round(sim.setup_kernels.total + sim.kernels.total, 4),
            "compile_seconds": round(sim.setup_kernels.compiling + sim.kernels.compiling, 4),
            "agent_days_per_second": round(
                s.n * sc.days / max(wall_seconds - sim.kernels.total, 1e-9)),
            "started": started_at.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "threads": sim.day_threads, "python": platform.python_version(),
            "machine": platform.machine(),
            "profile_seconds": {k: round(v, 4) for k, v in sim.profile.items()},
            # which contents of a network file the run read (``diff.file_digest``): two
            # runs on one path that held two networks do not pair (``compare_results``)
            **({"network_file_digest": file_digest(sc.network.path)}
               if sc.network.kind == "file" else {}),
            # a branch (``Simulation.load`` with another scenario): the days it ran under
            # the checkpoint's scenario (``core.checkpoint.BRANCHED``); empty for any other
            # run, whose run.json has no such key
            **({BRANCHED: sim.branched} if sim.branched else {}),
        }
        return cls(sc, sim.seed, names, sim.recorder.columns, sim.recorder.table,
                   _agent_columns(sim), _company_columns(sim), info, sample_network(sim),
                   provenance_tables(sim))

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Result:
        """A Result from the files that ``save`` wrote (the network sample if present); a
        ScsimError when ``folder`` holds no saved run."""
        folder = Path(folder)
        missing = [name for name in ("scenario.yaml", "run.json",
                                     *(f"{t}.parquet" for t in TABLES))
                   if not (folder / name).is_file()]
        if missing:
            what = "no such folder" if not folder.exists() else (
                "it is a file" if not folder.is_dir() else f"no {', '.join(missing)}")
            raise ScsimError(f"{folder} is not a run saved by scsim (Result.save, scsim run "
                             f"--out): {what}")
        data = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
        sc = Scenario.model_validate(data)
        info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        tables = {name: pq.read_table(folder / f"{name}.parquet").to_pandas()
                  for name in TABLES}
        metrics = tables["metrics"]
        sample = None
        if all((folder / f"{name}.parquet").is_file() for name in SAMPLE_TABLES):
            sample = NetworkSample(*(pq.read_table(folder / f"{name}.parquet").to_pandas()
                                     for name in SAMPLE_TABLES))
        provenance = {name: pq.read_table(folder / f"{name}.parquet").to_pandas()
                      for name in PROVENANCE_TABLES if (folder / f"{name}.parquet").is_file()}
        return cls(sc, int(info["seed"]), Names.of(sc), list(metrics.columns),
                   metrics.to_numpy(np.float64), LazyColumns.of(_columns(tables["agents"])),
                   _columns(tables["companies"]), info, sample, provenance)

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: the fields, without the DataFrames built from them
        (``CACHED_TABLES``; a second copy of the agents otherwise)."""
        return {k: v for k, v in self.__dict__.items() if k not in CACHED_TABLES}

    @property
    def run_id(self) -> str | None:
        """The id of this run in a run store, or None when it was not stored."""
        return self.info.get("run_id")

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """One row per day; counts (events, agents, companies) as int64 unless a day has
        no value (NaN), the other figures as float64."""
        from scsim.outputs.metrics import metrics_frame

        return metrics_frame(self.metrics_table, self.metrics_columns)

    @cached_property
    def scaled_metrics(self) -> pd.DataFrame:
        """The metrics in the represented population's terms: counts times
        ``population.scale``, per-capita figures unchanged (``outputs.scale``)."""
        from scsim.outputs.scale import scaled_metrics

        return scaled_metrics(self.metrics, self.scenario.population.scale)

    @cached_property
    def agents(self) -> pd.DataFrame:
        """One row per citizen (``agent``: its id, from 0): its group, region and
        household, its final state (score and error-free score in points, tier, listed,
        fear 0-1...) and its history since day 0 (times and days listed, wrongful
        listings, ties lost, blocked tickets, acts per behaviour, points by source);
        every column: docs/metrics.md."""
        return pd.DataFrame(dict(self.agent_columns), copy=False)

    @cached_property
    def companies(self) -> pd.DataFrame:
        """One row per company (``company``: its id, from 0): sector, region, legal
        representative (``legal_rep``, an agent id), final score (points), tier, listed,
        tax rate and revenue, days listed and its violations, committed and seen; every
        column: docs/metrics.md."""
        return pd.DataFrame(self.company_columns, copy=False)

    @property
    def sources(self) -> pd.DataFrame:
        """Where the points came from, per day: one row per day and source of points
        (all agents): ``points`` (recorded scores) and ``clean_points`` (error-free
        scores; 0 for the errors of the system), in points per day. Per group and per
        region: ``groups`` and ``regions``."""
        from scsim.outputs.provenance import sources_table

        return sources_table(self.metrics, self.names)

    @property
    def groups(self) -> pd.DataFrame:
        """Daily series by group (long): agents, listings, delistings, listed share and
        disparate impact, agents per tier, score mean, sd, percentiles and Gini, score
        sums and points by source (docs/provenance.md)."""
        return self._provenance("groups")

    @property
    def regions(self) -> pd.DataFrame:
        """Daily series by region (long): the figures of ``groups``, with the listed and
        the disparate impact of each group within the region (docs/provenance.md)."""
        return self._provenance("regions")

    @property
    def wrongful(self) -> pd.DataFrame:
        """Every wrongful listing of the run: day, agent, cause, the damage of each error,
        who was really seen or reported falsely, the neighbour behind its association
        damage and how many neighbours are listed wrongfully, and the agent's points by
        source (``outputs.provenance.wrongful_table``)."""
        return self._provenance("wrongful")

    @property
    def events(self) -> pd.DataFrame:
        """The traced agents' events (case files), in the order they are told (by day,
        agent and the phases of the day): day, agent, event, source, points, score_after,
        other_agent, behaviour, channel, value, cause, phase (the kinds: ``core.events``;
        how they are found: ``outputs.casefile``)."""
        return self._provenance("events")

    @property
    def traced(self) -> pd.DataFrame:
        """The agents with a case file (``explain``), one row each: agent, from_day (the day
        its case file opens), times_listed, wrongful_listings, days_listed, group, region,
        events (rows of its case file); the
        wrongfully listed first, then the others ever listed, then the rest. Empty when the
        run traced nobody."""
        from scsim.outputs.casefile import traced_table

        return traced_table(self)

    def explain(self, agent: int) -> CaseFile:
        """The case file of ``agent``: its events as a DataFrame (``.frame``) and as a
        dated story (``.text``, also ``str()``). An agent that was not traced gets the
        points each source booked to it, from the agents table."""
        from scsim.outputs.casefile import case_file

        return case_file(self, agent)

    def _provenance(self, name: str) -> pd.DataFrame:
        if name not in self.provenance:
            raise ScsimError(f"this run has no {name} table: it was saved by a version of "
                             "scsim before provenance; run it again")
        return self.provenance[name]

    def to_arrow(self, table: str = "metrics") -> pa.Table:
        """One of the run's tables as an Arrow table: ``metrics`` (each column with its
        unit and description), ``agents``, ``companies``, and the tables of the
        DataFrames of the same names: ``sources``, ``groups``, ``regions``, ``wrongful``,
        ``events``, ``traced``, ``summary``."""
        if table == "metrics":
            return with_units(pa.Table.from_pandas(self.metrics, preserve_index=False))
        columns = {"agents": self.agent_columns, "companies": self.company_columns}
        if table in columns:
            return _arrow(columns[table])
        if table not in ARROW_FRAMES:
            raise ScsimError(f"to_arrow({table!r}): no such table (metrics, agents, "
                             f"companies, {', '.join(ARROW_FRAMES)})")
        frame = self.summary() if table == "summary" else getattr(self, table)
        return pa.Table.from_pandas(frame, preserve_index=False)

    def plot(self, *what: str):
        """A matplotlib Figure (shown inline in Jupyter; needs scsim[report]): without
        arguments the overview (listed and wrongfully listed, blocked tickets since day 0,
        mean score, penalised acts); ``plot("network")`` one of the report's charts
        (scores, tiers, listed, travel, chilling, ties, groups, wrongful_groups, companies,
        network);
        ``plot("fear_mean", "pariahs")`` metric columns, one panel each."""
        from scsim.extras import require

        require("report", what="Result.plot()")
        from scsim.report.plots import plot_result

        return plot_result(self, what)

    @property
    def branched(self) -> str | None:
        """Where this run was branched, in plain words (``core.checkpoint.branch_words``):
        its days before the branch ran under the checkpoint's scenario, not under
        ``scenario``; None for a run that ran under ``scenario`` from day 0."""
        return branch_words(self.info.get(BRANCHED), self.scenario.days)

    def __repr__(self) -> str:
        from scsim.scenario.diff import changed_settings

        run = f", run {self.run_id}" if self.run_id else ""
        changed = len(changed_settings(self.scenario))
        settings = f" ({counted(changed, 'setting')} changed)" if changed else ""
        if self.info.get(BRANCHED):
            settings += f", {branch_headline(self.info[BRANCHED])}"
        return (f"Result({self.scenario.name}{settings}, "
                f"{len(self.agent_columns['times_listed']):,} agents × "
                f"{len(self.metrics_table):,} days, seed {self.seed}{run})")

    def _repr_html_(self) -> str:
        from scsim.outputs.display import result_html

        return result_html(self)

    def summary(self) -> pd.DataFrame:
        """The end-of-run summary (section, figure, value, note)."""
        from scsim.outputs.summary import summarise

        return summarise(self)

    def save(self, folder: str | os.PathLike, *, force: bool = False) -> Path:
        """Write metrics/agents/companies.parquet, the network sample, scenario.yaml and
        run.json to ``folder`` atomically (a temporary sibling folder renamed into place).
        ``folder`` must be missing or empty; an earlier scsim output is replaced only with
        ``force``, and anything else is refused (``fsutil.check_output_folder``)."""
        with atomic_folder(folder, kind="saved run", force=force) as tmp:
            self.write_files(tmp)
        return Path(folder).resolve()

    def write_files(self, folder: Path) -> None:
        """The files of a saved run, written into an existing folder."""
        for name in ("metrics", "companies"):
            pq.write_table(self.to_arrow(name), folder / f"{name}.parquet")
        self.write_agents(folder / "agents.parquet")
        (folder / "scenario.yaml").write_text(dump_yaml(self.scenario), encoding="utf-8")
        (folder / "run.json").write_text(json.dumps(self.info, indent=2) + "\n",
                                         encoding="utf-8")
        for name, df in self.provenance.items():
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False),
                           folder / f"{name}.parquet")
        if self.sample is not None:
            for name, df in zip(SAMPLE_TABLES, (self.sample.nodes, self.sample.ties),
                                strict=True):
                pq.write_table(pa.Table.from_pandas(df, preserve_index=False),
                               folder / f"{name}.parquet")


    def write_agents(self, path: Path) -> None:
        """agents.parquet, built and written ``AGENT_TABLE_ROWS`` rows at a time."""
        n = self.info["agents"]
        with pq.ParquetWriter(path, _arrow(self.agent_columns.rows(0, 0)).schema) as writer:
            for lo in range(0, n, AGENT_TABLE_ROWS):
                block = _arrow(self.agent_columns.rows(lo, min(n, lo + AGENT_TABLE_ROWS)))
                writer.write_table(block, row_group_size=AGENT_TABLE_ROWS)


def _arrow(columns: Mapping[str, Any]) -> pa.Table:
    return pa.table({k: pa.array(v) for k, v in columns.items()})


def _columns(df: pd.DataFrame) -> dict[str, Any]:
    return {c: df[c].array if isinstance(df[c].dtype, pd.CategoricalDtype)
            else df[c].to_numpy() for c in df.columns}


def _categorical(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=labels)


def _points(value: float) -> str:
    """A score in points as people read it: 700.0 is "700 points"."""
    return f"{value:,g} points"


def _tiers(sc: Scenario | None) -> str:
    meaning = "the band of scores it is in, by the scenario's thresholds"
    if sc is None:
        return f"{meaning} (each tier's lowest score: tiers[].min)"
    if not sc.tiers:
        return "this scenario sorts nobody into tiers (everyone is in tier none)"
    return f"{meaning}: {tier_bands(sc.tiers)}"


def _listed(sc: Scenario | None) -> str:
    if sc is None:
        below = "when its score fell below the listing threshold (listing.threshold), or "
    elif sc.listing.threshold is not None:
        below = f"when its score fell below {_points(sc.listing.threshold)}, or "
    else:
        below = ""
    severe = ("directly for a severe act (such as defaulting on a court judgment) whatever "
              "its score" if sc is None or any(b.severe for b in sc.behaviours) else "")
    how = f"{below}{severe}".removesuffix(", or ") or "by the scenario's rules"
    return ("on the blacklist (\"discredited\"): listed "
            f"{how}, for a term; sanctions such as travel bans apply meanwhile")


def _house_arrest(sc: Scenario | None) -> str:
    if sc is None:
        below = "the house-arrest threshold (sanctions.house_arrest.threshold)"
    else:
        arrest = sc.sanctions.house_arrest
        if not (sc.sanctions.enabled and arrest.enabled and arrest.threshold is not None):
            return "this scenario puts nobody under house arrest"
        below = _points(arrest.threshold)
    return (f"under house arrest at the end: a score below {below}, listed or not; it does "
            "nothing outside the home")


def _pariah(sc: Scenario | None) -> str:
    share = ("the scenario's share (shaming.pariah_fraction)" if sc is None else
             percent(sc.shaming.pariah_fraction, 0))
    return (f"left with fewer active ties than {share} of its ties at the start (shunned "
            "after public shaming)")


def _drawn(meaning: str, trait: str) -> Callable[[Scenario | None], str]:
    """``meaning`` of a trait drawn per person (``conformity``, ``malice``), with the
    population's mean ('(1 on average)'), or for any scenario the setting it is drawn by."""
    def said(sc: Scenario | None) -> str:
        if sc is None:
            return f"{meaning} (drawn for each person: population.{trait})"
        return f"{meaning} ({getattr(sc.population, trait).mean:g} on average)"
    return said


@dataclass(frozen=True)
class AgentColumn:
    """A column of the agents table for people: ``words``, its name in words ("score
    (points)"; for a family of columns ``{}`` stands for the rest of the name; None: the
    name with spaces); ``meaning``, what it means (None: its words say it all), a text or
    a function of the run's scenario that says it with that scenario's numbers (its tiers,
    its thresholds), or for any scenario when given None; ``rest``, for a family of
    columns, what the rest of each name names ("SOURCE"). The words of the model's
    definitions (docs/model.md)."""

    words: str | None = None
    meaning: str | Callable[[Scenario | None], str] | None = None
    rest: str | None = None

    def said(self, sc: Scenario | None = None) -> str | None:
        """The meaning, with ``sc``'s own numbers (None: for any scenario)."""
        return self.meaning(sc) if callable(self.meaning) else self.meaning


AGENT_COLUMNS = {
    "agent": AgentColumn(meaning="its number, from 0"),
    "file_id": AgentColumn("node in the network file", "its node's id in the edge-list "
                           "file the network was read from (such a network only)"),
    "group": AgentColumn(meaning="the population group it belongs to (an abstract label); "
                         "a scenario may treat groups differently, e.g. a higher "
                         "false-match rate"),
    "region": AgentColumn(meaning="the region it lives in, from 0; the system may start in "
                          "some regions before the others"),
    "household": AgentColumn(meaning="the number of its household: people who live "
                             "together, tied as family"),
    "child": AgentColumn(meaning="a child of its household (not one of its two parents)"),
    "employer": AgentColumn("employer (company number)"),
    "score": AgentColumn("score (points)"),
    "clean_score": AgentColumn("score without errors (points)", "the score the same acts "
                               "would have given without the system's errors (false face "
                               "matches, false reports)"),
    "start_score": AgentColumn("starting score (points)"),
    "tier": AgentColumn(meaning=_tiers),
    "listed": AgentColumn(meaning=_listed),
    "wrongfully_listed": AgentColumn(meaning="on the list although the same acts, without "
                                     "the system's errors, would not have put them there"),
    "shamed": AgentColumn(meaning="named in public when listed (faces on screens, names "
                          "online); its neighbours may then cut their ties to it"),
    "listed_until": AgentColumn("listed until day"),
    "fear": AgentColumn(meaning="how much it fears the score, from 0 (none) to 1 (the "
                        "most): it rises with the share of its neighbours listed or shamed "
                        "and as its own score nears the listing threshold; fear keeps "
                        "people from penalised acts (the chilling effect)"),
    "conformity": AgentColumn(meaning=_drawn("how strongly fear keeps it from penalised "
                                             "acts, and how readily it cuts ties to a "
                                             "shamed neighbour", "conformity")),
    "malice": AgentColumn(meaning=_drawn("how often it files false reports against its "
                                         "neighbours", "malice")),
    "propensity_": AgentColumn("propensity for {} acts", "how often it does acts of that "
                               "kind, against the average person's 1 (2: twice as often)",
                               "CATEGORY"),
    "degree": AgentColumn("ties", "its family members, friends and colleagues in the "
                          "network, at the start"),
    "active_degree": AgentColumn("active ties", "ties not cut by a neighbour after "
                                 "shaming, nor suspended by a detention"),
    "pariah": AgentColumn(meaning=_pariah),
    "house_arrest": AgentColumn(meaning=_house_arrest),
    "times_listed": AgentColumn(),
    "days_listed": AgentColumn(),
    "wrongful_listings": AgentColumn(),
    "times_shamed": AgentColumn(),
    "ties_lost": AgentColumn(),
    "blocked_tickets": AgentColumn(meaning="air and train tickets refused to it while "
                                   "listed"),
    "blocked_other": AgentColumn("blocked purchases and applications", "luxury purchases "
                                 "and job applications refused to it while listed"),
    "privileges_used": AgentColumn(meaning="privileges (such as hospital priority) it used "
                                   "while its score was above their thresholds"),
    "school_barred_days": AgentColumn(meaning="days it was barred from top schools because "
                                      "of its parents (listed, or scored low)"),
    "acts_": AgentColumn("acts: {}", rest="BEHAVIOUR"),
    "points_": AgentColumn("points from {}", "the points this source of points gave its "
                           "score since day 0 (negative: took)", "SOURCE"),
    "clean_points_": AgentColumn("points from {}, without errors", rest="SOURCE"),
    "mistaken_for": AgentColumn("mistaken for agent (a false face match)", "a camera's "
                                "facial recognition took another person for it: that "
                                "person's act counted against it"),
    "falsely_reported_by": AgentColumn("falsely reported by agent"),
}
"""The agents table's columns (``_agent_columns``) for people, in its order: by name, a
family of columns by the start of their names ("points_"). The dashboard's record of an
agent and docs/metrics.md say them from here."""


def agent_column(column: str) -> tuple[AgentColumn, str] | None:
    """The definition of agents-table column ``column`` (``AGENT_COLUMNS``: by name, else by
    the start of a family's names) and the rest of its name after that start ("" for a
    column of its own), or None for a column this version does not define."""
    if column in AGENT_COLUMNS:
        return AGENT_COLUMNS[column], ""
    return next(((found, column.removeprefix(start)) for start, found in AGENT_COLUMNS.items()
                 if start.endswith("_") and column.startswith(start)), None)


def _agent_columns(sim: Simulation) -> LazyColumns:
    """The agents table of the final state, one column (or block of rows) at a time (see
    ``LazyColumns``): each maker returns a new array of the rows it is given."""
    a, names, s = sim.state.agents, sim.names, sim.state
    indptr, household_start, n = s.net.indptr, s.household_start, s.n
    p = sim.epochs[-1][1]
    status = a["status"]

    def listed(rows):
        return (status[rows] & LISTED) != 0

    def degree(rows):
        lo, hi, _ = rows.indices(n)
        return np.diff(indptr[lo:hi + 1]).astype(np.int32)

    def ids(rows):
        return np.arange(*rows.indices(n), dtype=np.int32)

    def column(array, dtype=None):
        return lambda rows: array[rows].copy() if dtype is None else array[rows].astype(dtype)

    def household(rows):
        return households(household_start, *rows.indices(n)[:2])

    def malice(rows):
        """Drawn again from the seed when the run keeps no rows of it (no false reports:
        ``core.state.short_arrays``)."""
        if len(a["malice"]) == n:
            return a["malice"][rows].copy()
        return malice_rows(sim.scenario, sim.seed, *rows.indices(n)[:2])

    def flag(bit):
        return lambda rows: (status[rows] & bit) != 0

    def active_degree(rows):
        """Each agent's degree when the run keeps no rows of ``deg_active`` (no tie could
        be severed or suspended: ``core.state.short_arrays``)."""
        if len(a["deg_active"]) == n:
            return a["deg_active"][rows].astype(np.int32)
        return degree(rows)

    cols: dict[str, Callable[[slice], Any]] = {"agent": ids}
    if s.file_ids is not None:  # an edge-list network: each agent's node id in the file
        cols["file_id"] = column(s.file_ids)
    cols |= {
        "group": lambda rows: _categorical(a["group"][rows], names.groups),
        "region": column(a["region"], np.int32),
        "household": household,
        "child": lambda rows: (ids(rows) - household_start[household(rows)]) >= 2,
        "employer": column(a["employer"]),
        "score": column(a["scores"][:, 0]),
        "clean_score": column(a["scores"][:, -1]),  # the one column when nothing can err
        "start_score": lambda rows: sim.epochs[0][1].score.s0_group[a["group"][rows]],
        "tier": lambda rows: _categorical(a["tier"][rows], names.tiers or ["none"]),
        "listed": listed,
        "wrongfully_listed": lambda rows: listed(rows) & ((status[rows] & WRONGFUL) != 0),
        "shamed": flag(SHAMED),
        "listed_until": lambda rows: np.where(listed(rows), a["listed_until"][rows],
                                              -1).astype(np.int32),
        "fear": column(a["fear"]),
        "conformity": column(a["conformity"]),
        "malice": malice,
    }
    for k, cat in enumerate(names.categories):
        cols[f"propensity_{cat}"] = column(a["propensity"][:, k])
    cols.update({
        "degree": degree,
        "active_degree": active_degree,
        "pariah": lambda rows: ((degree(rows) > 0) & (status[rows] & DETAINED == 0) & (
            active_degree(rows) < p.shame.pariah_fraction * degree(rows))),
        "house_arrest": lambda rows: (a["scores"][rows, 0] < p.sanction.arrest_threshold) & (
            status[rows] & DETAINED == 0),  # detention goes further
    })
    # History counts are kept as uint16 (saturating) and published as int32: signed, so
    # that one run's counts less another's (B - A in a notebook) go below zero instead of
    # wrapping round to about 4 billion.
    for name in ("times_listed", "days_listed", "wrongful_listings", "times_shamed",
                 "ties_lost", "blocked_tickets", "blocked_other", "privileges_used",
                 "school_barred_days"):
        # zeros where the run keeps no rows of it (times_shamed, ties_lost without shaming)
        cols[name] = lambda rows, name=name: rows_or_zeros(a, name, rows).astype(np.int32)
    for k, b in enumerate(names.behaviours):
        cols[f"acts_{b}"] = column(a["acts_total"][:, k], np.int32)
    # The provenance ledger: points by source since day 0 (core.source), and who; none
    # without per-agent sources. Without a separate error-free ledger (nothing can err) it
    # is the recorded one.
    if not names.per_agent_sources:
        return LazyColumns(cols)
    clean = a["clean_points"] if names.errors else a["points"]
    for k, name in enumerate(names.sources):
        cols[f"points_{name}"] = column(a["points"][:, k])
    for name in names.clean_sources:
        cols[f"clean_points_{name}"] = column(clean[:, names.sources.index(name)])
    cols["mistaken_for"] = column(a["mistaken_for"])
    cols["falsely_reported_by"] = column(a["falsely_reported_by"])
    return LazyColumns(cols)


def _company_columns(sim: Simulation) -> dict[str, Any]:
    c, names = sim.state.companies, sim.names
    m = len(c["score"])
    cols: dict[str, Any] = {
        "company": np.arange(m, dtype=np.int32),
        "sector": _categorical(c["sector"], names.sectors),
        "region": c["region"].astype(np.int32),
        "legal_rep": c["rep"],
        "score": c["score"],
        "tier": _categorical(c["tier"], names.company_tiers),
        "tax_rate": sim.epochs[-1][1].companies.ct_tax[c["tier"]],
        "listed": c["listed"].astype(bool),
        "days_listed": c["days_listed"],
        "revenue": c["revenue"],
    }
    for k, e in enumerate(names.company_events):
        cols[f"events_{e}"] = c["events_total"][:, k]
        cols[f"seen_{e}"] = c["events_seen"][:, k]
    return cols


def with_units(table: pa.Table) -> pa.Table:
    """A metrics table whose columns carry, as Arrow field metadata, their unit and meaning
    from the metric registry (``unit``, ``description``; the day column: ``day``), so that
    they travel with ``metrics.parquet`` into R, pandas with pyarrow, or any Arrow reader."""
    from scsim.outputs.metrics import metric_label, metric_of

    fields = []
    for column in table.schema:
        m = metric_of(column.name)
        if column.name == "day":
            meta = {"unit": "day", "description": "day of the run (0: the first)"}
        elif m is not None:
            meta = {"unit": m.unit, "description": m.description.replace(
                "NAME", column.name[len(m.prefix):]) if m.per else m.description,
                    "label": metric_label(column.name)}
        else:
            meta = None
        fields.append(column.with_metadata(meta) if meta else column)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))

