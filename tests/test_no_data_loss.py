"""Nothing a user has is lost: output folders scsim may not replace are refused before any
work, and `scsim query` can only read the store (no COPY, ATTACH, INSTALL, SET, and no
file outside the store's runs)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import scsim
from conftest import run_cli
from scsim.errors import ScsimError
from scsim.fsutil import OUTPUT_MARKER, check_output_folder
from scsim.store import open_store

RUN = ["run", "pilot-1000", "--agents", "500", "--days", "5", "--quiet"]


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and the digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCSIM_STORE", str(tmp_path / "store"))
    return lambda *args: run_cli(monkeypatch, capsys, *args)


def test_out_never_removes_what_scsim_did_not_write(cli, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "notes.txt").write_text("my notes")
    code, _, err = cli(*RUN, "--out", "results/")
    assert code == 2 and "not empty and was not written by scsim" in err
    assert (results / "notes.txt").read_text() == "my notes"
    assert [p.name for p in results.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "store").exists()  # refused before the run started

    a_file = tmp_path / "some.txt"
    a_file.write_text("text")
    code, _, err = cli(*RUN, "--out", str(a_file))
    assert code == 2 and "is a file" in err and a_file.read_text() == "text"

    (tmp_path / "keep.txt").write_text("keep")
    for folder, why in ((".", "current folder"), (str(tmp_path.parent), "current folder"),
                        ("/", "choose a new folder"), (str(Path.home()), "new folder")):
        code, _, err = cli(*RUN, "--out", folder)
        assert code == 2 and why in err, (folder, err)
    assert (tmp_path / "keep.txt").read_text() == "keep"


def test_out_creates_uses_empty_and_replaces_own_output_only_with_force(cli, tmp_path):
    code, _, _ = cli(*RUN, "--out", "new/deeper")
    assert code == 0 and (tmp_path / "new" / "deeper" / "run.json").is_file()
    assert (tmp_path / "new" / "deeper" / OUTPUT_MARKER).is_file()
    (tmp_path / "empty").mkdir()
    assert cli(*RUN, "--out", "empty")[0] == 0
    assert (tmp_path / "empty" / "metrics.parquet").is_file()

    before = tree(tmp_path / "empty")
    code, _, err = cli(*RUN, "--seed", "3", "--out", "empty")
    assert code == 2 and "--force (force=True in Python) replaces it" in err
    assert tree(tmp_path / "empty") == before
    assert cli(*RUN, "--seed", "3", "--out", "empty", "--force")[0] == 0
    assert tree(tmp_path / "empty") != before

    # --force never extends to a folder that scsim did not write
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "data.csv").write_text("1,2")
    code, _, err = cli(*RUN, "--out", "theirs", "--force")
    assert code == 2 and (tmp_path / "theirs" / "data.csv").read_text() == "1,2"


def test_a_folder_of_results_is_not_given_a_files_name(cli, tmp_path):
    """``scsim report RUN --out report.html`` made a folder report.html (holding a
    report.html), ``scsim run --out x.csv`` a folder x.csv: a new folder of results with a
    file's ending is refused, saying what to write; a folder already so named is the
    user's choice."""
    code, _, err = cli(*RUN, "--out", "summary.csv")
    assert code == 2 and not (tmp_path / "summary.csv").exists()
    assert ("a name ending in .csv names one file, and a saved run is a folder of files; "
            "choose a folder name without .csv (the summary table alone, as one CSV file: "
            "scsim show RUN --out FILE.csv; in Python, res.summary().to_csv(FILE, "
            "index=False))") in " ".join(err.split())
    assert cli(*RUN)[0] == 0
    code, _, err = cli("report", "last", "--out", "Report.HTML")
    assert code == 2 and "a report is a folder of files" in " ".join(err.split())
    assert not (tmp_path / "Report.HTML").exists()
    code, _, err = cli("show", "last", "--out", "summary.tsv")  # made a folder summary.tsv
    assert code == 2 and not (tmp_path / "summary.tsv").exists()
    # a hidden folder on purpose is the user's to choose
    assert cli(*RUN, "--out", ".results")[0] == 0
    assert (tmp_path / ".results" / "run.json").is_file()
    (tmp_path / "mine.json").mkdir()
    assert cli(*RUN, "--out", "mine.json")[0] == 0
    assert (tmp_path / "mine.json" / "run.json").is_file()


def test_force_replaces_an_output_only_with_one_of_its_kind(cli, tmp_path):
    """A report written with --force into the folder of a saved run deleted the run's
    tables (found by trying the Python API as a user); --force replaces only an earlier
    output of the same kind (a report a report, a saved run a saved run), and refuses the
    others whatever it says, on the command line and in Python."""
    assert cli(*RUN, "--out", "results")[0] == 0
    saved = tree(tmp_path / "results")
    code, _, err = cli("report", "last", "--out", "results", "--force")
    assert code == 2 and "it holds a saved run written by scsim (run.json, …), not a " \
        "report; choose a new folder for the report" in err
    assert tree(tmp_path / "results") == saved
    res = scsim.Result.load(tmp_path / "results")
    with pytest.raises(ScsimError, match=r"holds a saved run .* not a report"):
        scsim.report(res, tmp_path / "results", force=True)
    assert tree(tmp_path / "results") == saved

    assert cli("report", "last", "--out", "rep")[0] == 0
    report = tree(tmp_path / "rep")
    code, _, err = cli(*RUN, "--out", "rep", "--force")
    assert code == 2 and "it holds a report written by scsim (report.html, …), not a " \
        "saved run" in err
    with pytest.raises(ScsimError, match=r"holds a report .* not a saved run"):
        res.save(tmp_path / "rep", force=True)
    assert tree(tmp_path / "rep") == report
    assert cli("report", "last", "--out", "rep", "--force")[0] == 0  # its own kind


def test_force_never_removes_what_a_user_added_to_or_changed_in_an_output(cli, tmp_path):
    """--force replaces an earlier scsim output only while it holds the files scsim listed
    in its marker, unchanged: a note, a folder of one's own, or an edited report in it is
    refused with their names (all three were deleted before); an older scsim's output,
    whose marker lists nothing, by the names scsim gives its files."""
    assert cli(*RUN)[0] == 0
    assert cli("report", "last", "--out", "rep")[0] == 0
    rep = tmp_path / "rep"
    assert cli("report", "last", "--out", "rep", "--force")[0] == 0  # still all scsim's
    (rep / "draft-article.md").write_text("my draft")
    (rep / "my-photos").mkdir()
    (rep / "my-photos" / "p.txt").write_text("precious")
    before = tree(rep)
    code, _, err = cli("report", "last", "--out", "rep", "--force")
    assert code == 2 and "scsim did not write draft-article.md, my-photos/, my-photos/p.txt" \
        in err and "(3 in all); move them out" in err
    assert tree(rep) == before
    for mine in ("draft-article.md", "my-photos/p.txt", "my-photos"):
        (rep / mine).unlink() if (rep / mine).is_file() else (rep / mine).rmdir()
    with (rep / "report.html").open("a") as page:
        page.write("<!-- my edits -->")
    code, _, err = cli("report", "last", "--out", "rep", "--force")
    assert code == 2 and "did not write report.html there, or it changed since" in err
    assert (rep / "report.html").read_text().endswith("<!-- my edits -->")

    # the store's own report folder follows the same rule, without --force
    assert cli("report", "last")[0] == 0
    stored = next((tmp_path / "store" / "reports").iterdir())
    (stored / "lesson-plan.txt").write_text("monday")
    code, _, err = cli("report", "last")
    assert code == 2 and "lesson-plan.txt" in err
    assert (stored / "lesson-plan.txt").read_text() == "monday"

    # an older scsim's output (its marker lists nothing, written once the folder was
    # full) is told by its files' names, none changed after the marker
    old = tmp_path / "old"
    old.mkdir()
    (old / "report.html").write_text("<p>an old report</p>")
    (old / "01-scores.png").write_bytes(b"PNG")
    (old / OUTPUT_MARKER).write_text("written by scsim: `--force` may replace this folder\n")
    sealed = (old / OUTPUT_MARKER).stat().st_mtime_ns
    (old / "notes.txt").write_text("mine")
    (old / "mine.parquet").write_bytes(b"PAR1")  # a name scsim gives its files, added later
    os.utime(old / "mine.parquet", ns=(sealed + 10**9, sealed + 10**9))
    code, _, err = cli("report", "last", "--out", "old", "--force")
    assert code == 2 and "scsim did not write mine.parquet, notes.txt there" in err
    assert (old / "report.html").read_text() == "<p>an old report</p>"
    (old / "notes.txt").unlink()
    (old / "mine.parquet").unlink()
    assert cli("report", "last", "--out", "old", "--force")[0] == 0
    assert "an old report" not in (old / "report.html").read_text()


def test_a_folder_with_a_run_json_is_not_taken_for_scsim_output(cli, tmp_path):
    """A folder scsim did not mark is refused, --force or not, whatever its files are
    called: a run.json of another tool (Mesa) beside model_data.parquet, manifest.json,
    report.html and 01-data.csv was taken for an old scsim output, and --force or
    ``force=True`` deleted them all. An old output whose marker lists nothing is refused
    when a file in it changed after the marker (an edit it used to miss), and a marker
    scsim did not write proves nothing."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "run.json").write_text('{"tool": "mesa"}')
    (mine / "manifest.json").write_text("notes")
    pd.DataFrame({"x": [1, 2]}).to_parquet(mine / "model_data.parquet")
    (mine / "report.html").write_text("<p>my report</p>")
    (mine / "01-data.csv").write_text("a,b\n1,2\n")
    before = tree(mine)
    for force in ((), ("--force",)):
        code, _, err = cli(*RUN, "--out", "mine", *force)
        assert code == 2 and "not empty and was not written by scsim" in err, err
        assert "replaces it" not in err and "01-data.csv" in err
    assert tree(mine) == before
    res = scsim.simulate("pilot-1000", agents=500, days=3)
    for force in (False, True):
        with pytest.raises(ScsimError, match="was not written by scsim"):
            res.save(mine, force=force)
    assert tree(mine) == before

    (mine / OUTPUT_MARKER).write_text("mine too\n")  # a marker of no scsim
    before = tree(mine)
    with pytest.raises(ScsimError, match=r"scsim did not write 01-data\.csv, manifest\.json"):
        res.save(mine, force=True)
    assert tree(mine) == before

    old = tmp_path / "old"  # an older scsim's output whose report a user edited since
    old.mkdir()
    (old / "report.html").write_text("<p>an old report</p>")
    (old / OUTPUT_MARKER).write_text("written by scsim: `--force` may replace this folder\n")
    sealed = (old / OUTPUT_MARKER).stat().st_mtime_ns
    (old / "report.html").write_text("<p>an old report, with my notes</p>")
    os.utime(old / "report.html", ns=(sealed + 10**9, sealed + 10**9))
    with pytest.raises(ScsimError, match=r"did not write report\.html there, or it changed"):
        res.save(old, force=True)
    assert (old / "report.html").read_text() == "<p>an old report, with my notes</p>"


def test_the_refusal_asks_for_force_only_where_force_would_replace(cli, tmp_path):
    """An earlier output to which a user added a file is refused by name, and not with
    "--force replaces it", which --force would then refuse."""
    assert cli(*RUN, "--out", "out")[0] == 0
    (tmp_path / "out" / "notes.txt").write_text("mine")
    code, _, err = cli(*RUN, "--out", "out")
    assert code == 2 and "scsim did not write notes.txt there" in err
    assert "replaces it" not in err
    (tmp_path / "out" / "notes.txt").unlink()
    code, _, err = cli(*RUN, "--out", "out")
    assert code == 2 and "--force (force=True in Python) replaces it" in err


def test_out_refuses_the_store_and_its_runs(cli, tmp_path):
    assert cli(*RUN)[0] == 0
    store = tmp_path / "store"
    before = tree(store / "runs")
    run_id = next((store / "runs").iterdir()).name
    for target in (store, store / "runs", store / "runs" / run_id,
                   store / "checkpoints" / "my-results", store / "tmp" / "x",
                   store / "repair" / "x"):  # the store cleans these itself
        code, _, err = cli(*RUN, "--out", str(target), "--force")
        assert code == 2 and "part of the run store" in err, err
    assert tree(store / "runs") == before


def test_a_folder_that_is_not_a_store_is_refused_and_its_tmp_and_checkpoints_kept(
        cli, tmp_path, monkeypatch):
    """A project folder given as the store (``SCSIM_STORE=.``) is refused by every
    command, reading ones too: its crash repair would have emptied ``tmp/`` and
    ``checkpoints/``. In a real store, what a user put in those is not scsim's and stays."""
    project = tmp_path / "project"
    for name in ("tmp/cache/data.bin", "checkpoints/epoch-10/model.pt", "README"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(name)
    before = tree(project)
    for args in (["query", "SELECT 1"], ["runs"], RUN):
        code, _, err = cli(*args, "--store", str(project))
        assert code == 2 and "is not a run store: it holds README and no catalogue" in err
    monkeypatch.setenv("SCSIM_STORE", str(project))
    assert cli(*RUN)[0] == 2
    assert tree(project) == before
    with pytest.raises(ScsimError, match="not a run store"):
        open_store(project)

    store = tmp_path / "store"
    monkeypatch.setenv("SCSIM_STORE", str(store))
    assert cli(*RUN)[0] == 0
    for name in ("tmp/my-notes/n.txt", "checkpoints/20261202-000000-abcd-backup/state.npz",
                 "checkpoints/mine.txt"):
        (store / name).parent.mkdir(parents=True, exist_ok=True)
        (store / name).write_text(name)
    kept = {k: v for k, v in tree(store).items() if k.startswith(("tmp", "checkpoints"))}
    assert cli("runs")[0] == 0 and cli(*RUN)[0] == 0
    assert {k: v for k, v in tree(store).items() if k.startswith(("tmp", "checkpoints"))
            } == kept


def test_report_and_sensitivity_folders_follow_the_same_rule(cli, tmp_path):
    assert cli(*RUN)[0] == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("chapter 1")
    code, _, err = cli("report", "last", "--out", "mine")
    assert code == 2 and "was not written by scsim" in err
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    assert cli("report", "last", "--out", "rep")[0] == 0
    assert cli("report", "last", "--out", "rep")[0] == 2
    assert cli("report", "last", "--out", "rep", "--force")[0] == 0
    assert cli("report", "last")[0] == 0  # the store's own reports folder: replaced
    assert cli("report", "last")[0] == 0  # without --force while it holds only scsim's

    code, _, err = cli("sensitivity", "pilot-1000", "--out", "mine", "--param",
                       "scoring.recovery=0..0.1", "--param", "listing.threshold=900..950")
    assert code == 2 and "was not written by scsim" in err
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]


def test_calibrate_never_overwrites_a_file_it_did_not_write(cli, tmp_path):
    (tmp_path / "mine.yaml").write_text("name: my own scenario\n")
    code, _, err = cli("calibrate", "court-blacklist", "--out", "mine.yaml", "--force",
                       "--preset", "2018-seed", "--param", "sanctions.travel.air_rate=0..0.1")
    assert code == 2 and "not written by scsim" in err
    assert (tmp_path / "mine.yaml").read_text() == "name: my own scenario\n"


def test_calibrate_replaces_its_file_only_while_nobody_changed_it(tmp_path):
    """A calibrated scenario is sealed by a last line with the checksum of the rest: with
    force it is replaced as written, not once edited by hand (header kept), nor one
    written before files were sealed; the seal is a YAML comment."""
    from scsim.experiments.calibrate import CALIBRATED_HEADER, check_calibration_output
    from scsim.fsutil import sealed

    text = sealed(f"{CALIBRATED_HEADER}: x=1\nbase: court-blacklist\ndays: 30\n")
    ours = tmp_path / "fit.yaml"
    ours.write_text(text)
    assert scsim.load_scenario(ours).days == 30
    with pytest.raises(ScsimError, match=r"fit\.yaml exists: --force"):
        check_calibration_output(ours)
    assert check_calibration_output(ours, force=True)[0] == ours.resolve()
    for changed in (text.replace("days: 30", "days: 60"),  # the user's edit
                    text.split("# scsim: sha256")[0],  # a file of before the seal
                    text + "# my note\n"):
        ours.write_text(changed)
        with pytest.raises(ScsimError, match=r"it was not written by scsim, or it changed "
                                             r"since; move it out"):
            check_calibration_output(ours, force=True)
        assert ours.read_text() == changed


def test_calibrate_never_overwrites_a_chart_it_did_not_write(cli, tmp_path):
    """The chart beside a calibrated scenario (same name, .png) is replaced with --force
    only if scsim wrote it (its PNG's Software field): a user's own figure of that name
    is refused, whatever its contents (it was replaced before)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from scsim.experiments.calibrate import check_calibration_output
    from scsim.fsutil import PNG_METADATA

    figure = plt.figure()
    figure.savefig(tmp_path / "fig.png")  # a user's own chart, made with matplotlib
    (tmp_path / "notes.png").write_text("not even a picture\n")
    mine = {p: p.read_bytes() for p in (tmp_path / "fig.png", tmp_path / "notes.png")}
    for name in ("fig", "notes"):
        code, _, err = cli("calibrate", "court-blacklist", "--out", f"{name}.yaml", "--force",
                           "--preset", "2018-seed", "--param",
                           "sanctions.travel.air_rate=0..0.1")
        assert code == 2 and f"{name}.png: it was not written by scsim" in err
    assert {p: p.read_bytes() for p in mine} == mine
    figure.savefig(tmp_path / "ours.png", metadata=PNG_METADATA)  # as Calibration.save does
    plt.close(figure)
    with pytest.raises(ScsimError, match=r"ours\.png exists: --force \(force=True in "
                                         r"Python\) replaces it"):
        check_calibration_output(tmp_path / "ours.yaml")
    assert check_calibration_output(tmp_path / "ours.yaml", force=True)[1] == (
        tmp_path / "ours.png").resolve()


@pytest.mark.parametrize("name", ["fit.png", "fit.PNG", "fit.txt", "fit"])
def test_calibrate_out_must_be_yaml_so_the_chart_is_another_file(cli, tmp_path, name):
    """The chart is written beside the scenario with .png: an --out of fit.png made both one
    file (the chart over the scenario, reported as two saved files). Only a .yaml or .yml
    name is taken, refused before anything runs; from Python too."""
    code, out, err = cli("calibrate", "court-blacklist", "--out", name, "--preset",
                         "2018-seed", "--param", "sanctions.travel.air_rate=0..0.1",
                         "--trials", "1", "--reps", "1", "--agents", "300", "--days", "3",
                         "--workers", "1", "--quiet")
    assert code == 2 and out == "", out
    assert err == (f"error: {name}: the calibrated scenario is written as YAML, with its "
                   "chart beside it (same name, .png): give a name ending in .yaml or .yml")
    assert list(tmp_path.iterdir()) == []  # nothing ran: not even a store
    from scsim.experiments.calibrate import Calibration, check_calibration_output

    cal = Calibration({}, pd.DataFrame(), pd.DataFrame(), scsim.load_scenario("pilot-1000"))
    with pytest.raises(ScsimError, match=r"give a name ending in \.yaml or \.yml"):
        cal.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    for good in ("fit.yaml", "fit.YML"):
        paths = check_calibration_output(tmp_path / good)
        assert paths == ((tmp_path / good).resolve(), (tmp_path / "fit.png").resolve())


def test_python_save_follows_the_same_rule(tmp_path):
    res = scsim.simulate(scsim.load_scenario("pilot-1000", agents=300, days=3), seed=1)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("n")
    with pytest.raises(ScsimError, match="not written by scsim"):
        res.save(tmp_path / "x")
    res.save(tmp_path / "y")
    with pytest.raises(ScsimError, match="--force"):
        res.save(tmp_path / "y")
    res.save(tmp_path / "y", force=True)
    assert check_output_folder(tmp_path / "z") == (tmp_path / "z").resolve()


# -- scsim query only reads -------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("query") / "store"
    scsim.simulate(scsim.load_scenario("pilot-1000", agents=300, days=3), seed=1, store=root)
    return open_store(root)


WRITES = [
    "COPY (SELECT 1 AS junk) TO '{runs}/{run}/metrics.parquet' (FORMAT parquet)",
    "COPY (SELECT 1 AS junk) TO '{outside}/junk.csv'",
    "SELECT 1; COPY (SELECT 1 AS junk) TO '{runs}/{run}/agents.parquet' (FORMAT parquet)",
    "ATTACH '{outside}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "CREATE TABLE t AS SELECT 1",
    "DELETE FROM runs",
    "UPDATE runs SET seed = 0",
    "DROP VIEW metrics",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '{outside}/junk.parquet'",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "SELECT 1; SET lock_configuration = false",
    # a PIVOT that finds its columns in the data is several statements to DuckDB, which
    # can wrap a write
    "COPY (PIVOT runs ON status USING count(*)) TO '{runs}/{run}/pivot.csv'",
    "CREATE TABLE p AS PIVOT runs ON status USING count(*)",
]
READS_OUTSIDE = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_text('{outside}/secret.txt')",
    "SELECT * FROM read_text('{runs}/../../secret.txt')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_text('https://example.invalid/x')",
    "SELECT * FROM read_parquet('{outside}/*.parquet')",
]


@pytest.mark.parametrize("sql", WRITES + READS_OUTSIDE)
def test_query_cannot_write_or_read_outside_the_store(store, tmp_path, sql):
    outside = store.root.parent
    (outside / "secret.txt").write_text("the-secret-content")
    run = store.runs()["id"][0]
    before = tree(store.root / "runs")
    with pytest.raises(ScsimError) as info:
        store.query(sql.format(runs=store.runs_dir, run=run, outside=outside))
    assert "the-secret-content" not in str(info.value)
    assert tree(store.root / "runs") == before
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt", "store"]
    assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 1


def test_query_still_reads_every_view_and_the_runs_files(store):
    assert store.query("SELECT count(*) AS n FROM metrics")["n"][0] == 3
    assert store.query("SELECT count(*) AS n FROM agents")["n"][0] == 300
    glob = f"{store.runs_dir}/*/metrics.parquet"
    assert store.query(f"SELECT count(*) AS n FROM read_parquet('{glob}')")["n"][0] == 3
    for sql in ("SHOW TABLES", "DESCRIBE events", "SUMMARIZE runs", "FROM runs",
                "WITH x AS (SELECT 1 AS a) SELECT * FROM x", "SELECT 1 AS a;"):
        assert len(store.query(sql)) >= 1, sql


def test_sums_of_counts_come_back_as_whole_numbers(monkeypatch, capsys, store):
    """DuckDB sums integers into 128-bit integers, which pandas reads as floats: a query's
    sum of a count is a whole number again (85, not 85.0) in the table and its CSV; a
    sum of floats stays a float, and an empty group's sum is missing, not 0."""
    agents = pd.read_parquet(store.path(store.runs()["id"][0]) / "agents.parquet")
    table = store.query("SELECT sum(times_listed) AS listed, sum(score) AS points, "
                        "sum(times_listed) FILTER (WHERE false) AS none FROM agents")
    assert str(table["listed"].dtype) == "Int64" and table["points"].dtype == float
    assert table["listed"][0] == agents["times_listed"].sum() and pd.isna(table["none"][0])
    code, out, _ = run_cli(monkeypatch, capsys, "query", "--store", str(store.root), "--csv",
                           "SELECT sum(days_listed) AS d FROM agents")
    assert code == 0 and out.split() == ["d", str(agents["days_listed"].sum())]


def test_a_pivot_that_finds_its_columns_is_refused_with_the_query_that_works(store):
    """``PIVOT runs ON status`` is several statements to DuckDB (it reads the values to
    make the columns), refused as any such query is, with how to write it: naming the
    values makes it one query, which runs."""
    with pytest.raises(ScsimError, match=r"DuckDB makes this query several.*name them, as in "
                                         r"PIVOT runs ON status IN \('done', 'failed'\)"):
        store.query("PIVOT runs ON status USING count(*)")
    table = store.query("PIVOT runs ON status IN ('done', 'failed') USING count(*) "
                        "GROUP BY scenario")
    assert table.to_dict("records") == [{"scenario": "pilot-1000", "done": 1, "failed": 0}]


def test_query_csv_writes_lists_and_structs_as_json(monkeypatch, capsys, store):
    """DuckDB's LIST and STRUCT cells come back as numpy arrays and dicts: in a CSV they
    are JSON text (``[1, 2]``, ``{"a": 1, "b": [0.5, 2.0]}``), not numpy's ``[1 2]`` or
    Python's ``{'a': 1}``; a DECIMAL inside is a number."""
    code, out, err = run_cli(monkeypatch, capsys, "query", "--store", str(store.root),
                             "--csv", "SELECT [1, 2] AS l, {'a': 1, 'b': [0.5, 2]} AS s, "
                             "'x' AS t")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert json.loads(table["l"][0]) == [1, 2]
    assert json.loads(table["s"][0]) == {"a": 1, "b": [0.5, 2.0]}
    assert table["t"][0] == "x"


def test_query_refusal_is_one_line_with_exit_2(monkeypatch, capsys, store):
    code, out, err = run_cli(monkeypatch, capsys, "query", "--store", str(store.root),
                             "COPY (SELECT 1) TO 'x.csv'")
    assert code == 2 and "only reads" in err and "Traceback" not in err + out


def test_sweep_charts_replace_only_what_scsim_wrote_there(tmp_path, monkeypatch):
    """A sweep's charts (``STORE/sweeps/SWEEP``) are written each whole (a temporary
    sibling renamed into place) and listed in the folder's marker: drawn again, they
    replace scsim's own; a CSV a user edited there, or a chart of an earlier scsim that no
    marker lists, is refused by name before anything is written (it was overwritten in
    place); a user's other file stays; a write cut short leaves the earlier charts and no
    temporary file."""
    from scsim.experiments.charts import save_charts, sweep_charts

    table = pd.DataFrame({"listing.threshold": [900, 950], "reps": [2, 2],
                          "listed_final": [0.1, 0.2], "listed_final_ci95": [0.01, 0.02]})

    def charts():
        return sweep_charts(table, ["listing.threshold"], ["listed_final"])

    folder = tmp_path / "store" / "sweeps" / "s1"
    assert save_charts(charts(), folder) == [folder / "sweep-listed_final.png"]
    (folder / "notes.txt").write_text("mine")
    assert save_charts(charts(), folder)  # scsim's own: replaced
    csv = folder / "sweep-listed_final.csv"
    csv.write_text("my edit\n")
    before = tree(folder)
    with pytest.raises(ScsimError, match=r"refusing to replace sweep-listed_final\.csv in "):
        save_charts(charts(), folder)
    assert tree(folder) == before and (folder / "notes.txt").read_text() == "mine"

    old = tmp_path / "store" / "sweeps" / "s0"  # an earlier scsim's charts: no marker
    old.mkdir()
    (old / "sweep-listed_final.png").write_bytes(b"an earlier chart")
    with pytest.raises(ScsimError, match=r"sweep-listed_final\.png"):
        save_charts(charts(), old)
    assert [p.name for p in old.iterdir()] == ["sweep-listed_final.png"]
    assert (old / "sweep-listed_final.png").read_bytes() == b"an earlier chart"

    csv.unlink()
    before = tree(folder)

    def cut_short(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", cut_short)
    with pytest.raises(KeyboardInterrupt):
        save_charts(charts(), folder)
    assert tree(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == [
        OUTPUT_MARKER, "notes.txt", "sweep-listed_final.png"]


def test_an_empty_folder_of_the_users_is_filled_where_it_is(cli, tmp_path):
    """An empty --out folder was swapped for a new one: a private folder (mode 700, its
    group) became world-readable, and an empty mount point (or one that cannot be renamed)
    was an internal error once the run was done. It is filled in place now."""
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    before = private.stat()
    assert cli(*RUN, "--out", "private")[0] == 0
    after = private.stat()
    assert (after.st_ino, after.st_mode, after.st_gid) == (
        before.st_ino, before.st_mode, before.st_gid)
    assert (private / "metrics.parquet").is_file() and (private / OUTPUT_MARKER).is_file()
    assert not [p for p in private.iterdir() if p.name.startswith(".private.scsim-")]
    # and it is scsim's output now: replaced only with --force, as any other, keeping the
    # folder's permissions (750 became 755)
    assert cli(*RUN, "--out", "private")[0] == 2
    assert cli(*RUN, "--seed", "2", "--out", "private", "--force")[0] == 0
    assert private.stat().st_mode == before.st_mode


def test_a_link_loop_or_a_full_disk_is_one_line(cli, tmp_path, monkeypatch):
    """--out through a loop of symbolic links was RuntimeError, and a disk that filled
    while an output folder was written an OSError: internal errors."""
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    code, _, err = cli(*RUN, "--out", "loop1")
    assert code == 2 and "its symbolic links form a loop" in err
    from scsim.fsutil import atomic_file, atomic_folder

    def full(path):
        raise OSError(28, "No space left on device")

    said = (r"^the disk is full \(or a file size limit was reached\) while writing .*out: No "
            r"space left on device; nothing was kept$")
    with pytest.raises(ScsimError, match=said), atomic_folder(tmp_path / "out",
                                                              kind="run") as work:
        full(work)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.scsim-*"))
    with pytest.raises(ScsimError, match="the disk is full"), atomic_file(tmp_path / "f.txt"):
        full(None)


def test_a_file_output_is_refused_in_the_store_or_where_it_cannot_be_written(cli, tmp_path):
    """A calibration's YAML could go into the store's runs/ and into a stored run's folder
    (which `scsim rm` then kept for it), and one that could not be written was found once
    the calibration was done."""
    from scsim.fsutil import check_output_file

    assert cli(*RUN)[0] == 0
    store = tmp_path / "store"
    run_dir = next((store / "runs").iterdir())
    for path in (store / "runs" / "x.yaml", run_dir / "cal.yaml", store / "x.yaml"):
        with pytest.raises(ScsimError, match="it is part of the run store"):
            check_output_file(path)
    (tmp_path / "a_file").write_text("text")
    with pytest.raises(ScsimError, match="a_file is a file, not a folder"):
        check_output_file(tmp_path / "a_file" / "x.yaml")
    assert check_output_file(tmp_path / "new" / "x.yaml") == tmp_path / "new" / "x.yaml"
    assert not (tmp_path / "new").exists()  # checked, nothing made


def test_a_file_that_appears_while_a_new_one_is_written_is_kept(tmp_path, monkeypatch):
    """``atomic_file(path, new=...)`` (`scsim show RUN --out FILE.csv`) writes only a new
    file: one of the user's that appears at ``path`` while it writes is kept, byte for
    byte, and the refusal says so; nothing written is left behind. With hard links the
    write cannot replace it even when it appears right after the last check (a check,
    then ``os.replace``, left that instant open: the user's file was replaced); on a file
    system without them, it is checked just before the replace. A new path gets the
    file."""
    import errno

    import scsim.fsutil as fsutil
    from scsim.errors import ScsimError
    from scsim.fsutil import atomic_file

    path = tmp_path / "summary.csv"
    checked, link = fsutil.check_new_file, os.link

    def appears() -> None:
        if not path.exists():
            path.write_text("the user's\n")

    def then_the_users_file(target, what):  # just after a check that passed
        out = checked(target, what)
        appears()
        return out

    def the_users_file_then(src, dst):  # just before the new file is put in place
        appears()
        link(src, dst)

    monkeypatch.setattr(fsutil, "check_new_file", then_the_users_file)
    monkeypatch.setattr(os, "link", the_users_file_then)
    with (pytest.raises(ScsimError, match=rf"^refusing to overwrite {path}: a run's summary"),
          atomic_file(path, new="a run's summary table") as tmp):
        tmp.write_text("scsim's\n")
    assert path.read_text() == "the user's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
    monkeypatch.setattr(fsutil, "check_new_file", checked)

    def no_link(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)  # FAT, some network shares
    with (pytest.raises(ScsimError, match=rf"^refusing to overwrite {path}: a run's summary"),
          atomic_file(path, new="a run's summary table") as tmp):
        tmp.write_text("scsim's\n")
    assert path.read_text() == "the user's\n"
    fresh = tmp_path / "fresh.csv"
    with atomic_file(fresh, new="a run's summary table") as tmp:
        tmp.write_text("scsim's\n")
    assert fresh.read_text() == "scsim's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.csv", "summary.csv"]
