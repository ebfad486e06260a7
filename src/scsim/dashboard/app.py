"""The dashboard's web application (Starlette): the page, its static files (all served from
this package: nothing from the internet), and a small JSON API over the worker's job queue
(``dashboard.jobs``) and the run store.

Safe by default: the browser names scenarios by built-in name or stored run id and runs by
id, never by file path, and no SQL is taken; only requests addressed to the host the
dashboard was started on are answered (no DNS rebinding); a run or comparison larger than
``max_agent_days`` (agents × days × runs) is refused with a message; each page (a session
cookie and the tab's own id, ``PAGE_HEADER``) has at most one job queued or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scsim.dashboard.jobs import Jobs
from scsim.errors import ScenarioError, ScsimError
from scsim.fsutil import SPREADSHEET_CSV

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "scsim_session"
PAGE_HEADER = "X-Scsim-Page"  # the id a tab gives itself: two tabs, two pages
PAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DEFAULT_MAX_AGENT_DAYS = 20_000_000  # 50,000 agents for a year is 18.25 million
MAX_REPS = 20  # pairs of a comparison
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
TABLES = ("metrics", "agents", "companies")
LONG_POLL = 1.0  # seconds /api/job?after=VERSION waits for the job to change, at most (and
# so the longest a Ctrl-C waits for a page that is watching a job)
LONG_POLL_CHECK = 0.01  # seconds between looks at the job meanwhile
LOG = logging.getLogger("scsim.dashboard")


class Dashboard:
    """The state behind the routes: the run store, the job queue, the size cap and the
    lock of the reports being built."""

    def __init__(self, store_path: Path, max_agent_days: int = DEFAULT_MAX_AGENT_DAYS):
        from scsim.store import open_store

        self.store = open_store(store_path)
        self.jobs = Jobs(str(self.store.root))
        self.max_agent_days = max_agent_days
        self.reporting = threading.Lock()  # one HTML report built at a time

    def check_size(self, agents: int, days: int, runs: int) -> None:
        """Refuse a job over the cap, saying how big it is, what the page can do (the
        most agents that fit, or fewer days or pairs) and, last, how to raise the cap."""
        size = agents * days * runs
        if size > self.max_agent_days:
            what = f"{runs} runs × " if runs > 1 else ""
            fits = self.max_agent_days // (days * runs)
            fewer = ("fewer days or fewer pairs" if runs > 1 else "fewer days")
            smaller = (f"use at most {fits:,} agents, or {fewer}" if fits >= 2 else
                       f"use {fewer}")
            raise ScsimError(
                f"too big for this dashboard: {what}{agents:,} agents × {days:,} days = "
                f"{size:,} agent-days, over the limit of {self.max_agent_days:,}: {smaller} "
                "(or start it with scsim dashboard --max-agent-days N to allow more)")


def create_app(store_path: Path, *, max_agent_days: int = DEFAULT_MAX_AGENT_DAYS,
               hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Starlette:
    """The web application; its worker starts (and compiles) with it."""
    dash = Dashboard(store_path, max_agent_days)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        dash.jobs.start()
        try:
            yield
        finally:
            dash.jobs.stop()

    def post(handler):  # a POST with a JSON body: handler(dash, body, session)
        async def endpoint(request: Request) -> Response:
            return await _call(request, handler, dash)
        return endpoint

    def get(handler):  # a GET or DELETE: handler(dash, request)
        async def endpoint(request: Request) -> Response:
            return await _guard(handler, dash, request)
        return endpoint

    routes = [
        Route("/", _page),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/status", get(_status)),
        Route("/api/scenarios", get(_scenarios)),
        Route("/api/scenario", post(_scenario), methods=["POST"]),
        Route("/api/validate", post(_validate), methods=["POST"]),
        Route("/api/run", post(_run), methods=["POST"]),
        Route("/api/compare", post(_compare), methods=["POST"]),
        Route("/api/job", _job_endpoint(dash)),
        Route("/api/cancel", post(_cancel), methods=["POST"]),
        Route("/api/runs", get(_runs)),
        Route("/api/runs/{run_id}", get(_look)),
        Route("/api/runs/{run_id}", get(_delete), methods=["DELETE"]),
        Route("/api/runs/{run_id}/report", get(_report)),
        Route("/api/runs/{run_id}/{table}.csv", get(_csv)),
        Route("/api/runs/{run_id}/agents/{agent:int}", get(_agent)),
        Route("/api/comparison", get(_comparison)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])
    app.state.dashboard = dash
    return app


# -- the page ------------------------------------------------------------------------------

def _page(request: Request) -> Response:
    response = FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
    if SESSION_COOKIE not in request.cookies:
        response.set_cookie(SESSION_COOKIE, secrets.token_urlsafe(16), httponly=True,
                            samesite="strict")
    return response


def _session(request: Request) -> str:
    """The page a request comes from: the browser's session cookie and the tab's own id
    (tabs of one browser share the cookie, not the id: each has its own job)."""
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise ScsimError("no session: load the dashboard page first")
    page = request.headers.get(PAGE_HEADER, "")
    if page and not PAGE_ID.match(page):
        raise ScsimError(f"{PAGE_HEADER} must be 8 to 64 letters, digits, - or _")
    return f"{session}/{page}"


# -- helpers: errors as JSON ----------------------------------------------------------------

def _error(exc: ScsimError) -> JSONResponse:
    problems = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
    return JSONResponse({"error": str(exc), "problems": problems}, status_code=400)


def _failure(exc: Exception, request: Request) -> JSONResponse:
    """A bug or a failure of the machine (not the question): logged with its traceback,
    answered as a 500 whose ``error`` is the exception's own line (its type when it has
    none), which the page shows as the dashboard's answer."""
    LOG.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return JSONResponse({"error": reason, "problems": [reason]},
                        status_code=500)


async def _call(request: Request, handler, dash: Dashboard) -> Response:
    """A POST with a JSON body: ``handler(dash, body, session)``; user errors as 400,
    anything else as a 500 with its reason (``_failure``)."""
    try:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            raise ScsimError("the request body must be JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except ValueError:
            raise ScsimError("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ScsimError("the request body must be a JSON object")
        return JSONResponse(await _threaded(handler, dash, body, _session(request)))
    except ScsimError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc, request)


async def _guard(handler, dash: Dashboard, request: Request) -> Response:
    """A GET or DELETE about stored runs: ``handler(dash, request)``; user errors as 400,
    anything else as a 500 with its reason (``_failure``)."""
    try:
        for ref in request.path_params.values():
            if isinstance(ref, str) and ref not in TABLES and not RUN_ID.match(ref):
                raise ScsimError(f"'{ref}' is not a run id")
        out = await _threaded(handler, dash, request)
        return out if isinstance(out, Response) else JSONResponse(out)
    except ScsimError as exc:
        return _error(exc)
    except Exception as exc:
        return _failure(exc, request)


async def _threaded(fn, *args) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


# -- the API --------------------------------------------------------------------------------

def _status(dash: Dashboard, request: Request) -> dict[str, Any]:
    return {"state": dash.jobs.state, "compile_seconds": dash.jobs.compile_seconds,
            "max_agent_days": dash.max_agent_days, "store": str(dash.store.root)}


def _job_endpoint(dash: Dashboard):
    """``/api/job``: the page's newest job; with ``?after=VERSION``, as soon as its version
    differs from VERSION (a long poll: the page hears of a change within
    ``LONG_POLL_CHECK`` seconds, not a polling period), or after ``LONG_POLL`` seconds."""
    async def endpoint(request: Request) -> Response:
        try:
            session = _session(request)
            after = request.query_params.get("after")
            if after is not None:
                seen, deadline = _version(after), time.monotonic() + LONG_POLL
                while dash.jobs.version(session) == seen and time.monotonic() < deadline:
                    await asyncio.sleep(LONG_POLL_CHECK)
            return JSONResponse({"job": dash.jobs.latest(session)})
        except ScsimError as exc:
            return _error(exc)
        except Exception as exc:
            return _failure(exc, request)
    return endpoint


def _version(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ScsimError(f"'after' must be a job version (a whole number), got '{text}'"
                         ) from None


def _cancel(dash: Dashboard, body: dict, session: str) -> dict[str, Any] | None:
    job = dash.jobs.cancel(session)
    return {"job": job.view() if job is not None else None}


def _scenarios(dash: Dashboard, request: Request) -> dict[str, Any]:
    from scsim.dashboard.views import plain_title
    from scsim.scenario import builtin_names, load_scenario

    descriptions = {n: load_scenario(n).description for n in builtin_names()}
    builtin = [{"name": n, "description": d, "title": plain_title(d)}
               for n, d in descriptions.items()]
    return {"builtin": builtin, "stored": _stored(dash)}


def _stored(dash: Dashboard) -> list[dict[str, Any]]:
    """The store's finished runs as the page lists them: with what each changes in the
    scenario it was derived from (``changes``, in words: ``levers.setting_in_words``) and,
    for a run of a
    comparison kept in the store (``RunStore.comparisons``), its side and pair (``side``,
    "A, pair 1") and the comparison's runs (``compared``: ``{"a": [...], "b": [...]}``,
    to open it again); both None otherwise."""
    runs = dash.store.runs(status="done", limit=200)
    compared = {run: c for c in reversed(dash.store.comparisons()) for run in (*c.a, *c.b)}
    out = []
    for r in runs.itertuples():
        c = compared.get(r.id)
        out.append({"id": r.id, "scenario": r.scenario, "seed": str(int(r.seed)),
                    "agents": int(r.agents), "days": int(r.days),
                    "started": str(r.started)[:19], "changes": _changes(r.overrides),
                    "side": c.side_of(r.id) if c else None,
                    "compared": {"a": c.a, "b": c.b} if c else None})
    return out


def _changes(overrides: str | None) -> list[str]:
    """The catalogue's ``overrides`` (JSON: path -> value) in words (``setting_in_words``),
    but the number of agents and of days, which the list shows in their own columns."""
    import json

    from scsim.dashboard.levers import setting_in_words
    from scsim.scenario.diff import SIZE_PATHS
    from scsim.scenario.reference import show_value

    try:
        settings = json.loads(overrides) if overrides else {}
    except ValueError:
        return []
    if not isinstance(settings, dict):
        return []
    return [setting_in_words(f"{path}={show_value(v)}") for path, v in settings.items()
            if path not in SIZE_PATHS]


def _runs(dash: Dashboard, request: Request) -> dict[str, Any]:
    return {"runs": _stored(dash)}


def _scenario(dash: Dashboard, body: dict, session: str) -> dict[str, Any]:
    """The levers and every setting of a source scenario, as the page shows them."""
    from scsim.dashboard.levers import levers_for
    from scsim.dashboard.settings import leaves, scenario_of

    sc = scenario_of({"source": body.get("source")}, dash.store)
    return {"name": sc.name, "description": sc.description, "agents": sc.population.agents,
            "days": sc.days, "levers": levers_for(sc), "settings": leaves(sc)}


def _validate(dash: Dashboard, body: dict, session: str) -> dict[str, Any]:
    """Whether the question may run: ``ok`` and its ``problems`` (the scenario's as
    ``scsim validate`` words them, the boxes', the size cap's); whether it may be compared
    (``compare_ok``, ``compare_problems``: the pairs, the size of the comparison); the
    levers that would change nothing in it (``idle``: the page hides them); what the
    question and A change, in words (``changes``, ``a_changes``: ``_asked_changes``); and the
    settings typed that would do nothing (``advice``, as ``scsim validate`` warns, in the
    levers' words where a lever moves the setting: the question may run all the same).
    With ``a`` (A as the page keeps it: its ``source``, ``levers`` and ``settings``), A is
    checked too, and whether its population pairs with the question's (B's): its problems
    are among ``compare_problems``, named as A's."""
    from scsim.dashboard.levers import in_lever_words, levers_for, problem_in_words
    from scsim.dashboard.settings import scenario_of

    problems: list[str] = []
    advice: list[str] = []
    boxes_fit = _collect(problems, _boxes_fit, dash, body, 1) is not None
    if not boxes_fit:  # too big: said once, in the dashboard's words, not the schema's too
        body = {k: v for k, v in body.items() if k not in ("agents", "days")}
    sc = _collect(problems, scenario_of, body, dash.store, advice)
    _collect(problems, _seed, body)
    compare: list[str] = []
    reps = _collect(compare, _reps, body)
    changes, a_changes = _asked_changes(dash, body), _a_changes(dash, body)
    if sc is None:
        levers = _source_levers(dash, body)
        return {"ok": False, "problems": [problem_in_words(p, levers) for p in problems],
                "compare_ok": False, "compare_problems": compare, "idle": [],
                "advice": [in_lever_words(line, levers) for line in advice],
                "changes": changes, "a_changes": a_changes}
    agents, days = sc.population.agents, sc.days
    if boxes_fit:
        _collect(problems, dash.check_size, agents, days, 1)
    if reps is not None and not problems:
        _collect(compare, dash.check_size, agents, days, 2 * reps)
    if body.get("a") is not None and not problems:
        _check_a(dash, body, sc, compare)
    levers = levers_for(sc)
    return {"ok": not problems, "problems": problems, "agents": agents, "days": days,
            "compare_ok": not problems and not compare, "compare_problems": compare,
            "idle": [lever["path"] for lever in levers if not lever["in_use"]],
            "advice": [in_lever_words(line, levers) for line in advice],
            "changes": changes, "a_changes": a_changes}


def _asked_changes(dash: Dashboard, body: dict) -> dict[str, str]:
    """What the question's levers and settings change in the scenario it starts from, as
    it comes: {path: words}, each in the words every screen gives a changed setting
    (``levers.setting_in_words``: "false-match rate 0.1 % → 1 % of camera sightings
    (surveillance.misattribution: 0.001 → 0.01)"), for the page's "All settings" list and
    the sides beside Compare, which say nothing in words of their own. A value typed that
    is no value of its setting is said as typed (its problem is said apart); none when the
    scenario cannot be read. In the order of "All settings" (the schema's)."""
    from scsim.dashboard.levers import setting_in_words
    from scsim.dashboard.settings import Source, _mapping, leaves
    from scsim.scenario.loader import load_advised, parse_assignment
    from scsim.scenario.paths import get_path, parse_path
    from scsim.scenario.reference import percent_unit, share_of, typed_share

    try:
        source = load_advised(Source.of(body).data(dash.store))[0]
        data = source.model_dump(mode="json")
        asked = {**{str(k): ("lever", v) for k, v in _mapping(body, "levers").items()},
                 **{str(k): ("text", v) for k, v in _mapping(body, "settings").items()}}
    except ScsimError:
        return {}
    order = {leaf["path"]: i for i, leaf in enumerate(leaves(source))}
    out = {}
    for path, (kind, value) in sorted(asked.items(), key=lambda a: order.get(a[0], len(order))):
        try:
            was = typed_share(get_path(data, parse_path(path)))
        except ScsimError:
            was = "?"  # no setting of the scenario: its problem says so
        text = str(value).strip()
        if kind == "text" and percent_unit(path) is not None and share_of(text) is not None:
            value = share_of(text)
        elif kind == "text":
            try:
                value = parse_assignment(f"{path}={text}")[1]
            except ScsimError:
                value = text
        out[path] = setting_in_words(f"{path}: {was} → {typed_share(value)}")
    return out


def _a_changes(dash: Dashboard, body: dict) -> dict[str, str]:
    """What A (``body["a"]``, as the page keeps it) changes in the scenario it starts
    from, in the words of ``_asked_changes``, for the line beside Compare; none without
    A."""
    from scsim.dashboard.settings import side_of

    if body.get("a") is None:
        return {}
    try:
        return _asked_changes(dash, side_of(body, "a"))
    except ScsimError:
        return {}


def _check_a(dash: Dashboard, body: dict, b: Any, compare: list[str]) -> None:
    """A as the page keeps it (``body["a"]``: its own scenario and settings, or the
    question's scenario as it comes) checked before Compare is pressed: its problems, as
    the question's are said but named as A's ("A: fear.speed: must be >= 0"), else
    whether its population pairs with B's (``b``, the question's scenario); added to
    ``compare``."""
    from scsim.analysis.compare import check_pairable
    from scsim.dashboard.levers import problem_in_words
    from scsim.dashboard.settings import scenario_of, side_of

    found: list[str] = []
    question = _collect(found, side_of, body, "a")
    a = _collect(found, scenario_of, question, dash.store) if question else None
    if found:
        levers = _source_levers(dash, question) if question else []
        compare.extend(f"A: {problem_in_words(p, levers)}" for p in found)
    elif a is not None:
        _collect(compare, check_pairable, a, b)


def _source_levers(dash: Dashboard, body: dict) -> list[dict[str, Any]]:
    """The levers of the scenario a question starts from, as it is (for naming the
    settings of a question that is not a valid scenario); none when it cannot be read."""
    from scsim.dashboard.levers import levers_for
    from scsim.dashboard.settings import Source
    from scsim.scenario.loader import load_advised

    try:
        return levers_for(load_advised(Source.of(body).data(dash.store))[0])
    except ScsimError:
        return []


def _boxes_fit(dash: Dashboard, body: dict, runs: int) -> bool:
    """The size cap checked on the Agents and Days boxes as typed, before the scenario is
    read: a number of agents too large even for the scenario schema is then too big for
    this dashboard, said as any other size (True when they fit, or do not both hold whole
    numbers: their own checks say so)."""
    from scsim.dashboard.settings import BOXES, whole

    try:
        sizes = [whole(body.get(name), label, low)
                 for name, (_, label, low) in BOXES.items()]
    except ScsimError:
        return True
    dash.check_size(*sizes, runs)
    return True


def _collect(problems: list[str], check, *args) -> Any:
    """``check(*args)``, or None with its problems added to ``problems``."""
    try:
        return check(*args)
    except ScenarioError as exc:
        problems.extend(exc.problems)
    except ScsimError as exc:
        problems.append(str(exc))
    return None


def _seed(body: dict) -> int:
    from scsim.dashboard.settings import whole
    from scsim.seeds import SEED_MAX, SEED_MIN

    return whole(body.get("seed", 1), "Seed", SEED_MIN, SEED_MAX)


def _reps(body: dict) -> int:
    from scsim.dashboard.settings import whole

    return whole(body.get("reps", 1), "Pairs", 1, MAX_REPS)


def _run(dash: Dashboard, body: dict, session: str) -> dict[str, Any]:
    from scsim.dashboard.settings import scenario_of

    _boxes_fit(dash, body, 1)
    sc = scenario_of(body, dash.store)
    dash.check_size(sc.population.agents, sc.days, 1)
    spec = {"kind": "run", "scenario": sc.model_dump(mode="json"), "seed": _seed(body)}
    return dash.jobs.submit(session, spec).view()


def _compare(dash: Dashboard, body: dict, session: str) -> dict[str, Any]:
    """A against B: the same agents, days and seeds; each side its own scenario (its own
    ``source``, else the question's: A no-system and B national-800, as ``scsim compare
    no-system national-800``) with its own levers and settings (``settings.sides_of``)."""
    from scsim.analysis.compare import check_pairable
    from scsim.dashboard.settings import sides_of

    common = {k: body.get(k) for k in ("source", "agents", "days")}
    _boxes_fit(dash, common, 2 * _reps(body))
    a, b = sides_of(body, dash.store)
    check_pairable(a, b)
    reps = _reps(body)
    dash.check_size(a.population.agents, a.days, 2 * reps)
    spec = {"kind": "compare", "a": a.model_dump(mode="json"), "b": b.model_dump(mode="json"),
            "seed": _seed(body), "reps": reps}
    return dash.jobs.submit(session, spec).view()


def _look(dash: Dashboard, request: Request) -> dict[str, Any]:
    """What the page draws of a run: while the worker writes it to the store, as the
    worker sent it from memory (the same as of the stored run); then from the store. A run
    the store does not hold (deleted) is a 404, which the page takes for "deleted" (the
    list of scenarios holds only the newest runs, so a run missing from it may still be
    kept)."""
    shown = dash.jobs.shown(request.path_params["run_id"])
    if shown is not None:
        return shown
    from scsim.dashboard.views import run_view

    run_id = request.path_params["run_id"]
    if not any(r.id == run_id for r in dash.store.matching(run_id)):
        return JSONResponse({"error": f"no run '{run_id}' in this store (deleted)",
                             "problems": []}, status_code=404)

    return run_view(dash.store.load(request.path_params["run_id"]))


def _agent(dash: Dashboard, request: Request) -> dict[str, Any]:
    from scsim.dashboard.views import agent_view

    return agent_view(dash.store.load(request.path_params["run_id"]),
                      request.path_params["agent"])


def _delete(dash: Dashboard, request: Request) -> dict[str, Any]:
    """Delete a stored run, for a page of this dashboard (its session cookie, as every
    request that changes something: `curl -X DELETE` from anywhere deleted runs)."""
    _session(request)
    return {"removed": dash.store.remove(request.path_params["run_id"])}


def _csv(dash: Dashboard, request: Request) -> Response:
    run_id, table = request.path_params["run_id"], request.path_params["table"]
    if table not in TABLES:
        raise ScsimError(f"no table '{table}' (one of {', '.join(TABLES)})")
    res = dash.store.load(run_id)
    # begun with UTF-8's byte-order mark, as every CSV scsim writes for a spreadsheet
    body = getattr(res, table).to_csv(index=False).encode(SPREADSHEET_CSV)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{run_id}-{table}.csv"'})


def _report(dash: Dashboard, request: Request) -> Response | dict[str, Any]:
    """The run's HTML report: the one kept in the store (``reports/RUN/report.html``,
    written by an earlier click or ``scsim report``) when there is one; else a page that
    says it is being built and asks for ``?build=1``, which builds it (one at a time) and
    answers ``{"built": ...}`` (or the problem, which that page shows in words)."""
    run_id = request.path_params["run_id"]
    stored = dash.store.report_folder([run_id]) / "report.html"
    if "build" not in request.query_params:
        shown = stored if stored.is_file() else STATIC / "report.html"
        return FileResponse(shown, media_type="text/html",
                            headers={"Cache-Control": "no-store"})
    with dash.reporting:
        if not stored.is_file():
            from scsim.report import report

            report(dash.store.load(run_id), store=dash.store)
    return {"built": run_id}


def _comparison(dash: Dashboard, request: Request) -> dict[str, Any]:
    """The paired comparison of stored runs: ``?a=ID,ID&b=ID,ID`` (pairs by position)."""
    from scsim.analysis.compare import compare_results
    from scsim.dashboard.views import comparison_view

    sides = {}
    for side in ("a", "b"):
        ids = [i for i in request.query_params.get(side, "").split(",") if i]
        if not ids or not all(RUN_ID.match(i) for i in ids):
            raise ScsimError(f"'{side}' must list run ids")
        sides[side] = [dash.store.load(i) for i in ids]
    return comparison_view(compare_results(sides["a"], sides["b"]))
